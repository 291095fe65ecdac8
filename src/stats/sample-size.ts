import { normalQuantile } from "./special.js";

/**
 * Sample-size planning (research §6.3d, §6.4a). All functions return the unrounded value; round
 * up (Math.ceil) for a requirement. Conventions: `alpha` one-sided, power = 1 − `beta`.
 */

/**
 * Non-inferiority of p_c − p_b < δ with allocation ratio k = n_b / n_c:
 * n_c = (z_{1−α} + z_{1−β})² · [p_c(1 − p_c) + p_b(1 − p_b)/k] / δ².
 * §6.3d table (α = .05, β = .2, k = 19): p_b = 1%, δ = 1pt → 644; 0.5pt → 2,577;
 * p_b = 0.1%, δ = 0.2pt → 1,625; p_b = 5%, δ = 2pt → 773.
 */
export function nonInferiorityN(opts: {
  pb: number;
  pc?: number;
  margin: number;
  k: number;
  alpha: number;
  beta: number;
}): number {
  const pc = opts.pc ?? opts.pb;
  const z = normalQuantile(1 - opts.alpha) + normalQuantile(1 - opts.beta);
  const v = pc * (1 - pc) + (opts.k > 0 ? (opts.pb * (1 - opts.pb)) / opts.k : 0);
  return (z * z * v) / (opts.margin * opts.margin);
}

/**
 * One-sample test of a proportion, p₀ against p₁:
 * n = [z_{1−α}·√(p₀q₀) + z_{1−β}·√(p₁q₁)]² / (p₁ − p₀)².
 * §6.4a: tail exceedance 5% → 10%, α = .05, 80% power → ≈ 149.
 */
export function oneSampleProportionN(opts: { p0: number; p1: number; alpha: number; beta: number }): number {
  const { p0, p1 } = opts;
  if (p0 === p1) return Infinity;
  const a = normalQuantile(1 - opts.alpha) * Math.sqrt(p0 * (1 - p0));
  const b = normalQuantile(1 - opts.beta) * Math.sqrt(p1 * (1 - p1));
  return (a + b) ** 2 / (p1 - p0) ** 2;
}

/**
 * Events-free requests needed before a one-sided bound at level α can exclude a rate ≥ p
 * ("rule of three" generalised): smallest n with (1 − p)^n ≤ α.
 */
export function zeroEventN(p: number, alpha: number): number {
  if (p <= 0) return Infinity;
  if (p >= 1) return 1;
  return Math.log(alpha) / Math.log1p(-p);
}

/** Time to collect `n` requests at `ratePerMs` (Infinity when the rate is zero). */
export function timeToCollect(n: number, ratePerMs: number): number {
  if (n <= 0) return 0;
  return ratePerMs > 0 ? n / ratePerMs : Infinity;
}

export interface StagePlanInput {
  shadow: boolean;
  /** Legacy requests and errors in the window (all routes). */
  legacyN: number;
  legacyErrors: number;
  candidateN: number;
  /** Stage weight in percent (sets k = n_b/n_c before any candidate request is seen). */
  weight: number;
  /** Legacy's own share above (1 + latency margin) × its p95, or null without enough legacy data. */
  legacyShareAboveMargin: number | null;
  parityN: number;
  parityMismatches: number;
  /** Margins as proportions. */
  errorMargin: number;
  parityMargin: number;
  /** Candidate design effect for errors (≥ 1); capped at 10 for planning. */
  designEffect: number;
  alpha: number;
  beta: number;
}

/**
 * Candidate requests a stage needs before its gate can pass (§6.3d, §6.4a), under the planning
 * assumption that the candidate is as good as legacy: the largest of
 * - error rate (live): the non-inferiority n at legacy's current rate and allocation ratio,
 *   at least z²/δ (what a Wilson bound needs with zero errors), times the design effect;
 * - latency: one-sample n to show the share above (1 + margin)·p95 is under 5%, when the
 *   candidate's share equals legacy's own (capped at 4%; 2.5% before legacy data exists);
 * - parity (shadow): one-sample n to show mismatches under the margin at the observed rate
 *   (at most half the margin): 2,704 at 0.1% with no mismatches.
 */
export function planCandidateRequests(s: StagePlanInput): number {
  const parts: number[] = [];
  const pA = s.legacyShareAboveMargin === null ? 0.025 : Math.min(s.legacyShareAboveMargin, 0.04);
  parts.push(oneSampleProportionN({ p0: 0.05, p1: pA, alpha: s.alpha, beta: s.beta }));
  if (s.shadow) {
    const p0 = Math.max(s.parityMargin, 1e-6);
    const observed = s.parityN > 0 ? s.parityMismatches / s.parityN : 0;
    parts.push(oneSampleProportionN({ p0, p1: Math.min(observed, p0 / 2), alpha: s.alpha, beta: s.beta }));
  } else {
    const pb = (s.legacyErrors + 0.5) / (s.legacyN + 1);
    const k =
      s.candidateN > 0 && s.legacyN > 0 ? s.legacyN / s.candidateN : (100 - s.weight) / Math.max(s.weight, 1e-9);
    const z = normalQuantile(1 - s.alpha);
    const n = Math.max(
      nonInferiorityN({ pb, margin: s.errorMargin, k, alpha: s.alpha, beta: s.beta }),
      (z * z) / s.errorMargin,
    );
    parts.push(n * Math.min(Math.max(s.designEffect, 1), 10));
  }
  return Math.ceil(Math.max(1, ...parts.filter(Number.isFinite)));
}
