/**
 * Tables for bench/mirror.ts: client latency of (A) mirrored vs (B) unmirrored, the p99 ratio
 * against the issue's ≤ 5 % target, RSS of A, the mirror's compared/skipped counts, the noise on
 * the machine; and, for `--profile`, where A spends CPU on the mirror/diff path.
 */
import type { LoadResult, Pct } from "./mirror-load.js";
import type { ProfileSummary } from "./proxy-profile.js";

export type ConfigName = "A" | "B";
export const TARGET_P99_RISE = 0.05;

export interface Calibration {
  /** The maxima the rate is based on: A's sustained paced rate, B's wrk figure. */
  maxRps: Record<ConfigName, number>;
  /** Closed-loop wrk -c50 req/s, and the mirror skips during it (A sheds mirrors at saturation). */
  wrkMax: Record<ConfigName, number>;
  skippedAtWrkMax: Record<ConfigName, number>;
  ramp: { rate: number; rps: number; p50: number; p99: number; skipped: number; errors: number; ok: boolean }[];
  fraction: number;
  rate: number;
  seconds: number;
}

export interface Run {
  round: number;
  config: ConfigName;
  rate: number;
  load: LoadResult;
  gatewayCpuUsPerReq: number;
  legacyCpuUsPerReq: number;
  candidateCpuUsPerReq: number;
  cpuBusyPct: number[];
  otherPct: number;
  rssMiB: {
    first: number;
    min: number;
    max: number;
    last: number;
    firstThirdMax: number;
    lastThirdMax: number;
    samples: number[];
  };
  heapUsedMiB: number;
  /** Deltas from /metrics over the load (warm-up + measured). */
  metrics: { mirror: Record<string, number>; skipped: Record<string, number>; requests: Record<string, number> };
  backends: { legacyServed: number; candidateServed: number; candidateMirrored: number };
  findings: { compared: number; findings: string[] } | undefined;
  loadAvg: { before: string; after: string };
}

export interface MirrorResults {
  startedAt: string;
  host: { cpus: number; node: string; kernel: string };
  source: { head: string; dirtySrc: string[] };
  options: {
    rounds: number;
    duration: number;
    warmup: number;
    loadFraction: number;
    conns: number;
    legacyMs: number;
    candidateMs: number;
    pinned: boolean;
    layout: string;
    gatewayCpu: string;
    legacyCpu: string;
    candidateCpu: string;
    clientCpu: string;
  };
  calibration: Calibration | undefined;
  rate: number;
  loadBefore: string;
  loadAfter: string;
  runs: Run[];
  /** One longer A run after the rounds, for the RSS trend; not in the ratio. */
  soak: Run | undefined;
  pooled: Record<ConfigName, { n: number; latMs: Pct }>;
}

const f2 = (v: number): string => (Number.isFinite(v) ? v.toFixed(2) : "–");
const f1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : "–");
const f0 = (v: number): string => (Number.isFinite(v) ? Math.round(v).toString() : "–");
const pctStr = (r: number): string => (Number.isFinite(r) ? `${r >= 0 ? "+" : ""}${(100 * r).toFixed(1)} %` : "–");
const sumOf = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const errorsOf = (l: LoadResult): number => {
  const e = l.errors;
  return e.status + e.body + e.wrongBackend + e.transport + e.unfinished;
};
const counts = (r: Record<string, number>): string =>
  Object.entries(r)
    .filter(([, v]) => v !== 0)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "none";
