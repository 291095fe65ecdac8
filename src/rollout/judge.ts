import type { RolloutConfig } from "../config/schema.js";
import { gate, metricChecks, type Check, type ReportContext } from "./checks.js";
import { fmtMs, fmtN, sum } from "../stats/format.js";
import { holm, normalQuantile, planCandidateRequests } from "../stats/index.js";
import type { ErrorEvidence } from "./metrics.js";
import { DEFAULT_POLICY, latencyLimit, stageAlpha, type JudgePolicy, type Margins } from "../stats/policy.js";
import { DEFAULT_P95_MARGIN, parseLatencyMargin } from "../config/units.js";
import { Window, type Channel, type WindowSnapshot } from "./window.js";
import type { Outcome, Verdict } from "./wire.js";

export type { Check, CheckName, CheckStatus } from "./checks.js";
export { DEFAULT_POLICY, stageAlpha, type JudgePolicy, type Margins } from "../stats/policy.js";

/**
 * The judge: window in, verdict out (research §6). Pure: time comes in `now`, no I/O.
 *
 * Guardrails (roll back now) are likelihood-ratio tests that stay valid however often the judge
 * looks (stats/sequential.ts), combined by weighted Holm across route × metric so a stage's
 * rollback decision has family-wise error ≤ its α (stats/policy.ts); a tripped test must also
 * be practically significant (beyond the configured margin). Each guardrail caps every user's
 * contribution at `userCap` events (stats/cluster.ts), so one broken user is never "many
 * independent failures". The promotion gate needs the minimum duration, the minimum sample
 * planned from the margins (§6.3d), non-inferiority on every metric with cluster-robust
 * (delta-method) effective sizes — so that same broken user is not averaged away either: their
 * errors keep the gate shut — and route coverage before the last stage. Anything else holds;
 * lack of evidence is never a pass or a fail. Live stages compare candidate with legacy
 * requests; `shadow` compares the candidate's mirrored answers with legacy's (latency) and
 * judges parity. Metric evidence and sentences live in stats/metrics.ts and stats/checks.ts.
 */

export type { Outcome, Verdict } from "./wire.js";

export interface JudgeStage {
  index: number;
  value: "shadow" | number;
  /** Number of stages (promotion into the last one needs route coverage). */
  count: number;
  startedAt: number;
  warmupUntil: number;
  /** Time paused during this stage (excluded from durations). */
  pausedMs?: number;
}

export type JudgeConfig = Pick<
  RolloutConfig,
  "min_duration" | "max_duration" | "min_requests" | "margins" | "on_timeout" | "coverage_min_requests"
>;

export interface JudgeInput {
  /** The stage's window: a Window, a snapshot, or snapshots to merge (one per instance). */
  window: Window | WindowSnapshot | readonly WindowSnapshot[];
  stage: JudgeStage;
  now: number;
  config: JudgeConfig;
  /** Routes under the rollout (fixes the Holm family); default: the window's routes. */
  routes?: readonly string[];
  /** Cumulative per-route counts since the rollout began; default: the window's coverage tallies. */
  coverage?: Readonly<Record<string, { legacy: number; candidate: number; mirrored?: number }>>;
  /**
   * Cumulative per-endpoint counts ("METHOD /template" → counts and route); default: the window's.
   * When there are any, the coverage gate works per endpoint; else per route.
   */
  endpointCoverage?: Readonly<Record<string, { route: string; legacy: number; candidate: number; mirrored?: number }>>;
  /** Inventory endpoints of the rollout's routes: the ones nobody called are named, never blocking. */
  inventory?: readonly string[];
  policy?: Partial<JudgePolicy>;
}

const MARGIN = /^\+?\s*(\d+(?:\.\d+)?)\s*(pt|%)?$/;

/**
 * "+0.5pt" or 0.5 → 0.005; "+20%" or 20 → 0.2; "0.1%" or 0.1 → 0.001. p95_latency: "+20% and
 * +25ms" → 0.2 and 25 ms; a part left out takes its default (+20%, +25 ms): "+50%" is
 * "+50% and +25ms", "+0ms" turns the floor off.
 */
