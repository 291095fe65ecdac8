/**
 * Proxy overhead benchmark: direct vs nginx vs cutover on loopback, interleaved rounds in one run.
 * Method and baselines: /work/shared/research/proxy-perf.md (`pinned` layout). See bench/README.md.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/proxy.js [--rounds 3] [--duration 10] [--large-rounds 2]
 *       [--lat-duration 5] [--warmup 3] [--cases small,large,post] [--idle-conns 1000] [--no-pin]
 *   node dist/bench/proxy.js --profile small [--duration 10]   # cutover under wrk with --cpu-prof
 *
 * Two backend processes (legacy + candidate, identical bodies) so cutover's 50/50 split really
 * reaches two upstreams; nginx round-robins over the same two; direct hits the legacy one.
 * Backends and the proxy under test run on CPU 0, wrk / the probe / this harness on CPU 1.
 * Every load run is bounded (wrk -d, wrapped in `timeout`); all traffic is on 127.0.0.1; every child
 * is killed on exit, Ctrl-C or error (and gets SIGTERM from the kernel if the harness is killed).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { cpus, release } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CASES, CASE_SPECS, POST_BODY, type CaseName } from "./proxy-payloads.js";
import {
  busyPct,
  cpuSnap,
  cpuTicks,
  CLK_TCK,
  harnessDir,
  loadAvg,
  rssMiB,
  runProbe,
  selfTicks,
  runWrk,
  stopChild,
  treePids,
  wrkLua,
} from "./proxy-procs.js";
import { profileCutover } from "./proxy-profile.js";
import { renderAll, TARGETS, type LoadRun, type Results, type TargetName } from "./proxy-report.js";
import {
  cutoverShare,
  idleConnections,
  pidOf,
  startBackend,
  startBare,
  startCutover,
  startNginx,
  verify,
  type Target,
} from "./proxy-setup.js";

const { values: opt } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    duration: { type: "string", default: "10" },
    "large-rounds": { type: "string" },
    "large-duration": { type: "string" },
    "lat-duration": { type: "string", default: "5" },
    warmup: { type: "string", default: "3" },
    pause: { type: "string", default: "1" },
    conns: { type: "string", default: "50" },
    cases: { type: "string", default: CASES.join(",") },
    "idle-conns": { type: "string", default: "1000" },
    "no-pin": { type: "boolean", default: false },
    "no-latency": { type: "boolean", default: false },
    profile: { type: "string" },
    workers: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const HERE = fileURLToPath(new URL(".", import.meta.url));
const num = (s: string | undefined, d: number): number => (s === undefined ? d : Number(s));
const rounds = num(opt.rounds, 3);
const duration = num(opt.duration, 10);
const largeRounds = num(opt["large-rounds"], rounds);
const largeDuration = num(opt["large-duration"], duration);
const latDuration = num(opt["lat-duration"], 5);
const warmup = num(opt.warmup, 3);
const pauseMs = num(opt.pause, 1) * 1000;
const conns = num(opt.conns, 50);
const idleConns = num(opt["idle-conns"], 1000);
const workers = num(opt.workers, 1);
// N processes need N cores: with workers the proxies run unpinned (so does the load generator).
const pin = !opt["no-pin"] && workers === 1 && cpus().length >= 2;
const PROXY_CPU = pin ? "0" : undefined;
const CLIENT_CPU = pin ? "1" : undefined;
const cases = opt.cases.split(",").filter((c): c is CaseName => (CASES as readonly string[]).includes(c));
const WORKERS_NOTE =
  workers > 1
    ? `${workers}: cutover with --workers ${workers}, nginx with worker_processes ${workers}, bare stays one process; nothing pinned`
    : "1 (cutover and nginx in one process each)";

const USAGE = `usage: node dist/bench/proxy.js [--rounds 3] [--duration 10] [--large-rounds N] [--large-duration S]
    [--lat-duration 5] [--warmup 3] [--pause 1] [--conns 50] [--cases small,large,post] [--idle-conns 1000]
    [--no-pin] [--no-latency]
  node dist/bench/proxy.js --profile small|large|post [--duration 10]
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (s: string): void => void process.stderr.write(s + "\n");

// ---------------------------------------------------------------- lifecycle

const { dir, cleanup } = harnessDir("cutover-bench-proxy-");

function preflight(): void {
  for (const f of ["/usr/bin/wrk", "/usr/sbin/nginx", "/usr/bin/taskset", "/usr/bin/timeout"])
    if (!existsSync(f)) throw new Error(`${f} is missing (apt-get install -y wrk nginx util-linux coreutils)`);
  for (const f of [join(HERE, "proxy-backend.js"), join(HERE, "proxy-probe.js"), join(REPO, "dist/src/cli/index.js")])
    if (!existsSync(f)) throw new Error(`${f} is missing: build first (npx tsc -p tsconfig.json)`);
  // Pin the harness (and the threads it starts later) to the client core.
  if (CLIENT_CPU !== undefined) execFileSync("taskset", ["-a", "-p", "-c", CLIENT_CPU, String(process.pid)]);
}

function version(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return `${r.stdout}${r.stderr}`.split("\n")[0]?.trim() ?? cmd;
}

function writeScripts(): Record<CaseName, string> {
  const bodyFile = join(dir, "post-body.json");
  writeFileSync(bodyFile, POST_BODY);
  const out = {} as Record<CaseName, string>;
  for (const c of CASES) {
    const spec = CASE_SPECS[c];
    const file = join(dir, `wrk-${c}.lua`);
    writeFileSync(file, wrkLua(spec.method, spec.path, spec.body ? bodyFile : undefined));
    out[c] = file;
  }
  return out;
}

interface Sut {
  backends: Target[];
  targets: Record<TargetName, Target>;
}

async function startAll(): Promise<Sut> {
  const backendJs = join(HERE, "proxy-backend.js");
  const legacy = await startBackend(backendJs, "legacy", PROXY_CPU);
  const candidate = await startBackend(backendJs, "candidate", PROXY_CPU);
  const nginx = await startNginx(dir, [legacy.origin, candidate.origin], PROXY_CPU, workers);
  const cutover = await startCutover({
    repo: REPO,
    dir,
    legacy: legacy.origin,
    candidate: candidate.origin,
    cpu: PROXY_CPU,
    workers,
  });
  const bare = await startBare(join(HERE, "proxy-bare.js"), [legacy.origin, candidate.origin], PROXY_CPU);
  return { backends: [legacy, candidate], targets: { direct: legacy, nginx, bare, cutover } };
}

// ---------------------------------------------------------------- one load run

async function loadRun(
  sut: Sut,
  c: CaseName,
  round: number,
  t: TargetName,
  seconds: number,
  script: string,
): Promise<LoadRun> {
  const target = sut.targets[t];
  const proxyPids = t === "direct" ? [] : treePids(pidOf(target.child));
  const backendPids = sut.backends.map((b) => pidOf(b.child));
  const p0 = cpuTicks(proxyPids);
  const b0 = cpuTicks(backendPids);
  const h0 = selfTicks();
  const s0 = cpuSnap();
  const t0 = performance.now();
  let rssMax = 0;
  const sampler = setInterval(() => {
    if (proxyPids.length) rssMax = Math.max(rssMax, rssMiB(treePids(proxyPids[0]!)));
  }, 1000);
  try {
    const url = target.origin + CASE_SPECS[c].path;
    const wrk = await runWrk({ url, script, seconds, conns, cpu: CLIENT_CPU });
    const s1 = cpuSnap();
    const { busy, steal } = busyPct(s0, s1);
    const [p1, b1] = [cpuTicks(proxyPids), cpuTicks(backendPids)];
    const own = p1 - p0 + (b1 - b0) + (selfTicks() - h0);
    const otherPct =
      (100 * Math.max(0, s1.procTicks - s0.procTicks - own)) / (((performance.now() - t0) / 1000) * CLK_TCK);
    const perReq = (ticks: number): number => (ticks * (1e6 / CLK_TCK)) / Math.max(1, wrk.requests);
    if (proxyPids.length) rssMax = Math.max(rssMax, rssMiB(treePids(proxyPids[0]!)));
    return {
      case: c,
      round,
      target: t,
      wrk,
      proxyCpuUs: proxyPids.length ? perReq(p1 - p0) : null,
      backendCpuUs: perReq(b1 - b0),
      rssMaxMiB: proxyPids.length ? rssMax : null,
      cpuBusyPct: busy,
      stealPct: steal,
      otherPct,
    };
  } finally {
    clearInterval(sampler);
  }
}

const rotate = <T>(xs: readonly T[], k: number): T[] => xs.map((_, i) => xs[(i + k) % xs.length]!);

async function measureCase(sut: Sut, r: Results, c: CaseName, scripts: Record<CaseName, string>): Promise<void> {
  const n = c === "large" ? largeRounds : rounds;
  const secs = c === "large" ? largeDuration : duration;
  const before = loadAvg();
  log(`\n== ${c}: warm-up ${warmup} s per configuration (load ${before})`);
  for (const t of TARGETS) {
    await runWrk({
      url: sut.targets[t].origin + CASE_SPECS[c].path,
      script: scripts[c],
      seconds: warmup,
      conns,
      cpu: CLIENT_CPU,
    });
    await sleep(pauseMs);
  }
  for (let round = 1; round <= n; round++) {
    for (const t of rotate(TARGETS, round - 1)) {
      const run = await loadRun(sut, c, round, t, secs, scripts[c]);
      r.runs.push(run);
      const e = run.wrk.errors;
      log(
        `${c} round ${round} ${t.padEnd(7)} ${Math.round(run.wrk.rps).toString().padStart(6)} req/s  ` +
          `p50 ${(run.wrk.latUs.p50 / 1000).toFixed(2)} ms  p99 ${(run.wrk.latUs.p99 / 1000).toFixed(2)} ms  ` +
          `proxy ${run.proxyCpuUs?.toFixed(1) ?? "–"} µs/req  cpu0 ${Math.round(run.cpuBusyPct[0] ?? 0)}%  ` +
          `others ${Math.round(run.otherPct)}%  ` +
          `errors ${e.connect + e.read + e.write + e.status + e.timeout}`,
      );
      await sleep(pauseMs);
    }
    if (opt["no-latency"]) continue;
    for (const t of rotate(TARGETS, round - 1)) {
      const probe = await runProbe({
        probeJs: join(HERE, "proxy-probe.js"),
        origin: sut.targets[t].origin,
        caseName: c,
        seconds: latDuration,
        cpu: CLIENT_CPU,
      });
      r.probes.push({ case: c, round, target: t, probe });
      log(
        `${c} round ${round} ${t.padEnd(7)} sequential p50 ${Math.round(probe.p50)} µs  p99 ${Math.round(probe.p99)} µs  n=${probe.n}`,
      );
      await sleep(pauseMs / 2);
    }
  }
  r.loadPerCase[c] = { before, after: loadAvg() };
}

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

async function benchmark(): Promise<void> {
  const perCase = (c: CaseName): number =>
    (c === "large" ? largeRounds : rounds) *
      (TARGETS.length * ((c === "large" ? largeDuration : duration) + pauseMs / 1000) +
        (opt["no-latency"] ? 0 : TARGETS.length * (latDuration + 1.5))) +
    TARGETS.length * (warmup + pauseMs / 1000);
  const est = cases.reduce((a, c) => a + perCase(c), 25);
  log(`cutover proxy benchmark: cases ${cases.join(",")}, ~${Math.ceil(est / 60)} min; temp dir ${dir}`);
  const scripts = writeScripts();
  const sut = await startAll();
  const r: Results = {
    startedAt: new Date().toISOString(),
    host: {
      cpus: cpus().length,
      node: process.version,
      nginx: version("/usr/sbin/nginx", ["-v"]),
      wrk: version("/usr/bin/wrk", ["-v"]).split(" [")[0] ?? "wrk",
      kernel: release(),
    },
    options: {
      rounds,
      duration,
      largeRounds,
      largeDuration,
      latDuration,
      warmup,
      conns,
      cases,
      pinned: pin,
      proxyCpu: PROXY_CPU ?? "any",
      clientCpu: CLIENT_CPU ?? "any",
    },
    loadBefore: loadAvg(),
    loadAfter: "",
    loadPerCase: {},
    backendsSeen: {},
    cutoverShare: {},
    idleRssMiB: {},
    runs: [],
    probes: [],
    conns: {},
    workers: WORKERS_NOTE,
  };
  log(
    `started: direct ${sut.targets.direct.origin}, nginx ${sut.targets.nginx.origin}, cutover ${sut.targets.cutover.origin}`,
  );
  r.backendsSeen = await verify(TARGETS.map((t) => sut.targets[t]));
  for (const t of ["nginx", "bare", "cutover"] as const) {
    if ((r.backendsSeen[t] ?? []).length !== 2) throw new Error(`${t} reached only ${String(r.backendsSeen[t])}`);
  }
  log(`correctness: every configuration returned byte-identical bodies for ${CASES.join(", ")}`);
  for (const t of ["nginx", "bare", "cutover"] as const)
    r.idleRssMiB[t] = rssMiB(treePids(pidOf(sut.targets[t].child)));

  for (const c of cases) await measureCase(sut, r, c, scripts);
  r.cutoverShare = await cutoverShare(sut.targets.cutover.admin!);

  if (idleConns > 0) {
    log(`\n== ${idleConns} idle keep-alive connections`);
    r.conns["cutover (after the load runs)"] = await idleConnections(sut.targets.cutover, idleConns);
    r.conns.nginx = await idleConnections(sut.targets.nginx, idleConns);
    await stopChild(sut.targets.cutover.child);
    const freshDir = join(dir, "fresh");
    mkdirSync(freshDir);
    const fresh = await startCutover({
      repo: REPO,
      dir: freshDir,
      legacy: sut.backends[0]!.origin,
      candidate: sut.backends[1]!.origin,
      cpu: PROXY_CPU,
      workers,
    });
    await verify([fresh], 4);
    r.conns["cutover (fresh process)"] = await idleConnections(fresh, idleConns);
    await stopChild(fresh.child);
    for (const [k, v] of Object.entries(r.conns))
      log(`${k}: ${v.rssMiB.toFixed(1)} MiB (before ${v.rssBeforeMiB.toFixed(1)})`);
  }
  r.loadAfter = loadAvg();
  for (const t of [sut.targets.nginx, sut.targets.bare, ...sut.backends]) await stopChild(t.child);
  const md = renderAll(r, cases);
  const base = saveResults(`proxy-${stamp()}`, r, md);
  process.stdout.write(md + "\n");
  log(`\nraw results: ${base}.json (table: ${base}.md)`);
}

async function main(): Promise<void> {
  if (opt.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (!(Number.isInteger(workers) && workers >= 1)) throw new Error("--workers takes a whole number ≥ 1");
  log(`workers: ${WORKERS_NOTE}`);
  preflight();
  if (opt.profile !== undefined) {
    if (!(CASES as readonly string[]).includes(opt.profile))
      throw new Error(`--profile takes one of ${CASES.join(", ")}`);
    const scripts = writeScripts();
    const r = await profileCutover({
      c: opt.profile as CaseName,
      repo: REPO,
      here: HERE,
      dir,
      script: scripts[opt.profile as CaseName],
      warmup,
      duration,
      conns,
      proxyCpu: PROXY_CPU,
      clientCpu: CLIENT_CPU,
    });
    const base = saveResults(`proxy-profile-${opt.profile}-${stamp()}`, r.json, r.md);
    copyFileSync(r.profileFile, base + ".cpuprofile");
    process.stdout.write(r.md + "\n");
    log(`\nprofile: ${base}.cpuprofile (open in Chrome DevTools → Performance)`);
  } else {
    await benchmark();
  }
}

main().then(
  () => cleanup(),
  (err: unknown) => {
    log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    cleanup();
    process.exitCode = 1;
  },
);
