import type { Histogram } from "hdr-histogram-js";
import { CutoverError } from "../errors/index.js";
import { ParityTally, type ParitySummary, type Side } from "./answer.js";
import type { BenchRequest } from "./input.js";
import { newHistogram, runPhase, type LoadMode, type PhaseOutcome } from "./load.js";
import { ProcessFinder, UsageMeter, type ProcessSelector, type ProcessUsage } from "./procs.js";

/**
 * runBench: the same requests as load against legacy and candidate, directly (no gateway). Each
 * load level (a concurrency, closed loop; a rate, open loop) runs `rounds` times per side,
 * interleaved legacy, candidate, legacy, candidate… so that drift of the machine (other load,
 * thermal, caches) hits both sides alike. Before the load, a check pass sends every request once
 * to each side: a dead side stops the bench, and the answers start the parity counts.
 */

export interface BenchSide {
  url: string;
  /** How to find the side's processes; default: the owner of the URL's port when it is local. */
  process?: ProcessSelector;
}

export interface BenchOptions {
  requests: BenchRequest[];
  /** The input file, for the report. */
  source: string;
  legacy: BenchSide;
  candidate: BenchSide;
  rounds: number;
  concurrency: number[];
  rates: number[];
  durationMs: number;
  timeoutMs: number;
  onProgress?: (line: string) => void;
}

