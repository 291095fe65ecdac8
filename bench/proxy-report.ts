/**
 * Result model and markdown tables for bench/proxy.ts. Ratios and added latency are computed per
 * round (against direct / nginx measured in the same round) and then reduced to the median.
 */
import type { CaseName } from "./proxy-payloads.js";
import type { ConnsResult } from "./proxy-setup.js";
import type { ProbeResult, WrkResult } from "./proxy-procs.js";

export type TargetName = "direct" | "nginx" | "bare" | "cutover";
/** `bare` is bench/proxy-bare.ts: a minimal undici dispatch proxy, the floor for a Node proxy here. */
export const TARGETS: readonly TargetName[] = ["direct", "nginx", "bare", "cutover"];

export interface LoadRun {
  case: CaseName;
  round: number;
  target: TargetName;
  wrk: WrkResult;
  /** utime+stime of the proxy process tree ÷ requests (null for direct). */
  proxyCpuUs: number | null;
  /** Both backends' CPU ÷ requests. */
  backendCpuUs: number;
  rssMaxMiB: number | null;
  cpuBusyPct: number[];
  stealPct: number[];
  /** CPU used by processes the harness did not start, in % of one core (interference). */
  otherPct: number;
}

export interface ProbeRun {
  case: CaseName;
  round: number;
  target: TargetName;
  probe: ProbeResult;
}

export interface Results {
  startedAt: string;
  host: { cpus: number; node: string; nginx: string; wrk: string; kernel: string };
  options: Record<string, unknown>;
  loadBefore: string;
  loadAfter: string;
  loadPerCase: Record<string, { before: string; after: string }>;
  backendsSeen: Record<string, string[]>;
  cutoverShare: Record<string, number>;
  idleRssMiB: Record<string, number>;
  runs: LoadRun[];
  probes: ProbeRun[];
  conns: Record<string, ConnsResult>;
  workers: string;
}

export const TARGET_GOALS = { ratioNginx: 0.5, addedP50Us: 80, rss1000MiB: 150 };

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

const f0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toString() : "–");
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : "–");
const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : "–");
const signed = (x: number): string => (Number.isFinite(x) ? `${x >= 0 ? "+" : "−"}${Math.abs(Math.round(x))}` : "–");

function runsOf(r: Results, c: CaseName, t: TargetName): LoadRun[] {
  return r.runs.filter((x) => x.case === c && x.target === t);
}

/** perRound pairs a target's runs with a reference's runs of the same round. */
function perRound<T extends { round: number }>(a: readonly T[], b: readonly T[], f: (x: T, y: T) => number): number[] {
  const out: number[] = [];
  for (const x of a) {
    const y = b.find((z) => z.round === x.round);
    if (y) out.push(f(x, y));
  }
  return out;
}

export interface CaseSummary {
  rps: number;
  rpsMin: number;
  rpsMax: number;
  vsDirect: number;
  vsNginx: number;
  loadP50Ms: number;
  loadP99Ms: number;
  seqP50: number;
  seqP99: number;
  addedP50: number;
  addedP99: number;
  proxyCpuUs: number;
  backendCpuUs: number;
  rssMax: number;
  errors: number;
  cpu0: number;
  cpu1: number;
  other: number;
}

export function summarise(r: Results, c: CaseName, t: TargetName): CaseSummary {
  const runs = runsOf(r, c, t);
  const rps = runs.map((x) => x.wrk.rps);
  const ratio = (ref: TargetName): number => median(perRound(runs, runsOf(r, c, ref), (x, y) => x.wrk.rps / y.wrk.rps));
  const probes = r.probes.filter((x) => x.case === c && x.target === t);
  const direct = r.probes.filter((x) => x.case === c && x.target === "direct");
  const errs = (w: WrkResult): number =>
    w.errors.connect + w.errors.read + w.errors.write + w.errors.status + w.errors.timeout;
  return {
    rps: median(rps),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    vsDirect: ratio("direct"),
    vsNginx: ratio("nginx"),
    loadP50Ms: median(runs.map((x) => x.wrk.latUs.p50 / 1000)),
    loadP99Ms: median(runs.map((x) => x.wrk.latUs.p99 / 1000)),
    seqP50: median(probes.map((x) => x.probe.p50)),
    seqP99: median(probes.map((x) => x.probe.p99)),
    addedP50: median(perRound(probes, direct, (x, y) => x.probe.p50 - y.probe.p50)),
    addedP99: median(perRound(probes, direct, (x, y) => x.probe.p99 - y.probe.p99)),
    proxyCpuUs: median(runs.map((x) => x.proxyCpuUs ?? Number.NaN)),
    backendCpuUs: median(runs.map((x) => x.backendCpuUs)),
    rssMax: Math.max(...runs.map((x) => x.rssMaxMiB ?? Number.NaN)),
    errors: runs.reduce((a, x) => a + errs(x.wrk), 0) + probes.reduce((a, x) => a + x.probe.errors, 0),
    cpu0: median(runs.map((x) => x.cpuBusyPct[0] ?? Number.NaN)),
    cpu1: median(runs.map((x) => x.cpuBusyPct[1] ?? Number.NaN)),
    other: median(runs.map((x) => x.otherPct)),
  };
}

const CASE_TITLES: Record<CaseName, string> = {
  small: "GET /small (200-byte JSON)",
  large: "GET /large (16 KiB JSON)",
  post: "POST /echo (4 KiB JSON echoed)",
};

