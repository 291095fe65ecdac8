import { wilson, newcombe, type Interval } from "./intervals.js";
import type { RateStratum } from "./sequential.js";

/**
 * Promotion-gate bounds (research §6.3c, §6.4a): one-sided non-inferiority, computed on
 * effective (design-effect-adjusted) counts. A gate passes when the upper bound is inside the
 * margin, fails when the lower bound is outside it, and is inconclusive otherwise.
 */

export type GateStatus = "pass" | "fail" | "inconclusive";

export function gateStatus(bound: Interval, margin: number): GateStatus {
  if (bound.upper < margin) return "pass";
  if (bound.lower > margin) return "fail";
  return "inconclusive";
}

export interface StandardizedDifference extends Interval {
  candidateRate: number;
  /** Baseline rate standardised to the candidate's route mix (direct standardisation). */
  baselineRate: number;
  difference: number;
  candidateEffectiveN: number;
  baselineEffectiveN: number;
}

/**
 * Newcombe interval for p_c − p_b with the baseline standardised to the candidate's route mix
 * (weights w_r = n_c,r / n_c), so that a candidate that happens to serve more of an error-prone
 * route is not blamed for it (Simpson's paradox, §6.5). The standardised baseline's effective
 * size is p(1 − p)/Var with Var = Σ w_r² p_r(1 − p_r)/n_b,r (Kish), and both arms are divided by
 * their design effects. Strata without baseline requests are left out of both arms.
 */
export function standardizedDifference(
  strata: readonly RateStratum[],
  designEffect: { candidate: number; baseline: number },
  z: number,
): StandardizedDifference {
  const usable = strata.filter((s) => s.nc > 0 && s.nb > 0);
  const nc = usable.reduce((a, s) => a + s.nc, 0);
  const xc = usable.reduce((a, s) => a + s.xc, 0);
  if (nc <= 0) {
    return {
      lower: -1,
      upper: 1,
      candidateRate: 0,
      baselineRate: 0,
      difference: 0,
      candidateEffectiveN: 0,
      baselineEffectiveN: 0,
    };
  }
  let pb = 0;
  let variance = 0;
  let invN = 0;
  for (const s of usable) {
    const w = s.nc / nc;
    const p = s.xb / s.nb;
    pb += w * p;
    variance += (w * w * p * (1 - p)) / s.nb;
    invN += (w * w) / s.nb;
  }
  const nbEff = (pb > 0 && pb < 1 && variance > 0 ? (pb * (1 - pb)) / variance : 1 / invN) / designEffect.baseline;
  const ncEff = nc / designEffect.candidate;
  const pc = xc / nc;
  const d = newcombe(pc * ncEff, ncEff, pb * nbEff, nbEff, z);
  return {
    lower: d.lower,
    upper: d.upper,
    candidateRate: pc,
    baselineRate: pb,
    difference: d.difference,
    candidateEffectiveN: ncEff,
    baselineEffectiveN: nbEff,
  };
}

/**
 * Lower confidence bound for a quantile from n order statistics: the rank
 * n·q − z·√(n·q(1 − q)) (normal approximation to the binomial count below the quantile),
 * returned as a probability to look up in the histogram.
 */
export function quantileLowerLevel(n: number, q: number, z: number): number {
  if (n <= 0) return q;
  return Math.max(0, (n * q - z * Math.sqrt(n * q * (1 - q))) / n);
}

/** Wilson bound on a share, for the latency (share above a threshold) and parity gates. */
export function shareBound(x: number, n: number, z: number): Interval {
  return wilson(x, n, z);
}