function addAll(rs: Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

export interface RoundRatio {
  round: number;
  order: string;
  a: Run;
  b: Run;
  p99: number;
  p999: number;
}

export function roundRatios(runs: readonly Run[]): RoundRatio[] {
  const out: RoundRatio[] = [];
  const rounds = [...new Set(runs.map((r) => r.round))];
  for (const round of rounds) {
    const inRound = runs.filter((r) => r.round === round);
    const a = inRound.find((r) => r.config === "A");
    const b = inRound.find((r) => r.config === "B");
    if (!a || !b) continue;
    out.push({
      round,
      order: inRound.map((r) => r.config).join(""),
      a,
      b,
      p99: a.load.latMs.p99 / b.load.latMs.p99 - 1,
      p999: a.load.latMs.p999 / b.load.latMs.p999 - 1,
    });
  }
  return out;
}

export function renderReport(r: MirrorResults): string {
  const o = r.options;
  const L: string[] = [];
  const runsOf = (c: ConfigName): Run[] => r.runs.filter((x) => x.config === c);
  const ratios = roundRatios(r.runs);
  const medRatio = median(ratios.map((x) => x.p99));
  const pooledRatio = r.pooled.A.latMs.p99 / r.pooled.B.latMs.p99 - 1;
  const medRatio999 = median(ratios.map((x) => x.p999));

  L.push(`## cutover mirror overhead: 100 % of GETs mirrored to a ${o.candidateMs / o.legacyMs}× slower candidate`, "");
  L.push(
    `- source: HEAD ${r.source.head}` +
      (r.source.dirtySrc.length
        ? ` plus ${r.source.dirtySrc.length} uncommitted file(s) under src/ (${r.source.dirtySrc.map((s) => s.slice(3)).join(", ")})`
        : ", clean src/"),
    `- host: ${r.host.cpus} CPUs, node ${r.host.node}, kernel ${r.host.kernel}; ` +
      (o.pinned
        ? `layout \`${o.layout}\`: gateway on CPU ${o.gatewayCpu}, legacy on CPU ${o.legacyCpu}, candidate on CPU ${o.candidateCpu}, load + harness on CPU ${o.clientCpu}`
        : "not pinned"),
    `- backends: GET /api/orders/<1..256>, ~2 KiB JSON with request_id / generated_at / server_time_ms; ` +
      `legacy answers after a ${o.legacyMs} ms timer, candidate after ${o.candidateMs} ms and renames one field`,
    `- load: open-loop, ${r.rate} req/s paced, undici Pool of ${o.conns} connections; ${o.rounds} rounds × ` +
      `(A, B alternating order), each a fresh \`cutover run\`: ${o.warmup} s warm-up + ${o.duration} s measured`,
  );
  if (r.calibration) {
    const c = r.calibration;
    const last = c.ramp[c.ramp.length - 1];
    L.push(
      `- calibration: B ${f0(c.wrkMax.B)} req/s (wrk -t1 -c50, ${c.seconds} s, closed loop). A under the same wrk: ` +
        `${f0(c.wrkMax.A)} req/s, but shedding ${c.skippedAtWrkMax.A} mirrors at the concurrency cap, so A's maximum ` +
        `is taken from a paced ramp (3 s steps): sustained ${f0(c.maxRps.A)} req/s` +
        (last && !last.ok
          ? ` (at ${last.rate}: achieved ${f0(last.rps)}, p50 ${f2(last.p50)} ms, ${last.skipped} skipped → saturated)`
          : "") +
        `. Rate = ${c.fraction} × ${f0(Math.min(c.maxRps.A, c.maxRps.B))} = **${c.rate} req/s** ` +
        `(${f0((100 * c.rate) / c.maxRps.A)} % of A's max, ${f0((100 * c.rate) / c.maxRps.B)} % of B's)`,
    );
  }
  L.push(`- load average (1/5/15 min): before ${r.loadBefore}, after ${r.loadAfter}`, "");

  L.push(
    `### Client latency, pooled over all rounds (ms, from hand-off to the pool until the body is read)`,
    "",
    "| config | answers | req/s | p50 | p90 | p99 | p99.9 | max | errors | gateway CPU µs/req | CPU0 busy % | gateway RSS min–max MiB |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const c of ["A", "B"] as const) {
    const rs = runsOf(c);
    const p = r.pooled[c].latMs;
    L.push(
      `| ${c === "A" ? "A: mirror 100 %" : "B: no mirror"} | ${r.pooled[c].n} | ${f0(median(rs.map((x) => x.load.rps)))} | ` +
        `${f2(p.p50)} | ${f2(p.p90)} | ${f2(p.p99)} | ${f2(p.p999)} | ${f1(p.max)} | ` +
        `${rs.reduce((a, x) => a + errorsOf(x.load), 0)} | ${f0(median(rs.map((x) => x.gatewayCpuUsPerReq)))} | ` +
        `${f0(median(rs.map((x) => x.cpuBusyPct[0] ?? Number.NaN)))} | ` +
        `${f1(Math.min(...rs.map((x) => x.rssMiB.min)))}–${f1(Math.max(...rs.map((x) => x.rssMiB.max)))} |`,
    );
  }
  L.push("");

  L.push(
    `### Target: p99(A) / p99(B) − 1 ≤ ${100 * TARGET_P99_RISE} %`,
    "",
    "| round | order | p50 A | p50 B | p99 A | p99 B | **p99 ratio − 1** | p99.9 A | p99.9 B | p99.9 ratio − 1 | others' CPU % A / B | pacer lag p99 A / B | load avg after |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  );
  for (const x of ratios) {
    const a = x.a.load;
    const b = x.b.load;
    L.push(
      `| ${x.round} | ${x.order} | ${f2(a.latMs.p50)} | ${f2(b.latMs.p50)} | ${f2(a.latMs.p99)} | ${f2(b.latMs.p99)} | ` +
        `**${pctStr(x.p99)}** | ${f2(a.latMs.p999)} | ${f2(b.latMs.p999)} | ${pctStr(x.p999)} | ` +
        `${f0(x.a.otherPct)} / ${f0(x.b.otherPct)} | ${f2(a.lagMs.p99)} / ${f2(b.lagMs.p99)} | ${x.a.loadAvg.after} |`,
    );
  }
  const pa = r.pooled.A.latMs;
  const pb = r.pooled.B.latMs;
  L.push(
    `| median of rounds | | | | | | **${pctStr(medRatio)}** | | | ${pctStr(medRatio999)} | | | |`,
    `| pooled samples | | ${f2(pa.p50)} | ${f2(pb.p50)} | ${f2(pa.p99)} | ${f2(pb.p99)} | **${pctStr(pooledRatio)}** | ` +
      `${f2(pa.p999)} | ${f2(pb.p999)} | ${pctStr(pa.p999 / pb.p999 - 1)} | | | |`,
    "",
  );
  const spread = ratios.length
    ? `${pctStr(Math.min(...ratios.map((x) => x.p99)))} … ${pctStr(Math.max(...ratios.map((x) => x.p99)))}`
    : "–";
  const pass = medRatio <= TARGET_P99_RISE;
  L.push(
    `**Verdict (median of the paired rounds): p99 ${pctStr(medRatio)} → ${pass ? "MEETS" : "MISSES"} the ≤ ${100 * TARGET_P99_RISE} % target.** ` +
      `Pooled: ${pctStr(pooledRatio)}; per-round range ${spread}.`,
    "",
  );

  // Mirror accounting
  const as = runsOf("A");
  const mirror = addAll(as.map((x) => x.metrics.mirror));
  const skipped = addAll(as.map((x) => x.metrics.skipped));
  const sent = as.reduce((a, x) => a + x.load.sent + x.load.warmupSent, 0);
  const bMirror = sumOf(addAll(runsOf("B").map((x) => x.metrics.mirror)));
  L.push(
    "### Mirror accounting (A, all rounds, warm-up + measured; from the admin API /metrics)",
    "",
    "| requests sent | cutover_mirror_total (compared) | by outcome | cutover_mirror_skipped_total | by reason | candidate saw (x-cutover-mirror) |",
    "|---|---|---|---|---|---|",
    `| ${sent} | ${sumOf(mirror)} (${f1((100 * sumOf(mirror)) / Math.max(1, sent))} %) | ${counts(mirror)} | ` +
      `${sumOf(skipped)} | ${counts(skipped)} | ${as.reduce((a, x) => a + x.backends.candidateMirrored, 0)} |`,
    "",
    `B compared ${bMirror} (must be 0). Skips by reason \`concurrency\` happen when more than \`diff.max_concurrency\` ` +
      `(64) comparisons are in flight.`,
    "",
  );

  // RSS
  L.push(
    "### Gateway RSS (VmRSS from /proc every 0.5 s over the measured window, MiB)",
    "",
    "| round | config | first | min | max | last | max of first third | max of last third | V8 heap used at end |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  for (const x of [...r.runs].sort((p, q) =>
    p.config === q.config ? p.round - q.round : p.config < q.config ? -1 : 1,
  ))
    L.push(
      `| ${x.round} | ${x.config} | ${f1(x.rssMiB.first)} | ${f1(x.rssMiB.min)} | ${f1(x.rssMiB.max)} | ${f1(x.rssMiB.last)} | ` +
        `${f1(x.rssMiB.firstThirdMax)} | ${f1(x.rssMiB.lastThirdMax)} | ${f1(x.heapUsedMiB)} |`,
    );
  const growth = as.map((x) => x.rssMiB.lastThirdMax - x.rssMiB.firstThirdMax);
  L.push(
    "",
    `A: RSS min ${f1(Math.min(...as.map((x) => x.rssMiB.min)))} MiB, max ${f1(Math.max(...as.map((x) => x.rssMiB.max)))} MiB; ` +
      `growth from the first to the last third of a run: ${growth.map(f1).join(", ")} MiB ` +
      `(B max ${f1(Math.max(...runsOf("B").map((x) => x.rssMiB.max)))} MiB).`,
    "",
  );

  if (r.soak) {
    const k = r.soak;
    const per10 = [];
    for (let i = 0; i < k.rssMiB.samples.length; i += 20) per10.push(Math.max(...k.rssMiB.samples.slice(i, i + 20)));
    L.push(
      `**Soak** (one A run, ${k.load.seconds} s measured at ${k.rate} req/s, fresh process): RSS max per 10 s: ` +
        `${per10.map(f0).join(", ")} MiB; min ${f1(k.rssMiB.min)}, max ${f1(k.rssMiB.max)}, ` +
        `last-third max − first-third max ${f1(k.rssMiB.lastThirdMax - k.rssMiB.firstThirdMax)} MiB; V8 heap used at end ` +
        `${f1(k.heapUsedMiB)} MiB; client p99 ${f2(k.load.latMs.p99)} ms; compared ${sumOf(k.metrics.mirror)}, ` +
        `skipped ${sumOf(k.metrics.skipped)}.`,
      "",
    );
  }

  const withFindings = as.find((x) => x.findings);
  if (withFindings?.findings) {
    L.push(
      `### What A found (round ${withFindings.round}, /api/findings?noise=1: kind, path, class, count)`,
      "",
      ...withFindings.findings.findings.slice(0, 8).map((f) => `- ${f}`),
      "",
    );
  }

  L.push(
    "### Noise",
    "",
    `- Others' CPU % is CPU used during a measured window by processes the harness did not start, in % of one core ` +
      `(median A ${f0(median(as.map((x) => x.otherPct)))}, B ${f0(median(runsOf("B").map((x) => x.otherPct)))}; ` +
      `max ${f0(Math.max(...r.runs.map((x) => x.otherPct)))}). Above a few %, the machine was shared during the run.`,
    `- Pacer lag (slot → hand-off) p99: median ${f2(median(r.runs.map((x) => x.load.lagMs.p99)))} ms; it is not in the ` +
      `latency figures above (the JSON has \`fromSlotMs\`, which includes it).`,
    `- Drift within a run, p99 of the first / second half of the measured window (ms): ` +
      r.runs.map((x) => `${x.round}${x.config} ${f2(x.load.p99Halves[0])}/${f2(x.load.p99Halves[1])}`).join(", ") +
      ".",
    `- Backend CPU µs/req (median): legacy A ${f0(median(as.map((x) => x.legacyCpuUsPerReq)))}, ` +
      `candidate A ${f0(median(as.map((x) => x.candidateCpuUsPerReq)))} (they share CPU 0 with the gateway).`,
  );
  return L.join("\n");
}

// ---------------------------------------------------------------- profile

/** Where the mirror/diff path lives: cutover's own modules and the libraries only it uses. */
export const MIRROR_PATH =
  /^src\/(mirror|diff|noise|findings|redact|store)\/|^lossless-json\/|^better-sqlite3\/|^src\/route\/shape/;

export function renderProfiles(o: {
  rate: number;
  duration: number;
  warmup: number;
  loads: Record<ConfigName, LoadResult>;
  summaries: Record<ConfigName, ProfileSummary>;
  loadBefore: string;
  loadAfter: string;
}): string {
  const { summaries: s, loads } = o;
  const L: string[] = [
    `## cutover CPU profiles at ${o.rate} req/s (paced), ${o.warmup} s warm-up + ${o.duration} s each, node --cpu-prof`,
    "",
    `Load average before ${o.loadBefore}, after ${o.loadAfter}. Client p99 while profiled: ` +
      `A ${f2(loads.A.latMs.p99)} ms, B ${f2(loads.B.latMs.p99)} ms (profiling itself slows the gateway).`,
    "",
    "| area | A self ms | A % | B self ms | B % |",
    "|---|---|---|---|---|",
  ];
  const areas = [...new Set([...s.A.areas, ...s.B.areas].map((a) => a.area))];
  for (const a of areas) {
    const x = s.A.areas.find((v) => v.area === a);
    const y = s.B.areas.find((v) => v.area === a);
    L.push(`| ${a} | ${x?.selfMs ?? 0} | ${x?.pct ?? 0} | ${y?.selfMs ?? 0} | ${y?.pct ?? 0} |`);
  }
  const busy = (p: ProfileSummary): number =>
    p.areas.filter((a) => a.area !== "(idle)" && a.area !== "(program)").reduce((t, a) => t + a.selfMs, 0);
  L.push(
    "",
    `Busy (everything but idle and program): A ${f0(busy(s.A))} ms, B ${f0(busy(s.B))} ms → the mirror costs ` +
      `${f0(busy(s.A) - busy(s.B))} ms of gateway CPU over the run (${f0(((busy(s.A) - busy(s.B)) * 1000) / (o.rate * (o.duration + o.warmup)))} µs per request).`,
    "",
    "### A: top self time on the mirror/diff path (src/mirror, diff, noise, findings, redact, store; lossless-json, better-sqlite3)",
    "",
    "| # | function | where | self ms | % of A |",
    "|---|---|---|---|---|",
  );
  const mine = s.A.top.filter((t) => MIRROR_PATH.test(t.where));
  mine.slice(0, 25).forEach((t, i) => L.push(`| ${i + 1} | ${t.fn} | ${t.where} | ${t.selfMs} | ${t.pct} |`));
  L.push(
    "",
    `Sum of the mirror/diff path's self time: ${f1(mine.reduce((a, t) => a + t.selfMs, 0))} ms.`,
    "",
    "### A: top self time overall",
    "",
    "| # | function | where | area | self ms | % |",
    "|---|---|---|---|---|---|",
  );
  s.A.top
    .slice(0, 25)
    .forEach((t, i) => L.push(`| ${i + 1} | ${t.fn} | ${t.where} | ${t.area} | ${t.selfMs} | ${t.pct} |`));
  L.push(
    "",
    "### A: cutover's own functions, inclusive time",
    "",
    "| function | where | total ms | % |",
    "|---|---|---|---|",
  );
  for (const t of s.A.cutoverInclusive) L.push(`| ${t.fn} | ${t.where} | ${t.totalMs} | ${t.pct} |`);
  L.push("", "Where A's heaviest functions are called from:", "");
  for (const c of s.A.callers)
    for (const ch of c.chains) L.push(`- **${c.fn}** (${ch.ms} ms) ← ${ch.chain || "(root)"}`);
  return L.join("\n");
}
