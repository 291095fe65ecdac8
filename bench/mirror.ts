/**
 * Mirror overhead benchmark: what 100 % GET mirroring to a 10× slower candidate costs the client.
 * Issue target: client p99 through the gateway rises ≤ 5 % over no mirroring, and RSS stays bounded.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/mirror.js [--rounds 5] [--duration 20] [--warmup 5]
 *       [--load 0.6 | --rate N] [--calib 5] [--conns 64] [--legacy-ms 1] [--candidate-ms 10] [--soak 60] [--no-pin]
 *   node dist/bench/mirror.js --profile [--rate N] [--duration 20]   # A and B under node --cpu-prof
 *
 * (A) cutover with `mirror: { percent: 100 }` on the route, (B) the same config without `mirror:`.
 * Every run is a fresh `cutover run` process with a fresh store. Rounds alternate A/B and B/A.
 * Load is open-loop at a fixed rate (bench/mirror-load.ts), by default 60 % of the lower of the two
 * configurations' wrk-measured maximum. Backends (bench/mirror-backend.ts) and the gateway run on
 * CPU 0; the load process and this harness on CPU 1. Process plumbing, /proc sampling, wrk and the
 * profile summary are bench/proxy-*.ts's. Every run is bounded (`timeout`), all traffic is on
 * 127.0.0.1, and every child is killed on exit, Ctrl-C or error (and by the kernel, via
 * `setpriv --pdeathsig`, if the harness itself is killed). See bench/README.md.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { request } from "undici";
import { RENAMED_FROM } from "./mirror-backend.js";
import { percentiles, type LoadResult } from "./mirror-load.js";
import {
  renderProfiles,
  renderReport,
  type Calibration,
  type ConfigName,
  type MirrorResults,
  type Run,
} from "./mirror-report.js";
import { loadProfile, summariseProfile } from "./proxy-profile.js";
import {
  busyPct,
  CLK_TCK,
  collect,
  cpuSnap,
  cpuTicks,
  firstMatch,
  harnessDir,
  loadAvg,
  rssMiB,
  runWrk,
  spawnTracked,
  stopChild,
  treePids,
  wrkLua,
} from "./proxy-procs.js";
import { ADMIN_TOKEN, pidOf } from "./proxy-setup.js";
import type { ChildProcess } from "node:child_process";

const { values: opt } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "20" },
    warmup: { type: "string", default: "5" },
    load: { type: "string", default: "0.6" },
    rate: { type: "string" },
    calib: { type: "string", default: "5" },
    conns: { type: "string", default: "64" },
    "legacy-ms": { type: "string", default: "1" },
    "candidate-ms": { type: "string", default: "10" },
    "candidate-server": { type: "string", default: "http" },
    pause: { type: "string", default: "1" },
    "no-pin": { type: "boolean", default: false },
    layout: { type: "string", default: "spare" },
    soak: { type: "string", default: "60" },
    profile: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

const USAGE = `usage: node dist/bench/mirror.js [--rounds 5] [--duration 20] [--warmup 5] [--load 0.6 | --rate N]
    [--calib 5] [--conns 64] [--legacy-ms 1] [--candidate-ms 10] [--candidate-server http|raw] [--pause 1] [--soak 60] [--no-pin]
    [--layout spare|core]
  node dist/bench/mirror.js --profile [--rate N] [--duration 20] [--warmup 5]
`;

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const HERE = fileURLToPath(new URL(".", import.meta.url));
const rounds = Number(opt.rounds);
const duration = Number(opt.duration);
const warmup = Number(opt.warmup);
const loadFraction = Number(opt.load);
const calibSeconds = Number(opt.calib);
const conns = Number(opt.conns);
const legacyMs = Number(opt["legacy-ms"]);
const candidateMs = Number(opt["candidate-ms"]);
const candidateServer = opt["candidate-server"];
if (candidateServer !== "http" && candidateServer !== "raw") throw new Error("--candidate-server takes http or raw");
const pauseMs = Number(opt.pause) * 1000;
const soakSeconds = Number(opt.soak);
const pin = !opt["no-pin"] && cpus().length >= 2;
if (opt.layout !== "spare" && opt.layout !== "core") throw new Error("--layout takes spare or core");
/**
 * `spare` (default): legacy on CPU 0, the candidate with the load and the harness on CPU 1, the
 * gateway unpinned — its event loop and its comparison worker go where the kernel puts them, as on
 * a gateway host with a core to spare; the candidate's own work (it is another service) does not
 * land on the gateway's core. `core`: the gateway and both backends share CPU 0, so the candidate's
 * CPU for every mirrored request competes with the client's path (the worst case).
 */