export function parseMargins(m: JudgeConfig["margins"]): Margins {
  const one = (v: number | string, fallback: number): number => {
    if (typeof v === "number") return (Number.isFinite(v) && v >= 0 ? v : fallback) / 100;
    const hit = MARGIN.exec(v.trim());
    return (hit?.[1] ? Number(hit[1]) : fallback) / 100;
  };
  const parsed = parseLatencyMargin(m.p95_latency);
  const latency = "error" in parsed ? DEFAULT_P95_MARGIN : parsed;
  return { errorRate: one(m.error_rate, 0.5), ...latency, parity: one(m.parity, 0.1) };
}

type Ctx = ReportContext & { window: Window };

export function judge(input: JudgeInput): Verdict {
  const policy: JudgePolicy = { ...DEFAULT_POLICY, ...input.policy };
  const window = toWindow(input.window);
  const { stage, now, config } = input;
  const shadow = stage.value === "shadow";
  const weight = stage.value === "shadow" ? 0 : stage.value;
  const routes = [...new Set(input.routes ?? window.routes())].sort();
  const channel: Channel = shadow ? "candidate:mirror" : "candidate";
  const z = normalQuantile(policy.gateConfidence);
  const ctx: Ctx = {
    routes,
    cand: routes.map((r) => window.cell(r, channel)),
    base: routes.map((r) => window.cell(r, "legacy")),
    parity: routes.map((r) => window.parity(r)),
    ...endpointParityOf(window, routes),
    window,
    policy,
    metric: { ...policy, z },
    margins: parseMargins(config.margins),
    weight,
    shadow,
  };
  const paused = stage.pausedMs ?? 0;
  const elapsed = Math.max(0, now - Math.max(stage.startedAt, stage.warmupUntil) - paused);
  const timedOut = now - stage.startedAt - paused >= config.max_duration;
  const nc = sum(ctx.cand.map((c) => c?.n ?? 0));
  const { guards, gates, info, errors } = metricChecks(ctx);
  const plan = config.min_requests ?? planned(ctx, errors);
  const head = { stage: { index: stage.index, value: stage.value }, at: now, minRequests: plan, candidateRequests: nc };
  const early = (reason: string): Verdict => ({
    ...head,
    outcome: "hold",
    reasons: [reason],
    checks: [],
    elapsedMs: elapsed,
    timedOut,
    examples: [],
  });
  if (now < stage.warmupUntil)
    return early(`Warming up for another ${fmtMs(stage.warmupUntil - now)}; nothing is judged yet.`);
  if (!shadow && weight >= 100) return early("At 100% no legacy traffic is left to compare with; nothing to judge.");

  const h = holm(
    guards.map((g) => g.p),
    stageAlpha(policy, weight),
    guards.map((g) => g.share),
  );
  guards.forEach((g, i) => {
    g.check.numbers.holm_threshold = h.thresholds[i] ?? 0;
    g.check.numbers.p_adjusted = h.adjusted[i] ?? 1;
    if (h.rejected[i] && g.practical) g.check.status = "fail";
  });

  const what = shadow ? "mirrored candidate" : "candidate";
  gates.unshift(
    gate(
      "duration",
      elapsed >= config.min_duration,
      `The stage has run ${fmtMs(elapsed)} of its ${fmtMs(config.min_duration)} minimum.`,
      {
        elapsed_ms: elapsed,
        min_duration_ms: config.min_duration,
      },
    ),
    gate("sample_size", nc >= plan, `${fmtN(nc)} of the ${fmtN(plan)} ${what} requests the margins need.`, {
      n: nc,
      min_requests: plan,
    }),
  );
  if (stage.index + 1 >= stage.count - 1) gates.push(coverageCheck(ctx, input));
  const breaker = mirrorBreakerCheck(window, routes);
  if (breaker) gates.push(breaker);

  const eta = estimate(nc, plan, elapsed, config.min_duration, now);
  const tripped = guards.filter((g) => g.check.status === "fail");
  const open = gates.filter((g) => g.gating && g.status !== "pass");
  let outcome: Outcome = tripped.length > 0 ? "rollback" : open.length === 0 ? "promote" : "hold";
  const reasons =
    outcome === "rollback"
      ? tripped.map((g) => g.check.summary)
      : outcome === "promote"
        ? [`Every gate passed after ${fmtN(nc)} ${what} requests and ${fmtMs(elapsed)}.`]
        : open.map((c) => c.summary);
  if (outcome === "hold" && timedOut) {
    const rollback = config.on_timeout === "rollback";
    reasons.unshift(
      `The stage passed max_duration (${fmtMs(config.max_duration)}) without the evidence to promote; on_timeout is ${config.on_timeout}, so ${rollback ? "the candidate is rolled back" : "it keeps holding"}.`,
    );
    if (rollback) outcome = "rollback";
  } else if (outcome === "hold" && eta) {
    reasons.push(`At ${eta.ratePerMin.toFixed(1)} ${what} requests/min the gate could pass in about ${fmtMs(eta.ms)}.`);
  }
  const examples = [...new Set([...tripped, ...guards].flatMap((g) => g.check.examples ?? []))].slice(0, 10);
  const checks = [...guards.map((g) => g.check), ...gates, ...info];
  return { ...head, outcome, reasons, checks, elapsedMs: elapsed, timedOut, ...(eta ? { eta } : {}), examples };
}