export interface LatencyMs {
  avg: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface RoundResult {
  round: number;
  requests: number;
  errors: number;
  rps: number;
  p99Ms: number;
  cpuPercent: number | null;
  rssMiB: number | null;
}

export interface SideResult {
  requests: number;
  errors: number;
  /** Finished requests per second of wall time (answered or failed). */
  rps: number;
  latencyMs: LatencyMs;
  /** Backend CPU in percent of one core (mean over rounds); null when its processes were not found. */
  cpuPercent: number | null;
  /** Backend resident memory, MiB (peak over rounds); null when its processes were not found. */
  rssMiB: number | null;
  /** This load client's own CPU, percent of one core: near 100 means the client, not the side, was the limit. */
  clientCpuPercent: number;
  outcomes: Record<string, number>;
  rounds: RoundResult[];
  /** Latency CDF: [percentile, ms] points. */
  cdf: [number, number][];
}

export interface LoadResult {
  mode: LoadMode;
  /** Concurrency (closed) or target requests per second (open). */
  level: number;
  legacy: SideResult;
  candidate: SideResult;
}

export interface SideInfo {
  url: string;
  /** How its processes were found, e.g. `port 5000`; null when not measured. */
  process: string | null;
  pids: number[];
}

export interface BenchReport {
  startedAt: string;
  input: { source: string; requests: number; kinds: number };
  settings: { rounds: number; concurrency: number[]; rates: number[]; durationMs: number; timeoutMs: number };
  legacy: SideInfo;
  candidate: SideInfo;
  loads: LoadResult[];
  parity: ParitySummary;
}

const CDF_POINTS = [
  0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 97.5, 98, 98.5, 99, 99.5,
  99.9, 99.99, 100,
];
const ms = (us: number): number => Math.round(us) / 1000;
const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The default process selector: the port owner, for an upstream on this machine. */
export function defaultSelector(url: string): ProcessSelector | undefined {
  const u = new URL(url);
  if (!["127.0.0.1", "localhost", "[::1]", "0.0.0.0"].includes(u.hostname) && !u.hostname.startsWith("127."))
    return undefined;
  return { port: u.port ? Number(u.port) : u.protocol === "https:" ? 443 : 80 };
}

const describe = (s: ProcessSelector | undefined): string | null =>
  !s ? null : "pid" in s ? `pid ${s.pid}` : "port" in s ? `port ${s.port}` : `name ${s.name}`;

interface Measured {
  out: PhaseOutcome;
  usage: ProcessUsage | undefined;
  clientCpuPercent: number;
}

function summarise(phases: Measured[]): SideResult {
  const h: Histogram = newHistogram();
  const outcomes: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  let elapsed = 0;
  let clientCpu = 0;
  for (const p of phases) {
    h.add(p.out.histogram);
    requests += p.out.requests;
    errors += p.out.errors;
    elapsed += p.out.elapsedMs;
    clientCpu += p.clientCpuPercent;
    for (const [k, v] of Object.entries(p.out.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
  }
  const measured = phases.every((p) => p.usage);
  const empty = h.totalCount === 0;
  const at = (p: number): number => (empty ? 0 : ms(h.getValueAtPercentile(p)));
  const result: SideResult = {
    requests,
    errors,
    rps: round2(elapsed > 0 ? requests / (elapsed / 1000) : 0),
    latencyMs: { avg: empty ? 0 : ms(h.mean), p50: at(50), p95: at(95), p99: at(99), max: at(100) },
    cpuPercent: measured ? round2(phases.reduce((a, p) => a + (p.usage?.cpuPercent ?? 0), 0) / phases.length) : null,
    rssMiB: measured ? round2(Math.max(...phases.map((p) => p.usage?.rssMiB ?? 0))) : null,
    clientCpuPercent: round2(clientCpu / Math.max(1, phases.length)),
    outcomes,
    rounds: phases.map((p, i) => ({
      round: i + 1,
      requests: p.out.requests,
      errors: p.out.errors,
      rps: round2(p.out.elapsedMs > 0 ? p.out.requests / (p.out.elapsedMs / 1000) : 0),
      p99Ms: p.out.histogram.totalCount ? ms(p.out.histogram.getValueAtPercentile(99)) : 0,
      cpuPercent: p.usage ? round2(p.usage.cpuPercent) : null,
      rssMiB: p.usage ? round2(p.usage.rssMiB) : null,
    })),
    cdf: empty ? [] : CDF_POINTS.map((p) => [p, at(p)]),
  };
  h.destroy();
  for (const p of phases) p.out.histogram.destroy();
  return result;
}

export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const startedAt = new Date().toISOString();
  const tally = new ParityTally(opts.requests);
  const sideState = (cfg: BenchSide) => {
    const sel = cfg.process ?? defaultSelector(cfg.url);
    return { cfg, sel, finder: sel && new ProcessFinder(sel), pids: [] as number[] };
  };
  const sides = { legacy: sideState(opts.legacy), candidate: sideState(opts.candidate) };
  const progress = { done: 0 };
  const say = opts.onProgress ?? (() => undefined);
  const openConnections = Math.max(50, ...opts.concurrency);

  const phase = async (side: Side, mode: LoadMode, level: number, extra: { maxRequests?: number } = {}) => {
    const s = sides[side];
    const meter = s.finder && new UsageMeter(s.finder);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    meter?.start();
    const out = await runPhase(
      s.cfg.url,
      opts.requests,
      {
        mode,
        level,
        durationMs: extra.maxRequests ? opts.timeoutMs * 2 : opts.durationMs,
        connections: mode === "closed" ? level : openConnections,
        timeoutMs: opts.timeoutMs,
        ...extra,
      },
      { onAnswer: (i, fp) => tally.record(i, side, fp), progress },
    );
    const usage = meter?.stop();
    if (usage) s.pids = usage.pids;
    const cpu = process.cpuUsage(cpu0);
    const clientCpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
    return { out, usage, clientCpuPercent };
  };

  // Check pass: every request once per side (up to 200), sequentially.
  const checkCount = Math.min(opts.requests.length, 200);
  for (const side of ["legacy", "candidate"] as const) {
    say(`check · ${side} · ${checkCount} request(s)`);
    const { out } = await phase(side, "closed", 1, { maxRequests: checkCount });
    out.histogram.destroy();
    const answered =
      out.requests - Object.entries(out.outcomes).reduce((a, [k, v]) => a + (k.startsWith("error:") ? v : 0), 0);
    if (answered === 0) {
      const why = Object.keys(out.outcomes).join(", ") || "no answer";
      throw new CutoverError("CUTOVER_ERR_BENCH_UPSTREAM", `${side} ${sides[side].cfg.url}: ${why}`);
    }
  }

  const levels: [LoadMode, number][] = [
    ...opts.concurrency.map((c): [LoadMode, number] => ["closed", c]),
    ...opts.rates.map((r): [LoadMode, number] => ["open", r]),
  ];
  const loads: LoadResult[] = [];
  const total = levels.length * opts.rounds * 2;
  let n = 0;
  for (const [mode, level] of levels) {
    const got: Record<Side, Measured[]> = { legacy: [], candidate: [] };
    for (let r = 1; r <= opts.rounds; r++) {
      for (const side of ["legacy", "candidate"] as const) {
        n++;
        const label = `${mode === "closed" ? `concurrency ${level}` : `${level} req/s`} · round ${r}/${opts.rounds} · ${side}`;
        say(`[${n}/${total}] ${label}`);
        const start = progress.done;
        const ticker = setInterval(() => say(`[${n}/${total}] ${label} · ${progress.done - start} requests`), 500);
        try {
          got[side].push(await phase(side, mode, level));
        } finally {
          clearInterval(ticker);
        }
      }
    }
    loads.push({ mode, level, legacy: summarise(got.legacy), candidate: summarise(got.candidate) });
  }

  const info = (side: Side): SideInfo => ({
    url: sides[side].cfg.url,
    process: describe(sides[side].sel),
    pids: sides[side].pids,
  });
  return {
    startedAt,
    input: {
      source: opts.source,
      requests: opts.requests.length,
      kinds: new Set(opts.requests.map((r) => r.kind)).size,
    },
    settings: {
      rounds: opts.rounds,
      concurrency: opts.concurrency,
      rates: opts.rates,
      durationMs: opts.durationMs,
      timeoutMs: opts.timeoutMs,
    },
    legacy: info("legacy"),
    candidate: info("candidate"),
    loads,
    parity: tally.summary(),
  };
}