const layout = opt.layout;
const CLIENT_CPU = pin ? "1" : undefined;
const LEGACY_CPU = pin ? "0" : undefined;
const CANDIDATE_CPU = pin ? (layout === "core" ? "0" : "1") : undefined;
const PROXY_CPU = pin && layout === "core" ? "0" : undefined;
const ROUTE = "orders";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => void process.stderr.write(s + "\n");

// ---------------------------------------------------------------- lifecycle

const { dir, cleanup } = harnessDir("cutover-bench-mirror-");

function preflight(): void {
  for (const f of ["/usr/bin/wrk", "/usr/bin/taskset", "/usr/bin/timeout"])
    if (!existsSync(f)) throw new Error(`${f} is missing (apt-get install -y wrk util-linux coreutils)`);
  for (const f of ["mirror-backend.js", "mirror-load.js"]
    .map((n) => join(HERE, n))
    .concat(join(REPO, "bin/cutover.js")))
    if (!existsSync(f)) throw new Error(`${f} is missing: build first (npx tsc -p tsconfig.json)`);
  if (!existsSync(join(REPO, "dist/src/cli/index.js"))) throw new Error("dist/src is missing: build first");
  if (CLIENT_CPU !== undefined) execFileSync("taskset", ["-a", "-p", "-c", CLIENT_CPU, String(process.pid)]);
}

/** The source state measured: HEAD plus what is uncommitted under src/ (others may be editing it). */
function sourceState(): { head: string; dirtySrc: string[] } {
  const git = (args: string[]): string => spawnSync("git", args, { cwd: REPO, encoding: "utf8" }).stdout.trim();
  return {
    head: git(["rev-parse", "--short", "HEAD"]),
    dirtySrc: git(["status", "--porcelain", "--", "src"]).split("\n").filter(Boolean),
  };
}

// ---------------------------------------------------------------- systems under test

interface Backend {
  name: string;
  origin: string;
  child: ChildProcess;
}

async function startBackend(name: "legacy" | "candidate", delayMs: number): Promise<Backend> {
  const server = name === "candidate" ? candidateServer : "http";
  const child = spawnTracked(process.execPath, [join(HERE, "mirror-backend.js"), name, String(delayMs), server], {
    cpu: name === "legacy" ? LEGACY_CPU : CANDIDATE_CPU,
    stdin: "pipe",
  });
  const m = await firstMatch(child, /"port":(\d+)/, 10_000, `backend ${name}`);
  return { name, origin: `http://127.0.0.1:${m[1]}`, child };
}

async function backendStats(b: Backend): Promise<{ served: number; mirrored: number }> {
  const r = await request(b.origin + "/__stats");
  return (await r.body.json()) as { served: number; mirrored: number };
}

export function gatewayYaml(o: { store: string; legacy: string; candidate: string; mirror: boolean }): string {
  return `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0, token: ${ADMIN_TOKEN} }
store: { path: ${o.store} }
log: { level: silent }
upstreams:
  legacy: { url: ${o.legacy} }
  candidate: { url: ${o.candidate} }
routes:
  - name: ${ROUTE}
    match: { path: /api/orders/:id, methods: [GET] }
${o.mirror ? "    mirror: { percent: 100 }\n" : ""}`;
}

interface Gateway {
  config: ConfigName;
  origin: string;
  admin: string;
  child: ChildProcess;
}

