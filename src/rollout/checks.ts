import type { Check, CheckName } from "./wire.js";
import { holm } from "../stats/multiple.js";
import { gateStatus } from "../stats/noninferiority.js";
import {
  errorEvidence,
  latencyEvidence,
  parityEvidence,
  statusEvidence,
  type Arm,
  type ErrorEvidence,
  type MetricPolicy,
} from "./metrics.js";
import { alphaShares, describeLatencyMargin, latencyLimit, type JudgePolicy, type Margins } from "../stats/policy.js";
import type { RateStratum } from "../stats/sequential.js";
import { finite, fmtMsShort, fmtN, fmtP, lrText, pct, pt, rate } from "../stats/format.js";

/**
 * Reported checks: each judged metric's evidence (stats/metrics.ts) as checks with one human
 * sentence and its numbers — guardrails with their anytime-valid p-values and α shares for the
 * judge's Holm step, and the promotion gates. The judge (src/rollout/judge.ts) decides.
 */

export type { Check, CheckName, CheckStatus } from "./wire.js";

/** A guardrail check with its anytime-valid p-value, α share and practical significance. */
export interface Guard {
  check: Check;
  p: number;
  share: number;
  practical: boolean;
}

/** One target on one route with its example request ids (a window cell satisfies it). */
export interface ReportArm extends Arm {
  errorIds: readonly string[];
  slowIds: readonly (readonly [number, string])[];
  statusIds: ReadonlyMap<number, readonly string[]>;
}

export interface ReportContext {
  routes: readonly string[];
  cand: readonly (ReportArm | undefined)[];
  base: readonly (ReportArm | undefined)[];
  parity: readonly ({ n: number; mismatches: number; ids: readonly string[] } | undefined)[];
  /** Parity per endpoint ("METHOD /template") of these routes, when the window counts it. */
  endpointParity?: readonly (readonly [string, { n: number; mismatches: number }])[];
  policy: JudgePolicy;
  metric: MetricPolicy;
  margins: Margins;
  /** Stage weight in percent (0 in shadow). */
  weight: number;
  shadow: boolean;
}

/** All checks of one evaluation, before the judge's Holm step. */
export function metricChecks(ctx: ReportContext): {
  guards: Guard[];
  gates: Check[];
  info: Check[];
  errors?: ErrorEvidence;
} {
  const guards: Guard[] = [];
  const gates: Check[] = [];
  const info: Check[] = [];
  let errors: ErrorEvidence | undefined;
  if (!ctx.shadow) {
    errors = errorEvidence(ctx.cand, ctx.base, ctx.metric);
    errorChecks(ctx, errors, guards, gates, info);
    statusChecks(ctx, guards, gates);
  }
  latencyChecks(ctx, guards, gates);
  parityChecks(ctx, guards, gates);
  return { guards, gates, info, ...(errors ? { errors } : {}) };
}

/** A gate that passes or waits (never fails): duration, sample size, coverage. */
export function gate(name: CheckName, ok: boolean, summary: string, numbers: Record<string, number>): Check {
  return {
    name,
    route: null,
    kind: "gate",
    status: ok ? "pass" : "inconclusive",
    gating: true,
    summary,
    numbers: finite(numbers),
  };
}

const conf = (p: JudgePolicy): string => `${Math.round(p.gateConfidence * 100)}%`;

export function guardCheck(
  name: CheckName,
  route: string | null,
  hasData: boolean,
  summary: string,
  numbers: Record<string, number>,
  examples?: readonly string[],
): Check {
  const check: Check = {
    name,
    route,
    kind: "guardrail",
    status: hasData ? "pass" : "inconclusive",
    gating: false,
    summary,
    numbers: finite(numbers),
  };
  if (examples?.length) check.examples = examples.slice(-5);
  return check;
}

