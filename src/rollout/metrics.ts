import { cappedComposition, cappedErrors, cappedExceedances } from "../stats/capped.js";
import { clusteredRatioOf, twoArmDispersion } from "../stats/cluster.js";
import { cmh, gTest } from "../stats/contingency.js";
import { conditionalBinomialTest } from "../stats/binomial.js";
import { LatencyHistogram } from "../stats/histogram.js";
import type { Interval } from "../stats/intervals.js";
import {
  quantileLowerLevel,
  shareBound,
  standardizedDifference,
  type StandardizedDifference,
} from "../stats/noninferiority.js";
import {
  anytimePValue,
  compositionLogBf,
  proportionLogLr,
  rateRatioLogLr,
  type MixtureComponent,
  type RateStratum,
} from "../stats/sequential.js";
import { latencyLimit, type Margins } from "../stats/policy.js";
import type { UserSample } from "../stats/user-sample.js";

/**
 * The numbers behind each judged metric, computed from per-route arms (research §6.3–6.5).
 * Numbers only: the judge (src/rollout/judge.ts) turns them into checks, sentences and a
 * verdict. Sequential statistics use per-user capped counts (stats/capped.ts); gate bounds use
 * all requests with cluster-robust effective sizes (stats/cluster.ts, stats/noninferiority.ts).
 */

/** One target's requests on one route (a window cell satisfies it). */
export interface Arm {
  n: number;
  errors: number;
  latency: LatencyHistogram;
  users: UserSample;
}

export interface MetricPolicy {
  userCap: number;
  errorRatios: MixtureComponent[];
  tailRatios: MixtureComponent[];
  parityMultiples: MixtureComponent[];
  statusConcentration: number;
  minBaseline: number;
  /** Normal quantile of the gate's one-sided confidence. */
  z: number;
}