let runSeq = 0;
async function startGateway(config: ConfigName, backends: Backend[], nodeFlags: string[] = []): Promise<Gateway> {
  const runDir = join(dir, `run-${++runSeq}-${config}`);
  mkdirSync(runDir);
  const file = join(runDir, "cutover.yaml");
  const [legacy, candidate] = backends;
  writeFileSync(
    file,
    gatewayYaml({
      store: join(runDir, "state.db"),
      legacy: legacy!.origin,
      candidate: candidate!.origin,
      mirror: config === "A",
    }),
  );
  const args = [...nodeFlags, join(REPO, "bin/cutover.js"), "run", "-c", file, "--json"];
  const child = spawnTracked(process.execPath, args, { cpu: PROXY_CPU, cwd: runDir });
  const m = await firstMatch(child, /"listening":\s*"([^"]+)",\s*"admin":\s*"([^"]+)"/, 15_000, `cutover ${config}`);
  return { config, origin: m[1]!, admin: m[2]!, child };
}

/** metricsOf sums a counter family from the admin API's /metrics by one label. */
function family(text: string, name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^${name}\\{([^}]*)\\} ([0-9.e+-]+)$`, "gm");
  for (const m of text.matchAll(re)) {
    const v = new RegExp(`${label}="([^"]*)"`).exec(m[1] ?? "")?.[1] ?? "";
    out[v] = (out[v] ?? 0) + Number(m[2]);
  }
  return out;
}

interface Scrape {
  mirror: Record<string, number>;
  skipped: Record<string, number>;
  requests: Record<string, number>;
  heapUsedMiB: number;
}

async function scrape(gw: Gateway): Promise<Scrape> {
  const r = await request(gw.admin + "/metrics", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const text = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`/metrics: ${r.statusCode} ${text.slice(0, 200)}`);
  const heap = /^cutover_process_nodejs_heap_size_used_bytes ([0-9.e+]+)$/m.exec(text);
  return {
    mirror: family(text, "cutover_mirror_total", "outcome"),
    skipped: family(text, "cutover_mirror_skipped_total", "reason"),
    requests: family(text, "cutover_requests_total", "target"),
    heapUsedMiB: heap ? Number(heap[1]) / 2 ** 20 : Number.NaN,
  };
}

const minus = (a: Record<string, number>, b: Record<string, number>): Record<string, number> =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]));
const sum = (r: Record<string, number>): number => Object.values(r).reduce((x, y) => x + y, 0);

/**
 * sanity sends 32 GETs through the gateway: all must be 200 with legacy's body (its field name). With
 * the mirror on, all 32 must then be compared (cutover_mirror_total) and the candidate must have
 * seen them; without it, none.
 */
async function sanity(gw: Gateway, backends: Backend[]): Promise<void> {
  const cand = backends[1]!;
  const before = await backendStats(cand);
  for (let i = 1; i <= 32; i++) {
    const r = await request(`${gw.origin}/api/orders/${i}`, { headers: { "x-user-id": `user-${i}` } });
    const body = await r.body.text();
    if (r.statusCode !== 200 || !body.includes(`"${RENAMED_FROM}"`))
      throw new Error(`cutover ${gw.config}: GET /api/orders/${i} → ${r.statusCode}, not legacy's answer`);
  }
  const want = gw.config === "A" ? 32 : 0;
  for (let k = 0; ; k++) {
    const s = await scrape(gw);
    const mirrored = (await backendStats(cand)).mirrored - before.mirrored;
    if (sum(s.mirror) === want && mirrored === want) return;
    if (k >= 40 || sum(s.mirror) > want)
      throw new Error(`cutover ${gw.config}: ${sum(s.mirror)} compared, candidate saw ${mirrored}; wanted ${want}`);
    await sleep(50);
  }
}

