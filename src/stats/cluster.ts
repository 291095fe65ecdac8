/**
 * Per-user clustering (research §6.5). With sticky per-user assignment a user's requests are
 * not independent: one broken account can produce dozens of errors. Two tools:
 *
 * 1. The delta-method (cluster-robust, "ratio estimator") variance of R = ΣE_u / ΣN_u,
 *    Var(R) ≈ U/(U − 1) · Σ(E_u − R·N_u)² / (ΣN_u)², which equals
 *    (s²_E − 2R·s_EN + R²·s²_N)/(U·N̄²) in §6.5's notation (Cochran 1977 §6.11). Its ratio to
 *    the binomial variance R(1 − R)/ΣN is the design effect; dividing counts by it gives the
 *    "effective" sample that score intervals should use.
 * 2. A per-user cap for the sequential guardrails: a user's events count at most `cap`, and when
 *    they exceed it the user's exposure is scaled by the same factor, so the user's own rate is
 *    kept but their weight is bounded. One broken user then adds `cap` events of evidence,
 *    not hundreds, and is not averaged away either (their full counts still feed the gate).
 */

export interface ClusterCounts {
  n: number;
  events: number;
}

export interface ClusteredRatio {
  n: number;
  events: number;
  clusters: number;
  ratio: number;
  /** Cluster-robust variance of the ratio. */
  variance: number;
  /** Binomial variance R(1 − R)/n the same data would have if requests were independent. */
  binomialVariance: number;
  /** variance / binomialVariance, floored at 1 (clustering never makes evidence stronger). */
  designEffect: number;
}

export function clusteredRatio(users: Iterable<ClusterCounts>): ClusteredRatio {
  const n: number[] = [];
  const e: number[] = [];
  for (const u of users) {
    n.push(u.n);
    e.push(u.events);
  }
  return clusteredRatioOf(n, e);
}

/** clusteredRatio over parallel arrays of per-user requests and events. */
export function clusteredRatioOf(ns: ArrayLike<number>, es: ArrayLike<number>): ClusteredRatio {
  let n = 0;
  let events = 0;
  let clusters = 0;
  for (let i = 0; i < ns.length; i++) {
    const m = ns[i] ?? 0;
    if (m <= 0) continue;
    n += m;
    events += es[i] ?? 0;
    clusters++;
  }
  if (n <= 0) return { n, events, clusters, ratio: 0, variance: 0, binomialVariance: 0, designEffect: 1 };
  const ratio = events / n;
  const binomialVariance = (ratio * (1 - ratio)) / n;
  if (clusters < 2) {
    // One cluster: everything may be one user's doing; the whole sample is worth one request.
    const variance = ratio * (1 - ratio);
    return { n, events, clusters, ratio, variance, binomialVariance, designEffect: Math.max(1, n) };
  }
  let ss = 0;
  for (let i = 0; i < ns.length; i++) {
    const m = ns[i] ?? 0;
    if (m > 0) ss += ((es[i] ?? 0) - ratio * m) ** 2;
  }
  const variance = ((clusters / (clusters - 1)) * ss) / (n * n);
  const designEffect = binomialVariance > 0 ? Math.min(Math.max(1, variance / binomialVariance), n) : 1;
  return { n, events, clusters, ratio, variance, binomialVariance, designEffect };
}

/** Kish's design effect for cluster sizes under intra-cluster correlation ρ: 1 + (m̄_w − 1)ρ. */
export function designEffectFromIcc(sizes: Iterable<number>, icc: number): number {
  let s1 = 0;
  let s2 = 0;
  for (const m of sizes) {
    s1 += m;
    s2 += m * m;
  }
  if (s1 <= 0) return 1;
  return 1 + (s2 / s1 - 1) * Math.max(0, icc);
}

/** Weight that caps a user's events at `cap` while keeping their rate: min(1, cap / events). */
export function userCapWeight(events: number, cap: number): number {
  return events > cap ? cap / events : 1;
}
