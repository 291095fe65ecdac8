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

export interface Dispersion {
  /** φ ≥ 1: variance inflation of the conditional two-arm test; divide its log-LR by φ. */
  phi: number;
  /** Intra-user correlation estimated from the baseline. */
  icc: number;
  deffCandidate: number;
  deffBaseline: number;
}

/**
 * Overdispersion of the conditional event test when users differ (some users fail more than
 * others on both targets). The intra-user correlation ρ is estimated from the baseline's
 * per-user data (large, and it describes the same user population under H₀), via its
 * delta-method design effect: ρ = (deff_b − 1)/(m̄_b − 1) with m̄ = Σn²/Σn the size-weighted
 * mean cluster size. The candidate's design effect is then Kish's 1 + (m̄_c − 1)ρ on its own
 * users, and X_c − π₀E has variance π₀(1 − π₀)E·[(1 − π₀)deff_c + π₀·deff_b], so the test's
 * log-likelihood ratio is divided by φ = (1 − π₀)deff_c + π₀·deff_b — the quasi-likelihood
 * correction for overdispersion (McCullagh & Nelder 1989, §4.5; Wedderburn 1974). Per-user
 * values are capped first (userCapWeight), so one broken user cannot inflate φ and blunt the
 * test for everyone else.
 */
export function twoArmDispersion(
  candidate: { n: ArrayLike<number>; events: ArrayLike<number> },
  baseline: { n: ArrayLike<number>; events: ArrayLike<number> },
  cap: number,
): Dispersion {
  const capped = (a: {
    n: ArrayLike<number>;
    events: ArrayLike<number>;
  }): { n: Float64Array; e: Float64Array; mBar: number } => {
    const n = new Float64Array(a.n.length);
    const e = new Float64Array(a.n.length);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < a.n.length; i++) {
      const w = userCapWeight(a.events[i] ?? 0, cap);
      const m = w * (a.n[i] ?? 0);
      n[i] = m;
      e[i] = w * (a.events[i] ?? 0);
      s1 += m;
      s2 += m * m;
    }
    return { n, e, mBar: s1 > 0 ? s2 / s1 : 0 };
  };
  const b = capped(baseline);
  const c = capped(candidate);
  const deffBaseline = clusteredRatioOf(b.n, b.e).designEffect;
  const icc = b.mBar > 1 ? Math.min(1, Math.max(0, (deffBaseline - 1) / (b.mBar - 1))) : 0;
  const deffCandidate = 1 + Math.max(0, c.mBar - 1) * icc;
  let nc = 0;
  let nb = 0;
  for (const m of c.n) nc += m;
  for (const m of b.n) nb += m;
  const pi0 = nc + nb > 0 ? nc / (nc + nb) : 0;
  return { phi: Math.max(1, (1 - pi0) * deffCandidate + pi0 * deffBaseline), icc, deffCandidate, deffBaseline };
}