function endpointParityOf(window: Window, routes: readonly string[]): Pick<Ctx, "endpointParity"> {
  const within = new Set(routes);
  const list = [...window.endpointParity()].filter(([, c]) => within.has(c.route));
  return list.length ? { endpointParity: list } : {};
}

/**
 * A mirror breaker that skipped requests in the stage hides how the candidate answered them (the
 * candidate kept failing, so its mirrored copies stopped): the stage cannot be promoted on the
 * comparisons that remain. A gate, so it holds; the failures that opened the breaker were
 * compared and count in the error and parity checks as usual.
 */
function mirrorBreakerCheck(window: Window, routes: readonly string[]): Check | undefined {
  const within = new Set(routes);
  const skipped = window.mirrorSkips().filter(([r, n]) => within.has(r) && n > 0);
  if (skipped.length === 0) return undefined;
  const total = sum(skipped.map(([, n]) => n));
  const named = skipped
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([r, n]) => `${r} (${fmtN(n)})`)
    .join(", ");
  return gate(
    "mirror_breaker",
    false,
    `The mirror breaker skipped ${fmtN(total)} mirrored requests to the candidate in this stage after repeated failures: ${named}. Their answers are unknown, so this stage does not promote; cutover status shows the breakers.`,
    { skipped: total, routes: skipped.length },
  );
}

function toWindow(w: JudgeInput["window"]): Window {
  if (w instanceof Window) return w;
  return Array.isArray(w) ? Window.fromSnapshots(w) : Window.fromSnapshot(w as WindowSnapshot);
}

function coverageCheck(ctx: Ctx, input: JudgeInput): Check {
  const eps = input.endpointCoverage ?? Object.fromEntries(ctx.window.endpointCoverage());
  if (Object.keys(eps).length > 0) return endpointCoverageCheck(eps, input);
  const cov = input.coverage ?? Object.fromEntries(ctx.window.coverage());
  const min = input.config.coverage_min_requests;
  const due = (input.routes ?? Object.keys(cov)).filter((r) => (cov[r]?.legacy ?? 0) > min);
  const missing = due.filter(
    (r) => (cov[r]?.candidate ?? 0) + (cov[r]?.mirrored ?? 0) < ctx.policy.coverageMinCandidate,
  );
  const list = `${missing.slice(0, 5).join(", ")}${missing.length > 5 ? ", …" : ""}`;
  const summary =
    missing.length === 0
      ? `All ${due.length} routes legacy served more than ${min} times have reached the candidate.`
      : `${missing.length} of ${due.length} routes legacy served more than ${min} times have not reached the candidate yet: ${list}.`;
  return gate("coverage", missing.length === 0, summary, { routes_due: due.length, routes_missing: missing.length });
}

