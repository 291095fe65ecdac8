/**
 * Fault matrix: what a misbehaving candidate costs clients when every GET is mirrored to it.
 * Rows: mirroring off, then mirroring on with the candidate ok / hang / reset / garbage / drip
 * (1 byte per 2 s) / 200 MiB body / killed. Every round runs every row, each on a fresh
 * `cutover run` process, so each row is compared with the mirroring-off row of the same round.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/faults.js [--rounds 2] [--duration 4] [--rate 150]
 *   node dist/bench/faults.js --rows reset,garbage --profile   # V8 CPU profile of each row's gateway
 *
 * Per row: client p50/p99 and errors (open-loop load at a fixed rate from this process), gateway
 * CPU (all threads) and peak RSS, and the event loop's CPU per client request, read from
 * /proc/<pid>/task/<pid>/stat (the main thread): that figure does not depend on how the two cores
 * are shared. Legacy (1 ms) and the ok candidate (10 ms) are bench/mirror-backend.ts in raw mode;
 * the faulty ones are bench/fault-backend.ts. All on 127.0.0.1, every child ended on exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Agent, request } from "undici";
import { loadProfile, renderProfile, summariseProfile } from "./proxy-profile.js";

const ROWS = ["off", "ok", "hang", "reset", "garbage", "drip", "big", "killed"] as const;
type Row = (typeof ROWS)[number];
const TICK_MS = 10; // CLK_TCK 100

interface Sample {
  row: Row;
  round: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
  cpuPct: number;
  rssMiB: number;
  loopUsPerReq: number;
  /** Mirrored exchanges compared, and those the mirror breaker skipped. */
  compared: number;
  skipped: number;
}