export interface RateEvidence extends RateStratum {
  logLr: number;
  p: number;
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const rate = (x: number, n: number): number => (n > 0 ? x / n : 0);
const full = (c: Arm | undefined, b: Arm | undefined): RateStratum => ({
  xc: c?.errors ?? 0,
  nc: c?.n ?? 0,
  xb: b?.errors ?? 0,
  nb: b?.n ?? 0,
});

// --- error rate ----------------------------------------------------------------------------------

export interface ErrorEvidence {
  /** Per route: all-request counts (for display) and the capped sequential statistic. */
  perRoute: RateEvidence[];
  all: RateEvidence & { cmhPGreater: number; exactP: number };
  /** Non-inferiority bound of the route-standardised difference, on effective sizes. */
  gate: StandardizedDifference;
  designEffect: { candidate: number; baseline: number };
  /** Overdispersion φ the sequential statistics were divided by (stats/cluster.ts). */
  dispersion: number;
  topUserErrors: number;
  usersWithErrors: number;
  sampledErrors: number;
}

export function errorEvidence(
  cand: readonly (Arm | undefined)[],
  base: readonly (Arm | undefined)[],
  p: MetricPolicy,
): ErrorEvidence {
  const cc = cappedErrors(
    cand.map((c) => c?.users),
    p.userCap,
  );
  const bc = cappedErrors(
    base.map((c) => c?.users),
    p.userCap,
  );
  const capped: RateStratum[] = cand.map((_, i) => ({
    xc: cc.perRoute[i]?.x ?? 0,
    nc: cc.perRoute[i]?.n ?? 0,
    xb: bc.perRoute[i]?.x ?? 0,
    nb: bc.perRoute[i]?.n ?? 0,
  }));
  const counts = cand.map((c, i) => full(c, base[i]));
  // Users that differ in how often they fail inflate the variance: temper the LRs by φ.
  const dispersion = twoArmDispersion(
    { n: cc.userN, events: cc.userErrors },
    { n: bc.userN, events: bc.userErrors },
    p.userCap,
  );
  const perRoute = counts.map((s, i) => {
    const logLr = rateRatioLogLr([capped[i] ?? s], p.errorRatios) / dispersion.phi;
    return { ...s, logLr, p: anytimePValue(logLr) };
  });
  const tot = {
    xc: sum(counts.map((s) => s.xc)),
    nc: sum(counts.map((s) => s.nc)),
    xb: sum(counts.map((s) => s.xb)),
    nb: sum(counts.map((s) => s.nb)),
  };
  const logLr = rateRatioLogLr(capped, p.errorRatios) / dispersion.phi;
  const designEffect = {
    candidate: clusteredRatioOf(cc.userN, cc.userErrors).designEffect,
    baseline: clusteredRatioOf(bc.userN, bc.userErrors).designEffect,
  };
  const strata = counts.map((s) => ({ a: s.xc, b: s.nc - s.xc, c: s.xb, d: s.nb - s.xb }));
  return {
    perRoute,
    all: {
      ...tot,
      logLr,
      p: anytimePValue(logLr),
      cmhPGreater: cmh(strata).pGreater,
      exactP: conditionalBinomialTest(tot.xc, tot.nc, tot.xb, tot.nb).p,
    },
    gate: standardizedDifference(counts, designEffect, p.z),
    designEffect,
    dispersion: dispersion.phi,
    topUserErrors: cc.topUserErrors,
    usersWithErrors: cc.usersWithErrors,
    sampledErrors: cc.sampledErrors,
  };
}

// --- status mix ----------------------------------------------------------------------------------

export interface StatusEvidence {
  candidateTotal: number;
  legacyTotal: number;
  /** Statuses by decreasing |candidate share − legacy share|. */
  shifts: { code: number; candidate: number; legacy: number }[];
  maxShift: number;
  logLr: number;
  p: number;
  /** Fixed-sample G-test p (statuses seen < 5 times pooled); null without data in both arms. */
  gTestP: number | null;
}

/** `expectedShare` is the candidate's expected share of requests (the stage weight). */
export function statusEvidence(
  cand: Arm | undefined,
  base: Arm | undefined,
  expectedShare: number,
  p: MetricPolicy,
): StatusEvidence {
  const cm = cappedComposition(cand?.users, p.userCap);
  const bm = cappedComposition(base?.users, p.userCap);
  const codes = [...new Set([...cm.keys(), ...bm.keys()])].sort((a, b) => a - b);
  const c = codes.map((s) => cm.get(s) ?? 0);
  const b = codes.map((s) => bm.get(s) ?? 0);
  const tc = sum(c);
  const tb = sum(b);
  const logLr = compositionLogBf(c, b, expectedShare, p.statusConcentration);
  const shifts = codes
    .map((code, j) => ({ code, candidate: rate(c[j] ?? 0, tc), legacy: rate(b[j] ?? 0, tb) }))
    .sort((x, y) => Math.abs(y.candidate - y.legacy) - Math.abs(x.candidate - x.legacy));
  const top = shifts[0];
  return {
    candidateTotal: tc,
    legacyTotal: tb,
    shifts,
    maxShift: top ? Math.abs(top.candidate - top.legacy) : 0,
    logLr,
    p: anytimePValue(logLr),
    gTestP: tc > 0 && tb > 0 ? gTestPooled(c, b) : null,
  };
}

function gTestPooled(c: number[], b: number[]): number {
  const rc = [0];
  const rb = [0];
  c.forEach((x, j) => {
    const y = b[j] ?? 0;
    if (x + y >= 5) {
      rc.push(x);
      rb.push(y);
    } else {
      rc[0] = (rc[0] ?? 0) + x;
      rb[0] = (rb[0] ?? 0) + y;
    }
  });
  return gTest([rc, rb]).p;
}

// --- latency tail --------------------------------------------------------------------------------

export interface TailEvidence {
  n: number;
  legacyP95: number;
  /** Pooled candidate + legacy p95: the sequential test's threshold (Mood's quantile test). */
  pooledP95: number;
  candidateP95: number;
  /** Candidate requests slower than legacy's p95 (all requests) and the capped count tested. */
  exceedances: number;
  cappedExceedances: number;
  logLr: number;
  p: number;
}

export interface LatencyEvidence {
  /** null for routes without `minBaseline` legacy requests (no trustworthy p95). */
  perRoute: (TailEvidence | null)[];
  all: { n: number; shareAboveMargin: number; logLr: number; p: number };
  /** Share of candidate requests above latencyLimit(the lower bound of legacy's p95). */
  gate: Interval & { n: number; above: number; share: number };
}

export function latencyEvidence(
  cand: readonly (Arm | undefined)[],
  base: readonly (Arm | undefined)[],
  margin: Pick<Margins, "p95" | "p95FloorMs">,
  p: MetricPolicy,
): LatencyEvidence {
  const strata: RateStratum[] = [];
  let gateAbove = 0;
  let gateN = 0;
  let aboveMargin = 0;
  const perRoute = cand.map((C, i): TailEvidence | null => {
    const B = base[i];
    if (!B || B.n < p.minBaseline) return null;
    const legacyP95 = B.latency.quantile(0.95);
    const pooledP95 = C ? LatencyHistogram.quantileOf([C.latency, B.latency], 0.95) : legacyP95;
    const xc = cappedExceedances(C?.users, pooledP95, p.userCap);
    const xb = cappedExceedances(B.users, pooledP95, p.userCap);
    const s = { xc: xc.x, nc: xc.n, xb: xb.x, nb: xb.n };
    strata.push(s);
    const logLr = rateRatioLogLr([s], p.tailRatios);
    const n = C?.n ?? 0;
    if (C && n > 0) {
      gateAbove += C.latency.countAbove(latencyLimit(B.latency.quantile(quantileLowerLevel(B.n, 0.95, p.z)), margin));
      aboveMargin += C.latency.countAbove(latencyLimit(legacyP95, margin));
      gateN += n;
    }
    return {
      n,
      legacyP95,
      pooledP95,
      candidateP95: C && n > 0 ? C.latency.quantile(0.95) : NaN,
      exceedances: C ? C.latency.countAbove(legacyP95) : 0,
      cappedExceedances: xc.x,
      logLr,
      p: anytimePValue(logLr),
    };
  });
  const logLr = rateRatioLogLr(strata, p.tailRatios);
  const bound = shareBound(gateAbove, gateN, p.z);
  return {
    perRoute,
    all: { n: gateN, shareAboveMargin: rate(aboveMargin, gateN), logLr, p: anytimePValue(logLr) },
    gate: { ...bound, n: gateN, above: gateAbove, share: rate(gateAbove, gateN) },
  };
}

// --- parity --------------------------------------------------------------------------------------

export interface ParityEvidence {
  n: number;
  mismatches: number;
  rate: number;
  logLr: number;
  p: number;
  /** Index of the route with the highest mismatch rate, if any mismatched. */
  worst: { index: number; rate: number } | null;
  gate: Interval;
}

/** Mismatches of mirrored comparisons against the parity margin (one-sample, §6.5 / §7.1). */
export function parityEvidence(
  routes: readonly ({ n: number; mismatches: number } | undefined)[],
  margin: number,
  p: MetricPolicy,
): ParityEvidence {
  let x = 0;
  let n = 0;
  let worst: ParityEvidence["worst"] = null;
  routes.forEach((r, index) => {
    if (!r) return;
    x += r.mismatches;
    n += r.n;
    const rr = rate(r.mismatches, r.n);
    if (r.mismatches > 0 && (!worst || rr > worst.rate)) worst = { index, rate: rr };
  });
  const p0 = Math.max(margin, 1e-6);
  const alts = p.parityMultiples.map((c) => ({ value: Math.min(0.5, c.value * p0), weight: c.weight }));
  const logLr = proportionLogLr(x, n, p0, alts);
  return { n, mismatches: x, rate: rate(x, n), logLr, p: anytimePValue(logLr), worst, gate: shareBound(x, n, p.z) };
}