export function errorChecks(
  ctx: ReportContext,
  ev: ErrorEvidence,
  guards: Guard[],
  gates: Check[],
  info: Check[],
): void {
  const { margins, policy } = ctx;
  const sh = alphaShares(ctx.policy, ctx.routes.length, ctx.shadow);
  const rateText = (s: RateStratum, where: string, llr: number): string =>
    `Candidate error rate ${pct(rate(s.xc, s.nc))} (${fmtN(s.xc)} of ${fmtN(s.nc)}) vs legacy ${pct(rate(s.xb, s.nb))} (${fmtN(s.xb)} of ${fmtN(s.nb)}) ${where}; ${lrText(llr)}.`;
  const nums = (s: RateStratum & { logLr: number; p: number }): Record<string, number> => ({
    n_candidate: s.nc,
    errors_candidate: s.xc,
    n_legacy: s.nb,
    errors_legacy: s.xb,
    log_lr: s.logLr,
    p: s.p,
  });
  ev.perRoute.forEach((s, i) => {
    const route = ctx.routes[i] ?? "";
    guards.push({
      check: guardCheck(
        "error_rate",
        route,
        s.nc > 0 && s.nb > 0,
        rateText(s, `on ${route}`, s.logLr),
        nums(s),
        ctx.cand[i]?.errorIds,
      ),
      p: s.p,
      share: sh.route,
      practical: rate(s.xc, s.nc) - rate(s.xb, s.nb) > margins.errorRate,
    });
  });
  const a = ev.all;
  guards.push({
    check: guardCheck(
      "error_rate",
      null,
      a.nc > 0 && a.nb > 0,
      rateText(a, "across all routes", a.logLr),
      {
        ...nums(a),
        cmh_p_greater: a.cmhPGreater,
        overdispersion: ev.dispersion,
        exact_p: a.exactP,
      },
      ctx.cand.flatMap((c) => c?.errorIds ?? []),
    ),
    p: a.p,
    share: sh.error,
    practical: ev.gate.difference > margins.errorRate,
  });
  const d = ev.gate;
  const st = a.nc > 0 && a.nb > 0 ? gateStatus(d, margins.errorRate) : "inconclusive";
  const rel = st === "pass" ? "within" : st === "fail" ? "beyond" : "not yet within";
  gates.push({
    name: "error_rate",
    route: null,
    kind: "gate",
    status: st,
    gating: true,
    summary: `Error rate: candidate ${pct(d.candidateRate)} vs legacy ${pct(d.baselineRate)} (standardised to the candidate's route mix); the ${conf(policy)} upper bound of the difference, ${pt(d.upper)}, is ${rel} the ${pt(margins.errorRate)} margin.`,
    numbers: finite({
      candidate_rate: d.candidateRate,
      legacy_rate: d.baselineRate,
      difference: d.difference,
      upper: d.upper,
      lower: d.lower,
      margin: margins.errorRate,
      design_effect_candidate: ev.designEffect.candidate,
      design_effect_legacy: ev.designEffect.baseline,
      effective_n_candidate: d.candidateEffectiveN,
    }),
  });
  // One user holding a large share of the errors: explain why the gate stays shut without a rollback.
  if (ev.topUserErrors >= 5 && ev.topUserErrors / ev.sampledErrors >= 0.25) {
    info.push({
      name: "error_concentration",
      route: null,
      kind: "info",
      status: "fail",
      gating: false,
      summary: `One user accounts for ${fmtN(ev.topUserErrors)} of ${fmtN(ev.sampledErrors)} sampled candidate errors (${fmtN(ev.usersWithErrors)} users had any): counted as at most ${policy.userCap} for rollback, in full for promotion.`,
      numbers: finite({
        top_user_errors: ev.topUserErrors,
        users_with_errors: ev.usersWithErrors,
        sampled_errors: ev.sampledErrors,
      }),
    });
  }
}

