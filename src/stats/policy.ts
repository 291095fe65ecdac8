import type { MixtureComponent } from "./sequential.js";

/**
 * The judge's statistical tunables and how it spends α (research §6.2, §6.5). Defaults were
 * tuned with bench/judge-sim.ts (see the table in its header).
 */

export interface JudgePolicy {
  /**
   * Family-wise error rate of the rollback decision in a stage at ≤ `alphaReferenceWeight`%.
   * Heavier stages get alphaFail·reference/weight: α is spent where detection is slow (few
   * candidate requests per minute) while at 25–50% a real regression is caught within minutes
   * at the smaller α anyway. A rollout's false-rollback rate is at most the sum over its stages.
   */
  alphaFail: number;
  alphaReferenceWeight: number;
  /** Shares of α for the all-routes tests (in shadow error's share goes to the other two); per-route tests split the rest. */
  alphaShares: { error: number; latency: number; parity: number };
  /** One-sided confidence of the promotion bounds. */
  gateConfidence: number;
  /** Power assumed when planning the stage's sample size. */
  power: number;
  /** Level of the promotion gate's status-mix G-test (Holm across routes). */
  statusAlpha: number;
  /** A user contributes at most this many events to any guardrail. */
  userCap: number;
  /** Alternatives of the sequential tests: error-rate ratios, tail-share ratios, multiples of the parity margin. */
  errorRatios: MixtureComponent[];
  tailRatios: MixtureComponent[];
  parityMultiples: MixtureComponent[];
  /** Concentration κ of the Beta prior in the status-mix test. */
  statusConcentration: number;
  /** Smallest status-share shift that may roll back. */
  statusMinShift: number;
  /** Legacy requests on a route before its p95 is trusted. */
  minBaseline: number;
  /** Candidate requests (live or mirrored) that count as "exercised" for coverage. */
  coverageMinCandidate: number;
}

export const DEFAULT_POLICY: JudgePolicy = {
  alphaFail: 0.02,
  alphaReferenceWeight: 5,
  alphaShares: { error: 0.5, latency: 0.15, parity: 0.05 },
  gateConfidence: 0.95,
  power: 0.8,
  statusAlpha: 0.05,
  userCap: 2,
  errorRatios: [
    { value: 3, weight: 0.8 },
    { value: 20, weight: 0.2 },
  ],
  tailRatios: [
    { value: 2, weight: 0.6 },
    { value: 5, weight: 0.4 },
  ],
  parityMultiples: [
    { value: 3, weight: 0.5 },
    { value: 30, weight: 0.5 },
  ],
  statusConcentration: 2,
  statusMinShift: 0.01,
  minBaseline: 20,
  coverageMinCandidate: 1,
};

/** The stage's rollback α (see JudgePolicy.alphaFail); shadow uses the reference α. */
export function stageAlpha(policy: JudgePolicy, weight: number): number {
  const ref = policy.alphaReferenceWeight;
  return weight > ref ? (policy.alphaFail * ref) / weight : policy.alphaFail;
}

/**
 * α shares of one stage's Holm family: the all-routes tests per `alphaShares` (in shadow the
 * error share goes to latency and parity), and the per-route tests split what is left.
 */
export function alphaShares(
  policy: JudgePolicy,
  routes: number,
  shadow: boolean,
): { error: number; latency: number; parity: number; route: number } {
  const { error, latency, parity } = policy.alphaShares;
  const overall = error + latency + parity;
  const route = (1 - overall) / Math.max(1, routes) / (shadow ? 1 : 3);
  if (!shadow) return { error, latency, parity, route };
  const k = overall / Math.max(latency + parity, 1e-9);
  return { error: 0, latency: latency * k, parity: parity * k, route };
}

/**
 * Margins as proportions: error rate in points/100, p95 as a relative increase with an absolute
 * floor in ms, parity as a rate.
 */
export interface Margins {
  errorRate: number;
  p95: number;
  /** A candidate is slower only when worse by both p95 (relative) and this many ms. */
  p95FloorMs: number;
  parity: number;
}

/** Default absolute floor of the p95 margin, ms (config rollout.margins.p95_latency). */
export const DEFAULT_P95_FLOOR_MS = 25;

/**
 * The latency a candidate may reach against a legacy latency of `ms` before it counts as
 * slower: beyond both the relative margin and the absolute floor. 0.7 ms → 25.7 ms; 200 ms → 240 ms.
 */
export function latencyLimit(ms: number, m: Pick<Margins, "p95" | "p95FloorMs">): number {
  return Math.max((1 + m.p95) * ms, ms + m.p95FloorMs);
}

/** "+20% and +25 ms", for sentences. */
export function describeLatencyMargin(m: Pick<Margins, "p95" | "p95FloorMs">): string {
  const pct = `+${Number((m.p95 * 100).toFixed(2))}%`;
  return m.p95FloorMs > 0 ? `${pct} and +${Number(m.p95FloorMs.toFixed(3))} ms` : pct;
}