/**
 * The coverage gate per endpoint: every endpoint of the rollout's routes that legacy served must
 * have reached the candidate (live or mirrored) at least `coverage_min_requests` times. Inventory
 * endpoints nobody called are named as never exercised but never block: no traffic can clear them.
 */
function endpointCoverageCheck(eps: NonNullable<JudgeInput["endpointCoverage"]>, input: JudgeInput): Check {
  const min = input.config.coverage_min_requests;
  const routes = input.routes ? new Set(input.routes) : undefined;
  const mine = Object.entries(eps).filter(([, c]) => !routes || routes.has(c.route));
  const due = mine.filter(([, c]) => c.legacy > 0);
  const reached = (c: { candidate: number; mirrored?: number }): number => c.candidate + (c.mirrored ?? 0);
  const missing = due.filter(([, c]) => reached(c) < min).sort((a, b) => b[1].legacy - a[1].legacy);
  const called = new Set(mine.filter(([, c]) => c.legacy + reached(c) > 0).map(([e]) => e));
  const never = (input.inventory ?? []).filter((e) => !called.has(e));
  const named = missing
    .slice(0, 8)
    .map(([e, c]) => `${e} (${reached(c)} of ${min})`)
    .join(", ");
  const list = `${named}${missing.length > 8 ? `, and ${missing.length - 8} more` : ""}`;
  let summary =
    missing.length === 0
      ? `All ${due.length} endpoints legacy served have reached the candidate at least ${min} times.`
      : `${missing.length} of ${due.length} endpoints legacy served have not reached the candidate ${min} times yet: ${list}.`;
  if (never.length > 0)
    summary += ` ${never.length} inventory endpoint${never.length === 1 ? " was" : "s were"} never exercised (not blocking): ${never.slice(0, 5).join(", ")}${never.length > 5 ? ", …" : ""}.`;
  return gate("coverage", missing.length === 0, summary, {
    endpoints_due: due.length,
    endpoints_missing: missing.length,
    endpoints_never_exercised: never.length,
    coverage_min_requests: min,
  });
}

/** Candidate requests the stage needs, from the margins (stats/sample-size.ts). */
function planned(ctx: Ctx, errors: ErrorEvidence | undefined): number {
  const { policy, margins } = ctx;
  let above = 0;
  let nq = 0;
  for (const B of ctx.base) {
    if (!B || B.n < policy.minBaseline) continue;
    above += B.latency.countAbove(latencyLimit(B.latency.quantile(0.95), margins));
    nq += B.n;
  }
  const parity = ctx.parity;
  return planCandidateRequests({
    shadow: ctx.shadow,
    legacyN: sum(ctx.base.map((c) => c?.n ?? 0)),
    legacyErrors: sum(ctx.base.map((c) => c?.errors ?? 0)),
    candidateN: sum(ctx.cand.map((c) => c?.n ?? 0)),
    weight: ctx.weight,
    legacyShareAboveMargin: nq > 0 ? above / nq : null,
    parityN: sum(parity.map((p) => p?.n ?? 0)),
    parityMismatches: sum(parity.map((p) => p?.mismatches ?? 0)),
    errorMargin: margins.errorRate,
    parityMargin: margins.parity,
    designEffect: errors?.designEffect.candidate ?? 1,
    alpha: 1 - policy.gateConfidence,
    beta: 1 - policy.power,
  });
}

function estimate(n: number, need: number, elapsed: number, minDuration: number, now: number): Verdict["eta"] {
  if (n <= 0 || elapsed <= 0) return undefined;
  const perMs = n / elapsed;
  const remaining = Math.max(0, need - n);
  const ms = Math.max(remaining / perMs, minDuration - elapsed, 0);
  return { ms, at: now + ms, requestsRemaining: remaining, ratePerMin: perMs * 60_000 };
}