export function statusChecks(ctx: ReportContext, guards: Guard[], gates: Check[]): void {
  const sh = alphaShares(ctx.policy, ctx.routes.length, ctx.shadow);
  const tested: { route: string; p: number }[] = [];
  ctx.routes.forEach((route, i) => {
    const ev = statusEvidence(ctx.cand[i], ctx.base[i], ctx.weight / 100, ctx.metric);
    const top = ev.shifts.slice(0, 2).filter((s) => s.candidate !== s.legacy);
    const text = top
      .map((s) => `${s.code} is ${pct(s.candidate)} of candidate vs ${pct(s.legacy)} of legacy responses`)
      .join("; ");
    const over = ev.shifts.find((s) => s.candidate > s.legacy);
    const ids = over ? ctx.cand[i]?.statusIds.get(over.code) : undefined;
    const numbers = {
      n_candidate: ev.candidateTotal,
      n_legacy: ev.legacyTotal,
      max_shift: ev.maxShift,
      log_lr: ev.logLr,
      p: ev.p,
    };
    const summary = `Status mix on ${route} (non-error responses, per-user capped): ${text || "no difference"}; ${lrText(ev.logLr)}.`;
    guards.push({
      check: guardCheck("status_mix", route, ev.candidateTotal > 0 && ev.legacyTotal > 0, summary, numbers, ids),
      p: ev.p,
      share: sh.route,
      practical: ev.maxShift >= ctx.policy.statusMinShift,
    });
    if (ev.gTestP !== null) tested.push({ route, p: ev.gTestP });
  });
  const h = holm(
    tested.map((r) => r.p),
    ctx.policy.statusAlpha,
  );
  const shifted = tested.filter((_, i) => h.rejected[i]);
  gates.push({
    name: "status_mix",
    route: null,
    kind: "gate",
    status: shifted.length > 0 ? "fail" : "pass",
    gating: true,
    summary:
      shifted.length > 0
        ? `The status mix differs from legacy on ${shifted.map((r) => `${r.route} (G-test p = ${fmtP(r.p)})`).join(", ")}.`
        : `No route's status mix differs from legacy (G-test, Holm at ${ctx.policy.statusAlpha} over ${tested.length} routes).`,
    numbers: finite({
      routes_tested: tested.length,
      routes_shifted: shifted.length,
      min_p: Math.min(1, ...tested.map((r) => r.p)),
    }),
  });
}

export function latencyChecks(ctx: ReportContext, guards: Guard[], gates: Check[]): void {
  const { margins } = ctx;
  const sh = alphaShares(ctx.policy, ctx.routes.length, ctx.shadow);
  const ev = latencyEvidence(ctx.cand, ctx.base, margins, ctx.metric);
  ev.perRoute.forEach((t, i) => {
    if (!t) return;
    const route = ctx.routes[i] ?? "";
    const summary = `Latency on ${route}: candidate p95 ${fmtMsShort(t.candidateP95)} vs legacy ${fmtMsShort(t.legacyP95)}; ${fmtN(t.exceedances)} of ${fmtN(t.n)} candidate requests (${pct(rate(t.exceedances, t.n))}, 5% expected) were slower than legacy's p95; ${lrText(t.logLr)}.`;
    const numbers = {
      n_candidate: t.n,
      legacy_p95_ms: t.legacyP95,
      pooled_p95_ms: t.pooledP95,
      candidate_p95_ms: t.candidateP95,
      exceedances: t.exceedances,
      capped_exceedances: t.cappedExceedances,
      log_lr: t.logLr,
      p: t.p,
    };
    const ids = ctx.cand[i]?.slowIds.map(([, id]) => id);
    guards.push({
      check: guardCheck("latency_tail", route, t.n > 0, summary, numbers, ids),
      p: t.p,
      share: sh.route,
      // Slower only when worse by both parts of the margin: 2× of a sub-millisecond p95 is not a regression.
      practical: t.candidateP95 > latencyLimit(t.legacyP95, margins),
    });
  });
  const a = ev.all;
  const limit = `their route's legacy p95 ${describeLatencyMargin(margins)}`;
  guards.push({
    check: guardCheck(
      "latency_tail",
      null,
      a.n > 0,
      `Latency across routes: ${pct(a.shareAboveMargin)} of candidate requests were slower than ${limit} (5% allowed); ${lrText(a.logLr)}.`,
      {
        n_candidate: a.n,
        share_above_margin: a.shareAboveMargin,
        log_lr: a.logLr,
        p: a.p,
      },
    ),
    p: a.p,
    share: sh.latency,
    practical: a.shareAboveMargin > 0.05,
  });
  const g = ev.gate;
  gates.push({
    name: "latency_tail",
    route: null,
    kind: "gate",
    status: g.n > 0 ? gateStatus(g, 0.05) : "inconclusive",
    gating: true,
    summary: `p95 latency: ${pct(g.share)} of candidate requests were slower than legacy's p95 (its lower bound) ${describeLatencyMargin(margins)}; the ${conf(ctx.policy)} upper bound, ${pct(g.upper)}, must be under 5%.`,
    numbers: finite({
      n: g.n,
      above: g.above,
      share: g.share,
      upper: g.upper,
      lower: g.lower,
      margin: margins.p95,
      floor_ms: margins.p95FloorMs,
    }),
  });
}

