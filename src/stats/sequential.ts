import { lbeta, logAddExp } from "./special.js";

/**
 * Sequential tests that stay valid when the judge looks at the data every few seconds.
 *
 * Every statistic here is a likelihood ratio (or a mixture of likelihood ratios) against the
 * null, i.e. a nonnegative martingale with mean 1 under H₀. Ville's inequality then gives
 * P[sup_t LR_t ≥ 1/α] ≤ α, so "roll back when LR ≥ 1/α" keeps its error rate however often
 * it is evaluated (Wald 1945; Robbins 1970 for mixtures; Ramdas et al. 2023, "Game-theoretic
 * statistics and safe anytime-valid inference"). The anytime-valid p-value is min(1, 1/LR).
 */

// --- Wald's SPRT on a Bernoulli stream (research §6.3b) -----------------------------------

export interface WaldSprt {
  /** Upper boundary A = ln((1 − β)/α): crossing it rejects H₀ (roll back). */
  upper: number;
  /** Lower boundary B = ln(β/(1 − α)): crossing it accepts H₀ ("OK for this metric"). */
  lower: number;
  /** Log-likelihood-ratio increment per event (error) and per non-event. */
  stepEvent: number;
  stepNonEvent: number;
  /** Λ_n = x·ln(p₁/p₀) + (n − x)·ln((1 − p₁)/(1 − p₀)). */
  llr(n: number, x: number): number;
  decide(n: number, x: number): "reject" | "accept" | "continue";
  /** Clean (event-free) observations needed to accept H₀ from the start. */
  cleanToAccept: number;
}

/** Worked example (§6.3b): p₀ = 1%, p₁ = 3%, α = .05, β = .2 → A = 2.773, B = −1.558, 77 clean. */
export function waldSprt(p0: number, p1: number, alpha: number, beta: number): WaldSprt {
  const stepEvent = Math.log(p1 / p0);
  const stepNonEvent = Math.log((1 - p1) / (1 - p0));
  const upper = Math.log((1 - beta) / alpha);
  const lower = Math.log(beta / (1 - alpha));
  const llr = (n: number, x: number): number => x * stepEvent + (n - x) * stepNonEvent;
  return {
    upper,
    lower,
    stepEvent,
    stepNonEvent,
    llr,
    decide(n, x) {
      const l = llr(n, x);
      return l >= upper ? "reject" : l <= lower ? "accept" : "continue";
    },
    cleanToAccept: Math.ceil(lower / stepNonEvent),
  };
}

// --- Mixtures --------------------------------------------------------------------------------

/** One component of a discrete mixture alternative: a value and its prior weight (Σ w = 1). */
export interface MixtureComponent {
  value: number;
  weight: number;
}

function mix(components: readonly MixtureComponent[], logLr: (value: number) => number): number {
  let out = -Infinity;
  for (const c of components) if (c.weight > 0) out = logAddExp(out, Math.log(c.weight) + logLr(c.value));
  return out;
}

/** Two arms' event counts and exposures in one stratum (a route). Counts may be fractional. */
export interface RateStratum {
  xc: number;
  nc: number;
  xb: number;
  nb: number;
}

/**
 * Conditional sequential test of a rate ratio R = p_c / p_b (H₀: R = 1), stratified.
 *
 * Given the exposures, each event independently lands on the candidate with probability
 * π(R) = R·n_c/(R·n_c + n_b) — the conditioning argument of the exact test in §6.3a, applied to
 * the event stream instead of one fixed sample (Kulldorff et al. 2011, "A maximized sequential
 * probability ratio test for drug and vaccine safety surveillance", conditional version). The
 * baseline's own uncertainty is therefore accounted for exactly, shared-cause errors (both
 * arms failing together) do not count against the candidate, and strata (routes) multiply.
 * The alternative is a discrete mixture over ratios, so one test is fast for both a 3× error
 * rate and a broken route. Returns ln LR; 0 when there is no information.
 */
export function rateRatioLogLr(strata: readonly RateStratum[], ratios: readonly MixtureComponent[]): number {
  const usable = strata.filter((s) => s.nc > 0 && s.nb > 0 && s.xc + s.xb > 0);
  if (usable.length === 0) return 0;
  return mix(ratios, (r) => {
    let sum = 0;
    for (const s of usable) {
      const pi0 = s.nc / (s.nc + s.nb);
      const pi1 = (r * s.nc) / (r * s.nc + s.nb);
      sum += s.xc * Math.log(pi1 / pi0) + s.xb * Math.log((1 - pi1) / (1 - pi0));
    }
    return sum;
  });
}

/**
 * One-sample sequential test of a proportion, H₀: p = p₀ (the boundary of p ≤ p₀) against a
 * mixture of alternatives p₁ > p₀. Used for parity mismatches against the configured margin.
 */
export function proportionLogLr(x: number, n: number, p0: number, alternatives: readonly MixtureComponent[]): number {
  if (n <= 0) return 0;
  return mix(alternatives, (p1) => x * Math.log(p1 / p0) + (n - x) * Math.log((1 - p1) / (1 - p0)));
}

/**
 * Sequential test that the candidate/baseline split does not depend on the response status
 * ("status-code mix", research §6.5). Conditional on each response's status, its arm is
 * Bernoulli(π) under H₀ for one common π; under H₁ each status s has its own π_s drawn from a
 * Beta(κ·m, κ·(1 − m)) prior centred on the expected candidate share m (the stage weight,
 * fixed before the data). The Bayes factor
 *   Π_s B(a + c_s, b + b_s)/B(a, b)  ÷  sup_π π^{C}(1 − π)^{B}
 * uses the maximised null, which only lowers it, so Ville's bound still holds (the ratio to
 * the true-π null is a martingale). A single status can never reject (a mixture never beats
 * the maximum), so the test only reacts to a *shift* between statuses: 400 → 422, 200 → 307.
 */
export function compositionLogBf(
  candidate: readonly number[],
  baseline: readonly number[],
  priorMean: number,
  concentration: number,
): number {
  const m = Math.min(Math.max(priorMean, 1e-4), 1 - 1e-4);
  const a = concentration * m;
  const b = concentration * (1 - m);
  let alt = 0;
  let totalC = 0;
  let totalB = 0;
  const base = lbeta(a, b);
  for (let i = 0; i < candidate.length; i++) {
    const c = candidate[i] ?? 0;
    const l = baseline[i] ?? 0;
    if (c + l <= 0) continue;
    alt += lbeta(a + c, b + l) - base;
    totalC += c;
    totalB += l;
  }
  if (totalC <= 0 || totalB <= 0) return 0;
  const pi = totalC / (totalC + totalB);
  const nullLog = totalC * Math.log(pi) + totalB * Math.log(1 - pi);
  return alt - nullLog;
}

/** Anytime-valid p-value from a log likelihood ratio: min(1, 1/LR). */
export function anytimePValue(logLr: number): number {
  return logLr <= 0 ? 1 : Math.exp(-logLr);
}
