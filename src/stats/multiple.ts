/**
 * Holm's step-down procedure (Holm 1979), with optional weights (the weighted Holm of
 * Holm 1979 §5 / Westfall & Krishen 2001): hypotheses are ordered by p_i / w_i and the j-th is
 * rejected at α·w_i / (sum of the weights still in play). With equal weights it is the usual
 * Holm–Bonferroni. It controls the family-wise error rate under any dependence, and with
 * anytime-valid p-values it does so uniformly over time (a false rejection needs some true null
 * to reach α/m₀ at some look, and each does so with probability ≤ α/m₀ by Ville's inequality).
 */

export interface HolmResult {
  rejected: boolean[];
  /** Holm-adjusted p-values (reject iff adjusted ≤ α). */
  adjusted: number[];
  /** The level each hypothesis was (or would have been) compared with. */
  thresholds: number[];
}

export function holm(pValues: readonly number[], alpha: number, weights?: readonly number[]): HolmResult {
  const m = pValues.length;
  const w = pValues.map((_, i) => Math.max(weights?.[i] ?? 1, 1e-12));
  const order = pValues
    .map((_, i) => i)
    .sort((i, j) => (pValues[i] ?? 1) / (w[i] ?? 1) - (pValues[j] ?? 1) / (w[j] ?? 1));
  const rejected = new Array<boolean>(m).fill(false);
  const adjusted = new Array<number>(m).fill(1);
  const thresholds = new Array<number>(m).fill(0);
  let remaining = w.reduce((a, b) => a + b, 0);
  let running = 0;
  let stopped = false;
  for (const i of order) {
    const wi = w[i] ?? 1;
    const p = pValues[i] ?? 1;
    thresholds[i] = (alpha * wi) / remaining;
    running = Math.max(running, Math.min(1, (p * remaining) / wi));
    adjusted[i] = running;
    if (!stopped && p <= thresholds[i]) rejected[i] = true;
    else stopped = true;
    remaining -= wi;
  }
  return { rejected, adjusted, thresholds };
}
