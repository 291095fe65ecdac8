import { binomialPmf } from "./special.js";

/**
 * Exact binomial tails, summed from the first term by the ratio recurrence so that only terms
 * that matter are visited (a few hundred for n = 1e6 in the tail; at most ~40·√(npq) near the
 * mode). The first term comes from Loader's saddle-point density, so the tail keeps full
 * relative precision far out (no 1 − (1 − ε) cancellation on the side it sums).
 */

const REL = 1e-17;

/** P[X ≥ k] for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  if (k > n * p) return sumUp(k, n, p);
  // k is at or below the mean: the complement (a lower tail below the mode) converges fast.
  return Math.max(0, 1 - sumDown(k - 1, n, p));
}

/** P[X ≤ k] for X ~ Binomial(n, p). */
export function binomialLowerTail(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  if (p <= 0) return 1;
  if (p >= 1) return 0;
  if (k < n * p) return sumDown(k, n, p);
  return Math.max(0, 1 - sumUp(k + 1, n, p));
}

/** Σ_{i ≥ k} pmf(i), k above the mean (terms decrease). */
function sumUp(k: number, n: number, p: number): number {
  const ratio = p / (1 - p);
  let t = binomialPmf(k, n, p);
  let sum = t;
  for (let i = k; i < n && t > sum * REL; i++) {
    t *= ((n - i) / (i + 1)) * ratio;
    sum += t;
  }
  return Math.min(1, sum);
}

/** Σ_{i ≤ k} pmf(i), k below the mean (terms decrease going down). */
function sumDown(k: number, n: number, p: number): number {
  const ratio = (1 - p) / p;
  let t = binomialPmf(k, n, p);
  let sum = t;
  for (let i = k; i > 0 && t > sum * REL; i--) {
    t *= (i / (n - i + 1)) * ratio;
    sum += t;
  }
  return Math.min(1, sum);
}

export interface ConditionalTestResult {
  /** One-sided p-value for "the candidate's rate exceeds R₀ × the baseline's". */
  p: number;
  /** π₀ = R₀·n_c / (R₀·n_c + n_b): the share of events expected on the candidate under H₀. */
  pi0: number;
  /** Total events E = x_c + x_b the test conditions on. */
  events: number;
}

/**
 * Exact conditional test for two Poisson/binomial rates with a ratio margin R₀ ≥ 1
 * (research §6.3a): given E = x_c + x_b events, X_c | E ~ Binomial(E, π₀) under H₀, and
 * p = P[Binomial(E, π₀) ≥ x_c]. Exact, no normal approximation, handles a zero-event baseline.
 * Worked example: n_c=300, x_c=6, n_b=5700, x_b=30 → p = 0.0083 at R₀ = 1, 0.045 at R₀ = 1.5.
 */
export function conditionalBinomialTest(
  xc: number,
  nc: number,
  xb: number,
  nb: number,
  ratio0 = 1,
): ConditionalTestResult {
  const events = xc + xb;
  if (nc <= 0 || nb <= 0) return { p: 1, pi0: nc > 0 ? 1 : 0, events };
  const pi0 = (ratio0 * nc) / (ratio0 * nc + nb);
  return { p: binomialUpperTail(Math.round(xc), Math.round(events), pi0), pi0, events };
}

/**
 * Tail-exceedance test (research §6.4a): e of n candidate requests were slower than the
 * baseline's q-quantile; under H₀ e ~ Binomial(n, 1 − q). Worked example: n=60, e=9 → 0.0028.
 */
export function exceedanceTest(exceedances: number, n: number, quantile = 0.95): number {
  return binomialUpperTail(exceedances, n, 1 - quantile);
}