/** findingsSummary: what the A gateway found (the renamed field should be real, the volatile ones noise). */
async function findingsSummary(gw: Gateway): Promise<{ compared: number; findings: string[] }> {
  const r = await request(gw.admin + "/api/findings?noise=1", {
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  const j = (await r.body.json()) as {
    compared?: number;
    findings?: { kind?: string; groupPath?: string; noise?: string; count?: number }[];
  };
  return {
    compared: j.compared ?? 0,
    findings: (j.findings ?? []).map(
      (f) => `${f.kind ?? "?"} ${f.groupPath ?? "?"} (${f.noise ?? "?"}, ${f.count ?? 0})`,
    ),
  };
}

// ---------------------------------------------------------------- calibration: max throughput (wrk)

/** pacedLoad runs bench/mirror-load.ts against `origin` and returns its summary (samples dropped). */
async function pacedLoad(origin: string, rate: number, warmupS: number, seconds: number): Promise<LoadResult> {
  const samplesFile = join(dir, `paced-${++runSeq}.f64`);
  const args = loadArgs(origin, rate, samplesFile, warmupS, seconds);
  const out = await collect(spawnTracked("timeout", args, { cpu: CLIENT_CPU }));
  rmSync(samplesFile, { force: true });
  const line = out.out.trim().split("\n").pop() ?? "";
  if (out.code !== 0 || !line.startsWith("{")) throw new Error(`load failed (${out.code}): ${out.err}`);
  return JSON.parse(line) as LoadResult;
}

/**
 * calibrate measures each configuration's maximum. B (no mirror): closed-loop wrk -c50, the
 * gateway's plain maximum. A: wrk's closed-loop figure is not A's capacity, because at saturation
 * the mirror sheds comparisons at its concurrency cap (cheaper requests, higher req/s), so A's
 * maximum is the highest paced rate of a ramp (×1.2 per 3 s step, after a wrk warm-up) that A still
 * serves fully: achieved ≥ 97 % of offered, p50 ≤ 3 × the first step's (+2 ms), ≤ 1 % of mirrors
 * skipped, no errors. The ramp starts at a quarter of wrk's figure; a failed first step halves it.
 */
async function calibrate(backends: Backend[]): Promise<Calibration> {
  const script = join(dir, "wrk-orders.lua");
  writeFileSync(script, wrkLua("GET", "/api/orders/42", undefined));
  const wrkMax = {} as Record<ConfigName, number>;
  const skipped = {} as Record<ConfigName, number>;
  const ramp: Calibration["ramp"] = [];
  let sustainedA = 0;
  for (const config of ["B", "A"] as const) {
    const gw = await startGateway(config, backends);
    try {
      await sanity(gw, backends);
      const url = gw.origin + "/api/orders/42";
      // A fresh process needs a few seconds of load before the JIT has caught up (the first seconds
      // run at a third of the final rate), so warm up before measuring.
      await runWrk({ url, script, seconds: 4, conns: 50, cpu: CLIENT_CPU });
      const s0 = await scrape(gw);
      const w = await runWrk({ url, script, seconds: calibSeconds, conns: 50, cpu: CLIENT_CPU });
      await sleep(300);
      wrkMax[config] = w.rps;
      skipped[config] = sum(minus((await scrape(gw)).skipped, s0.skipped));
      log(
        `calibration ${config}: ${Math.round(w.rps)} req/s (wrk -c50, ${calibSeconds} s, closed loop), ` +
          `p99 ${(w.latUs.p99 / 1000).toFixed(1)} ms, mirror skips ${skipped[config]}`,
      );
      if (config === "B") continue;
      await sleep(1500); // let the backlog wrk left behind (queued mirrors, comparisons) drain
      let rate = Math.max(100, Math.round((0.25 * w.rps) / 50) * 50);
      let baseP50 = Number.NaN;
      // A failed first step (a neighbour's burst, say) halves the start rate, at most 3 times.
      for (let step = 0, retries = 0; step < 10; step++) {
        const m0 = await scrape(gw);
        const l = await pacedLoad(gw.origin, rate, 0, 3);
        await sleep(200);
        const m1 = await scrape(gw);
        const sent = l.sent;
        const skip = sum(minus(m1.skipped, m0.skipped));
        const errs = Object.values(l.errors).reduce((a, b) => a + b, 0);
        if (sustainedA === 0) baseP50 = l.latMs.p50;
        const ok = l.rps >= 0.97 * rate && l.latMs.p50 <= 3 * baseP50 + 2 && skip <= 0.01 * sent && errs === 0;
        ramp.push({ rate, rps: l.rps, p50: l.latMs.p50, p99: l.latMs.p99, skipped: skip, errors: errs, ok });
        log(
          `  ramp A ${rate} req/s: achieved ${Math.round(l.rps)}, p50 ${l.latMs.p50.toFixed(2)} ms, ` +
            `p99 ${l.latMs.p99.toFixed(1)} ms, skipped ${skip}, errors ${errs} → ${ok ? "sustained" : "saturated"}`,
        );
        if (!ok && sustainedA === 0 && retries < 3 && rate > 50) {
          retries++;
          rate = Math.max(50, Math.round(rate / 2 / 50) * 50);
          await sleep(1000);
          continue;
        }
        if (!ok) break;
        sustainedA = rate;
        rate = Math.round((rate * 1.2) / 50) * 50;
      }
    } finally {
      await stopChild(gw.child);
    }
    await sleep(pauseMs);
  }
  if (sustainedA === 0) throw new Error("calibration: A did not sustain even the first ramp step; pass --rate");
  const maxRps: Record<ConfigName, number> = { A: sustainedA, B: wrkMax.B };
  const base = Math.min(maxRps.A, maxRps.B);
  const rate = Math.max(50, Math.round((loadFraction * base) / 50) * 50);
  return { maxRps, wrkMax, skippedAtWrkMax: skipped, ramp, fraction: loadFraction, rate, seconds: calibSeconds };
}

// ---------------------------------------------------------------- one run

function loadArgs(origin: string, rate: number, samplesFile: string, warmupS = warmup, seconds = duration): string[] {
  const bound = String(warmupS + seconds + 25);
  const js = join(HERE, "mirror-load.js");
  return [
    "-k",
    "5",
    bound,
    process.execPath,
    js,
    origin,
    String(rate),
    String(warmupS),
    String(seconds),
    String(conns),
    samplesFile,
  ];
}

async function oneRun(
  round: number,
  config: ConfigName,
  rate: number,
  backends: Backend[],
  seconds = duration,
): Promise<Run> {
  const loadBefore = loadAvg();
  const gw = await startGateway(config, backends);
  try {
    await sanity(gw, backends);
    const m0 = await scrape(gw);
    const bs0 = await Promise.all(backends.map(backendStats));
    const gwPids = treePids(pidOf(gw.child));
    const bePids = backends.map((b) => pidOf(b.child));
    const samplesFile = join(dir, `samples-${round}-${config}.f64`);
    const child = spawnTracked("timeout", loadArgs(gw.origin, rate, samplesFile, warmup, seconds), {
      cpu: CLIENT_CPU,
    });
    const done = collect(child);
    await firstMatch(child, /^MEASURE$/m, (warmup + 10) * 1000, `load ${config}`);

    // Measured window: from the first measured request until the load process has its answers.
    const s0 = cpuSnap();
    const g0 = cpuTicks(gwPids);
    const b0 = bePids.map((p) => cpuTicks([p]));
    const h0 = process.cpuUsage();
    const t0 = performance.now();
    const rss: number[] = [rssMiB(gwPids)];
    const sampler = setInterval(() => rss.push(rssMiB(gwPids)), 500);
    let out: Awaited<typeof done>;
    try {
      out = await done;
    } finally {
      clearInterval(sampler);
    }
    const s1 = cpuSnap();
    const g1 = cpuTicks(gwPids);
    const b1 = bePids.map((p) => cpuTicks([p]));
    const h1 = process.cpuUsage(h0);
    const secs = (performance.now() - t0) / 1000;
    rss.push(rssMiB(gwPids));
    const line = out.out.trim().split("\n").pop() ?? "";
    if (out.code !== 0 || !line.startsWith("{")) throw new Error(`load ${config} failed (${out.code}): ${out.err}`);
    const result = JSON.parse(line) as LoadResult;

    await sleep(500); // let the last mirrored comparisons finish before counting them
    const m1 = await scrape(gw);
    const bs1 = await Promise.all(backends.map(backendStats));
    const findings = config === "A" ? await findingsSummary(gw) : undefined;

    const { busy } = busyPct(s0, s1);
    const gwTicks = g1 - g0;
    const beTicks = b1.map((v, i) => v - (b0[i] ?? 0));
    const loadTicks = result.cpuMeasureUs * (CLK_TCK / 1e6);
    const own =
      gwTicks +
      sum(Object.fromEntries(beTicks.map((v, i) => [i, v]))) +
      loadTicks +
      ((h1.user + h1.system) * CLK_TCK) / 1e6;
    const otherPct = (100 * Math.max(0, s1.procTicks - s0.procTicks - own)) / (secs * CLK_TCK);
    const perReq = (ticks: number): number => (ticks * (1e6 / CLK_TCK)) / Math.max(1, result.ok);
    const raw = readFileSync(samplesFile);
    const samples = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    rmSync(samplesFile, { force: true });
    const third = Math.max(1, Math.floor(rss.length / 3));
    const run: Run = {
      round,
      config,
      rate,
      load: result,
      gatewayCpuUsPerReq: perReq(gwTicks),
      legacyCpuUsPerReq: perReq(beTicks[0] ?? 0),
      candidateCpuUsPerReq: perReq(beTicks[1] ?? 0),
      cpuBusyPct: busy,
      otherPct,
      rssMiB: {
        first: rss[0] ?? Number.NaN,
        min: Math.min(...rss),
        max: Math.max(...rss),
        last: rss[rss.length - 1] ?? Number.NaN,
        firstThirdMax: Math.max(...rss.slice(0, third)),
        lastThirdMax: Math.max(...rss.slice(-third)),
        samples: rss.map((v) => Math.round(v * 10) / 10),
      },
      heapUsedMiB: m1.heapUsedMiB,
      metrics: {
        mirror: minus(m1.mirror, m0.mirror),
        skipped: minus(m1.skipped, m0.skipped),
        requests: minus(m1.requests, m0.requests),
      },
      backends: {
        legacyServed: (bs1[0]?.served ?? 0) - (bs0[0]?.served ?? 0),
        candidateServed: (bs1[1]?.served ?? 0) - (bs0[1]?.served ?? 0),
        candidateMirrored: (bs1[1]?.mirrored ?? 0) - (bs0[1]?.mirrored ?? 0),
      },
      findings,
      loadAvg: { before: loadBefore, after: loadAvg() },
    };
    const e = run.load.errors;
    log(
      `round ${round} ${config}: ${Math.round(result.rps)} req/s  p50 ${result.latMs.p50.toFixed(2)}  ` +
        `p99 ${result.latMs.p99.toFixed(2)}  p99.9 ${result.latMs.p999.toFixed(2)} ms  ` +
        `errors ${e.status + e.body + e.wrongBackend + e.transport + e.unfinished}  ` +
        `gw ${run.gatewayCpuUsPerReq.toFixed(0)} µs/req  RSS ${run.rssMiB.min.toFixed(0)}–${run.rssMiB.max.toFixed(0)} MiB  ` +
        `compared ${sum(run.metrics.mirror)} skipped ${sum(run.metrics.skipped)}  ` +
        `cpu0 ${Math.round(busy[0] ?? 0)}%  others ${Math.round(otherPct)}%  load ${run.loadAvg.after}`,
    );
    runSamples.set(`${round}-${config}`, samples);
    return run;
  } finally {
    await stopChild(gw.child);
  }
}

const runSamples = new Map<string, Float64Array>();

function saveResults(name: string, json: unknown, md: string): string {
  const outDir = join(REPO, "bench/results");
  mkdirSync(outDir, { recursive: true });
  const base = join(outDir, name);
  writeFileSync(base + ".json", JSON.stringify(json, null, 2) + "\n");
  writeFileSync(base + ".md", md + "\n");
  return base;
}

const stamp = (): string => new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);

// ---------------------------------------------------------------- modes

async function startBackends(): Promise<Backend[]> {
  const legacy = await startBackend("legacy", legacyMs);
  const candidate = await startBackend("candidate", candidateMs);
  return [legacy, candidate];
}

async function benchmark(): Promise<void> {
  const perRun = warmup + duration + 4 + pauseMs / 1000;
  const soakTime = soakSeconds > 0 ? warmup + soakSeconds + 4 : 0;
  const est = (opt.rate ? 0 : 2 * (calibSeconds + 7) + 25) + rounds * 2 * perRun + soakTime + 5;
  log(
    `cutover mirror benchmark: ${rounds} rounds × (A, B) × ${duration} s, ~${Math.ceil(est / 60)} min; temp dir ${dir}`,
  );
  const loadBefore = loadAvg();
  const backends = await startBackends();
  log(`backends: legacy ${backends[0]!.origin} (${legacyMs} ms), candidate ${backends[1]!.origin} (${candidateMs} ms)`);
  const calibration: Calibration | undefined = opt.rate ? undefined : await calibrate(backends);
  const rate = opt.rate ? Number(opt.rate) : calibration!.rate;
  log(`rate: ${rate} req/s${calibration ? ` (${loadFraction} × min max)` : " (--rate)"}; load ${loadAvg()}`);

  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: ConfigName[] = round % 2 === 1 ? ["A", "B"] : ["B", "A"];
    for (const config of order) {
      runs.push(await oneRun(round, config, rate, backends));
      await sleep(pauseMs);
    }
  }
  // Soak: one longer A run at the same rate, for the RSS trend (not part of the p99 ratio).
  let soak: Run | undefined;
  if (soakSeconds > 0) {
    log(`soak: A for ${soakSeconds} s at ${rate} req/s`);
    soak = await oneRun(0, "A", rate, backends, soakSeconds);
    runSamples.delete("0-A");
  }
  const pooled = {} as MirrorResults["pooled"];
  for (const config of ["A", "B"] as const) {
    const parts = [...runSamples].filter(([k]) => k.endsWith(`-${config}`)).map(([, v]) => v);
    const all = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
    let off = 0;
    for (const p of parts) {
      all.set(p, off);
      off += p.length;
    }
    pooled[config] = { n: all.filter((v) => !Number.isNaN(v)).length, latMs: percentiles(all) };
  }
  for (const b of backends) await stopChild(b.child);
  const results: MirrorResults = {
    startedAt: new Date().toISOString(),
    host: { cpus: cpus().length, node: process.version, kernel: release() },
    source: sourceState(),
    options: {
      rounds,
      duration,
      warmup,
      loadFraction,
      conns,
      legacyMs,
      candidateMs,
      pinned: pin,
      layout,
      gatewayCpu: PROXY_CPU ?? "any",
      legacyCpu: LEGACY_CPU ?? "any",
      candidateCpu: CANDIDATE_CPU ?? "any",
      clientCpu: CLIENT_CPU ?? "any",
    },
    calibration,
    rate,
    loadBefore,
    loadAfter: loadAvg(),
    runs,
    soak,
    pooled,
  };
  const md = renderReport(results);
  const base = saveResults(`mirror-${stamp()}`, results, md);
  process.stdout.write(md + "\n");
  log(`\nraw results: ${base}.json (table: ${base}.md)`);
}