export function parityChecks(ctx: ReportContext, guards: Guard[], gates: Check[]): void {
  const { margins } = ctx;
  const counts = ctx.parity;
  const ev = parityEvidence(counts, margins.parity, ctx.metric);
  // Pooled over the routes; the endpoints that differed are named, worst first.
  const differing = (ctx.endpointParity ?? [])
    .filter(([, c]) => c.mismatches > 0)
    .map(([e, c]) => ({ e, c, rate: c.mismatches / c.n }))
    .sort((a, b) => b.rate - a.rate || b.c.mismatches - a.c.mismatches || a.e.localeCompare(b.e));
  const worst = differing.length
    ? ` (by endpoint: ${differing
        .slice(0, 3)
        .map((d) => `${d.e} ${fmtN(d.c.mismatches)} of ${fmtN(d.c.n)}`)
        .join(", ")}${differing.length > 3 ? `, and ${differing.length - 3} more` : ""})`
    : ev.worst
      ? ` (worst: ${ctx.routes[ev.worst.index] ?? "?"}, ${pct(ev.worst.rate)})`
      : "";
  const ids = counts.flatMap((c) => c?.ids ?? []);
  const summary = `Mirrored answers differed from legacy in ${fmtN(ev.mismatches)} of ${fmtN(ev.n)} comparisons (${pct(ev.rate)}, margin ${pct(margins.parity)})${worst}; ${lrText(ev.logLr)}.`;
  const numbers = {
    n: ev.n,
    mismatches: ev.mismatches,
    rate: ev.rate,
    margin: margins.parity,
    log_lr: ev.logLr,
    p: ev.p,
    ...(ctx.endpointParity ? { endpoints_differing: differing.length } : {}),
  };
  guards.push({
    check: guardCheck("parity", null, ev.n > 0, summary, numbers, ids),
    p: ev.p,
    share: alphaShares(ctx.policy, ctx.routes.length, ctx.shadow).parity,
    practical: ev.rate > margins.parity,
  });
  if (!ctx.shadow) return;
  gates.push({
    name: "parity",
    route: null,
    kind: "gate",
    status: ev.n > 0 ? gateStatus(ev.gate, margins.parity) : "inconclusive",
    gating: true,
    summary: `Parity: ${fmtN(ev.mismatches)} mismatches in ${fmtN(ev.n)} mirrored comparisons; the ${conf(ctx.policy)} upper bound, ${pct(ev.gate.upper)}, must be under the ${pct(margins.parity)} margin.`,
    numbers: finite({
      n: ev.n,
      mismatches: ev.mismatches,
      upper: ev.gate.upper,
      lower: ev.gate.lower,
      margin: margins.parity,
    }),
  });
}
