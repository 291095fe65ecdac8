/**
 * Score intervals for proportions (research §6.3c). Counts may be fractional: the judge passes
 * design-effect-adjusted "effective" counts (x / deff, n / deff) to account for per-user
 * clustering, which is the usual way to carry a design effect into a Wilson interval
 * (Korn & Graubard 1998, "Confidence intervals for proportions with small expected numbers").
 */

export interface Interval {
  lower: number;
  upper: number;
}

/**
 * Wilson score interval for x successes of n at normal quantile z:
 * centre = (x + z²/2)/(n + z²), half-width = z·√(x(n − x)/n + z²/4)/(n + z²).
 */
export function wilson(x: number, n: number, z: number): Interval {
  if (!(n > 0)) return { lower: 0, upper: 1 };
  const xx = Math.min(Math.max(x, 0), n);
  const z2 = z * z;
  const centre = (xx + z2 / 2) / (n + z2);
  const half = (z * Math.sqrt((xx * (n - xx)) / n + z2 / 4)) / (n + z2);
  return { lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

export interface DifferenceInterval extends Interval {
  /** Point estimate d = p̂_c − p̂_b. */
  difference: number;
}

/**
 * Newcombe's hybrid score interval for d = p_c − p_b (Newcombe 1998, method 10), built from the
 * two Wilson intervals [l_c, u_c] and [l_b, u_b]:
 * L = d − √((p̂_c − l_c)² + (u_b − p̂_b)²), U = d + √((u_c − p̂_c)² + (p̂_b − l_b)²).
 * With one-sided use (non-inferiority) pass z = z_{1−α}; the gate passes iff U < δ.
 */
export function newcombe(xc: number, nc: number, xb: number, nb: number, z: number): DifferenceInterval {
  const pc = nc > 0 ? xc / nc : 0;
  const pb = nb > 0 ? xb / nb : 0;
  const c = wilson(xc, nc, z);
  const b = wilson(xb, nb, z);
  const d = pc - pb;
  return {
    difference: d,
    lower: d - Math.sqrt((pc - c.lower) ** 2 + (b.upper - pb) ** 2),
    upper: d + Math.sqrt((c.upper - pc) ** 2 + (pb - b.lower) ** 2),
  };
}