/** profile runs A and B, each under `node --cpu-prof`, at the same paced rate, and summarises both. */
async function profile(): Promise<void> {
  const loadBefore = loadAvg();
  const backends = await startBackends();
  const rate = opt.rate ? Number(opt.rate) : (await calibrate(backends)).rate;
  const summaries = {} as Parameters<typeof renderProfiles>[0]["summaries"];
  const loads = {} as Record<ConfigName, LoadResult>;
  const files = {} as Record<ConfigName, string>;
  for (const config of ["A", "B"] as const) {
    const profDir = join(dir, `prof-${config}`);
    const gw = await startGateway(config, backends, ["--cpu-prof", `--cpu-prof-dir=${profDir}`]);
    try {
      await sanity(gw, backends);
      loads[config] = await pacedLoad(gw.origin, rate, warmup, duration);
      log(`profiled ${config}: ${Math.round(loads[config].rps)} req/s, p99 ${loads[config].latMs.p99.toFixed(2)} ms`);
    } finally {
      await stopChild(gw.child);
    }
    const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
    if (!file) throw new Error(`no .cpuprofile written in ${profDir}`);
    files[config] = join(profDir, file);
    summaries[config] = summariseProfile(loadProfile(files[config]), 400);
  }
  for (const b of backends) await stopChild(b.child);
  const md = renderProfiles({ rate, duration, warmup, loads, summaries, loadBefore, loadAfter: loadAvg() });
  const base = saveResults(`mirror-profile-${stamp()}`, { rate, loads, summaries, loadBefore }, md);
  for (const config of ["A", "B"] as const) copyFileSync(files[config], `${base}-${config}.cpuprofile`);
  process.stdout.write(md + "\n");
  log(`\nprofiles: ${base}-A.cpuprofile, ${base}-B.cpuprofile (Chrome DevTools → Performance)`);
}

async function main(): Promise<void> {
  if (opt.help) {
    process.stdout.write(USAGE);
    return;
  }
  preflight();
  if (opt.profile) await profile();
  else await benchmark();
}

main().then(
  () => cleanup(),
  (err: unknown) => {
    log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    cleanup();
    process.exitCode = 1;
  },
);