export function caseTable(r: Results, c: CaseName): string {
  const rounds = new Set(r.runs.filter((x) => x.case === c).map((x) => x.round)).size;
  const lines = [
    `### Case \`${c}\`: ${CASE_TITLES[c]} — ${rounds} round(s)`,
    "",
    "| configuration | req/s median (min–max) | ÷ direct | ÷ nginx | p50 / p99 under load (ms) | p50 / p99 sequential (µs) | added p50 / p99 vs direct (µs) | proxy CPU µs/req | backend CPU µs/req | proxy RSS MiB idle / max under load | CPU0 / CPU1 busy %, others' CPU % | errors |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const t of TARGETS) {
    if (!r.runs.some((x) => x.case === c && x.target === t)) continue;
    const s = summarise(r, c, t);
    const isDirect = t === "direct";
    lines.push(
      `| ${t} | **${f0(s.rps)}** (${f0(s.rpsMin)}–${f0(s.rpsMax)}) | ${f2(s.vsDirect)} | ${f2(s.vsNginx)} | ` +
        `${f2(s.loadP50Ms)} / ${f2(s.loadP99Ms)} | ${f0(s.seqP50)} / ${f0(s.seqP99)} | ` +
        `${isDirect ? "–" : `${signed(s.addedP50)} / ${signed(s.addedP99)}`} | ${isDirect ? "–" : f1(s.proxyCpuUs)} | ` +
        `${f1(s.backendCpuUs)} | ${isDirect ? "–" : `${f0(r.idleRssMiB[t] ?? Number.NaN)} / ${f0(s.rssMax)}`} | ` +
        `${f0(s.cpu0)} / ${f0(s.cpu1)}, ${f0(s.other)} | ${s.errors} |`,
    );
  }
  return lines.join("\n");
}

export function connsLines(r: Results): string[] {
  return Object.entries(r.conns).map(
    ([k, v]) =>
      `- **${k}**: ${v.conns} idle keep-alive connections (each served one GET /small; ${v.stillOpen} still open ` +
      `when sampled, opened in ${v.ms} ms): RSS **${f0(v.rssMiB)} MiB** (before: ${f0(v.rssBeforeMiB)} MiB, ` +
      `+${f1(v.rssMiB - v.rssBeforeMiB)} MiB)`,
  );
}

export function targetLines(r: Results, cases: readonly CaseName[]): string[] {
  const out: string[] = [];
  const mark = (ok: boolean): string => (ok ? "**met**" : "**MISSED**");
  for (const c of cases) {
    if (!r.runs.some((x) => x.case === c && x.target === "cutover")) continue;
    const s = summarise(r, c, "cutover");
    const bare = r.runs.some((x) => x.case === c && x.target === "bare") ? summarise(r, c, "bare") : undefined;
    out.push(
      `- ${c}: cutover ÷ nginx req/s = ${f2(s.vsNginx)} (goal ≥ ${TARGET_GOALS.ratioNginx}) → ${mark(s.vsNginx >= TARGET_GOALS.ratioNginx)}; ` +
        `added p50 = ${signed(s.addedP50)} µs (goal ≤ ${TARGET_GOALS.addedP50Us}) → ${mark(s.addedP50 <= TARGET_GOALS.addedP50Us)}` +
        (bare
          ? `. For reference, the bare undici proxy: ${f2(bare.vsNginx)} × nginx, added p50 ${signed(bare.addedP50)} µs, ` +
            `${f1(bare.proxyCpuUs)} µs CPU/req (cutover ${f1(s.proxyCpuUs)})`
          : ""),
    );
  }
  for (const [k, v] of Object.entries(r.conns)) {
    if (!k.startsWith("cutover")) continue;
    out.push(
      `- RSS with 1,000 open connections (${k}) = ${f0(v.rssMiB)} MiB (goal ≤ ${TARGET_GOALS.rss1000MiB}) → ${mark(v.rssMiB <= TARGET_GOALS.rss1000MiB)}`,
    );
  }
  return out;
}

export function renderAll(r: Results, cases: readonly CaseName[]): string {
  const share = r.cutoverShare;
  const total = (share.legacy ?? 0) + (share.candidate ?? 0);
  const parts = [
    `## cutover proxy benchmark — ${r.startedAt}`,
    "",
    `Host: ${r.host.cpus} CPUs, kernel ${r.host.kernel}, Node ${r.host.node}, ${r.host.nginx}, ${r.host.wrk}. ` +
      `Layout: backends + proxy on CPU ${String(r.options.proxyCpu)}, wrk + probe + harness on CPU ${String(r.options.clientCpu)}. ` +
      `wrk -t1 -c${String(r.options.conns)} -d${String(r.options.duration)}s; probe ${String(r.options.latDuration)} s per run after 500 warm-up requests.`,
    `Load average (1/5/15 min): before ${r.loadBefore}; after ${r.loadAfter}. Per case: ` +
      Object.entries(r.loadPerCase)
        .map(([c, l]) => `${c} ${l.before} → ${l.after}`)
        .join("; "),
    `Backends reached (x-backend) during the correctness check: ` +
      Object.entries(r.backendsSeen)
        .map(([k, v]) => `${k}: ${v.join("+")}`)
        .join(", ") +
      `. cutover split over the whole run: legacy ${share.legacy ?? 0}, candidate ${share.candidate ?? 0}` +
      (total ? ` (${f1((100 * (share.candidate ?? 0)) / total)}% candidate)` : "") +
      ".",
    "",
  ];
  for (const c of cases) if (r.runs.some((x) => x.case === c)) parts.push(caseTable(r, c), "");
  const n = Object.values(r.conns)[0]?.conns;
  if (n !== undefined) parts.push(`### Memory with ${n} open idle connections`, "", ...connsLines(r), "");
  parts.push("### Against the targets", "", ...targetLines(r, cases), "");
  parts.push(`Workers: ${r.workers}`);
  return parts.join("\n");
}