/** mirrorCounts sums cutover_mirror_total and the breaker's skips from the gateway's /metrics. */
async function mirrorCounts(admin: string): Promise<{ compared: number; skipped: number }> {
  const r = await request(`${admin}/metrics`, { headers: { authorization: "Bearer bench-admin-token-0123456789" } });
  const lines = (await r.body.text()).split("\n");
  const sum = (re: RegExp): number =>
    lines.filter((l) => re.test(l)).reduce((n, l) => n + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  return {
    compared: sum(/^cutover_mirror_total\{/),
    skipped: sum(/^cutover_mirror_skipped_total\{.*reason="breaker_open"/),
  };
}

const children: ChildProcess[] = [];
process.on("exit", () => children.forEach((c) => c.kill("SIGKILL")));
process.on("SIGINT", () => process.exit(130));

/** start runs a node script that prints one JSON line when ready, and returns it with the process. */
function start(args: string[]): Promise<{ proc: ChildProcess; ready: Record<string, unknown> }> {
  const proc = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  children.push(proc);
  return new Promise((resolve, reject) => {
    // The first JSON document on stdout (cutover run --json may spread it over lines).
    let text = "";
    const onData = (d: Buffer): void => {
      text += d.toString();
      try {
        const ready = JSON.parse(text) as Record<string, unknown>;
        proc.stdout.off("data", onData);
        resolve({ proc, ready });
      } catch {
        /* not complete yet */
      }
    };
    proc.stdout.on("data", onData);
    proc.once("exit", (code) => reject(new Error(`${args.join(" ")} exited with ${String(code)}`)));
  });
}

function ticks(path: string): number {
  const f = readFileSync(path, "utf8").split(") ")[1]?.split(" ") ?? [];
  return Number(f[11]) + Number(f[12]);
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

async function gateway(dir: string, legacy: string, candidate: string, mirror: boolean, profDir?: string) {
  const cfg = join(dir, `cutover-${mirror ? "on" : "off"}.yaml`);
  rmSync(join(dir, "state.db"), { force: true });
  writeFileSync(
    cfg,
    `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0, token: bench-admin-token-0123456789 }
store: { path: ${join(dir, "state.db")} }
log: { level: silent }
upstreams:
  legacy: { url: ${legacy} }
  candidate: { url: ${candidate} }
routes:
  - name: api
    match: { path: /api/*, methods: [GET] }
${mirror ? "    mirror: { percent: 100, timeout: 2s }\n" : ""}`,
  );
  const prof = profDir ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`] : [];
  const { proc, ready } = await start([...prof, "bin/cutover.js", "run", "-c", cfg, "--json"]);
  return { proc, url: String(ready.listening), admin: String(ready.admin), pid: proc.pid ?? 0 };
}

/** load sends `rate` GETs per second for `seconds`, open loop, and returns latencies and errors. */
async function load(url: string, rate: number, seconds: number): Promise<{ ms: number[]; errors: number }> {
  const agent = new Agent({ connections: 64 });
  const ms: number[] = [];
  let errors = 0;
  const all: Promise<void>[] = [];
  const t0 = performance.now();
  const n = Math.round(rate * seconds);
  for (let i = 0; i < n; i++) {
    const wait = t0 + (i * 1000) / rate - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    all.push(
      (async () => {
        const t = performance.now();
        try {
          const r = await request(`${url}/api/orders/${(i % 256) + 1}`, {
            dispatcher: agent,
            signal: AbortSignal.timeout(10_000),
          });
          await r.body.dump();
          if (r.statusCode !== 200) errors++;
        } catch {
          errors++;
        }
        ms.push(performance.now() - t);
      })(),
    );
  }
  await Promise.all(all);
  await agent.close();
  return { ms, errors };
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const median = (xs: number[]): number => pct(xs, 50);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rounds: { type: "string", default: "2" },
      duration: { type: "string", default: "4" },
      rate: { type: "string", default: "150" },
      rows: { type: "string", default: ROWS.join(",") },
      profile: { type: "boolean", default: false },
    },
  });
  const rows = ROWS.filter((r) => r === "off" || values.rows.split(",").includes(r));
  const rounds = Number(values.rounds);
  const seconds = Number(values.duration);
  const rate = Number(values.rate);
  const dir = mkdtempSync(join(tmpdir(), "cutover-faults-"));
  // Profiles outlive the run (the rest of `dir` is removed): open them in Chrome DevTools.
  const profRoot = values.profile ? mkdtempSync(join(tmpdir(), "cutover-faults-prof-")) : undefined;
  const backend = async (args: string[]): Promise<string> =>
    `http://127.0.0.1:${String((await start(args)).ready.port)}`;
  const legacy = await backend(["dist/bench/mirror-backend.js", "legacy", "1", "raw"]);
  const candidates: Record<Row, string> = {
    off: await backend(["dist/bench/mirror-backend.js", "candidate", "10", "raw"]),
    ok: "",
    hang: await backend(["dist/bench/fault-backend.js", "hang"]),
    reset: await backend(["dist/bench/fault-backend.js", "reset"]),
    garbage: await backend(["dist/bench/fault-backend.js", "garbage"]),
    drip: await backend(["dist/bench/fault-backend.js", "drip"]),
    big: await backend(["dist/bench/fault-backend.js", "big"]),
    killed: "",
  };
  candidates.ok = candidates.off;
  const dead = await start(["dist/bench/fault-backend.js", "hang"]);
  candidates.killed = `http://127.0.0.1:${String(dead.ready.port)}`;
  dead.proc.kill("SIGKILL");

  const load0 = loadavg()
    .map((x) => x.toFixed(2))
    .join(" ");
  const samples: Sample[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const row of rows) {
      const profDir = profRoot && join(profRoot, `${row}-${round}`);
      if (profDir) mkdirSync(profDir);
      const g = await gateway(dir, legacy, candidates[row], row !== "off", profDir);
      await load(g.url, rate, 0.5); // warm-up
      const cpu0 = ticks(`/proc/${g.pid}/stat`);
      const loop0 = ticks(`/proc/${g.pid}/task/${g.pid}/stat`);
      let rss = rssMiB(g.pid);
      const sampler = setInterval(() => (rss = Math.max(rss, rssMiB(g.pid))), 250);
      const t0 = performance.now();
      const r = await load(g.url, rate, seconds);
      const wall = performance.now() - t0;
      clearInterval(sampler);
      const cpu = (ticks(`/proc/${g.pid}/stat`) - cpu0) * TICK_MS;
      const loop = (ticks(`/proc/${g.pid}/task/${g.pid}/stat`) - loop0) * TICK_MS;
      // Let the last mirrors finish (the deadline is 2 s) before counting them.
      if (row !== "off") await new Promise((res) => setTimeout(res, 2500));
      const counts = await mirrorCounts(g.admin);
      const exited = new Promise((res) => g.proc.once("exit", res));
      g.proc.kill("SIGTERM");
      await exited;
      const s: Sample = {
        row,
        round,
        p50: pct(r.ms, 50),
        p99: pct(r.ms, 99),
        errors: r.errors,
        requests: r.ms.length,
        cpuPct: (cpu / wall) * 100,
        rssMiB: rss,
        loopUsPerReq: (loop * 1000) / r.ms.length,
        ...counts,
      };
      samples.push(s);
      process.stderr.write(`${JSON.stringify(s)}\n`);
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the event loop.
      const file = profDir && readdirSync(profDir).find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
      if (profDir && file) {
        const summary = summariseProfile(loadProfile(join(profDir, file)), 25);
        process.stdout.write(`\n## gateway CPU profile: ${row}, round ${round}\n\n${renderProfile(summary)}\n`);
      }
    }
  }
  console.log(report(samples, rounds, rows));
  console.log(
    `\nload average (1, 5, 15 min): ${load0} at start, ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} at end`,
  );
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

/** report: medians over rounds; ratios against the mirroring-off row of the same round. */
function report(samples: Sample[], rounds: number, rows: readonly Row[]): string {
  const lines = [
    "| candidate | client p50 ms | client p99 ms | p99 ÷ off (median of rounds) | errors | gateway CPU % | peak RSS MiB | event loop µs/req | loop ÷ off | compared / breaker-skipped |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of rows) {
    const mine = samples.filter((s) => s.row === row);
    const ratio = (f: (s: Sample) => number): number =>
      median(
        Array.from({ length: rounds }, (_, k) => {
          const a = mine.find((s) => s.round === k);
          const off = samples.find((s) => s.round === k && s.row === "off");
          return a && off ? f(a) / f(off) : NaN;
        }),
      );
    const m = (f: (s: Sample) => number): number => median(mine.map(f));
    lines.push(
      `| ${row === "off" ? "mirroring off" : row} | ${m((s) => s.p50).toFixed(1)} | ${m((s) => s.p99).toFixed(1)} | ${ratio((s) => s.p99).toFixed(2)} | ${mine.reduce((n, s) => n + s.errors, 0)} | ${m((s) => s.cpuPct).toFixed(0)} | ${m((s) => s.rssMiB).toFixed(0)} | ${m((s) => s.loopUsPerReq).toFixed(0)} | ${ratio((s) => s.loopUsPerReq).toFixed(2)} | ${m((s) => s.compared).toFixed(0)} / ${m((s) => s.skipped).toFixed(0)} |`,
    );
  }
  return lines.join("\n");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
