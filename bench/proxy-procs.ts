/**
 * Process plumbing for bench/proxy.ts: every child is spawned through `spawnTracked`, which pins it
 * (`taskset`), asks the kernel to SIGTERM it if the harness dies (`setpriv --pdeathsig`), and
 * remembers its PID so `killAll` can stop it on exit, Ctrl-C or an error. Also: /proc readers for
 * CPU time and RSS of a process tree, and the wrk and probe runners.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const children = new Set<ChildProcess>();

export interface SpawnOpts {
  cpu: string | undefined;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdin?: "pipe" | "ignore";
}

/** spawnTracked runs `cmd args` (pinned to `cpu` when given); stdout/stderr are piped. */
export function spawnTracked(cmd: string, args: string[], o: SpawnOpts): ChildProcess {
  const pre: string[] = [];
  if (o.cpu !== undefined) pre.push("taskset", "-c", o.cpu);
  if (existsSync("/usr/bin/setpriv")) pre.push("setpriv", "--pdeathsig", "TERM");
  const full = [...pre, cmd, ...args];
  const child = spawn(full[0]!, full.slice(1), {
    stdio: [o.stdin ?? "ignore", "pipe", "pipe"],
    env: o.env ?? process.env,
    cwd: o.cwd,
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** stopChild sends SIGTERM, waits up to `graceMs`, then SIGKILL. Resolves when it exited. */
export async function stopChild(child: ChildProcess, graceMs = 12_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(t);
}

/** killAll is synchronous so it also works from process.on("exit"). */
export function killAll(signal: NodeJS.Signals = "SIGTERM"): void {
  for (const c of children) {
    if (c.pid !== undefined && c.exitCode === null && c.signalCode === null) {
      try {
        process.kill(c.pid, signal);
      } catch {
        // already gone
      }
    }
  }
}

/**
 * harnessDir makes the run's temp dir and arranges that, on exit, on an error or on Ctrl-C, every
 * tracked child is stopped and the dir removed. Returns the dir and the cleanup (idempotent).
 */
export function harnessDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  let cleaned = false;
  const cleanup = (): void => {
    if (cleaned) return;
    cleaned = true;
    killAll("SIGTERM");
    rmSync(dir, { recursive: true, force: true });
  };
  process.on("exit", cleanup);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.on(sig, () => {
      process.stderr.write(`\n${sig}: stopping every process the harness started\n`);
      cleanup();
      process.exit(130);
    });
  }
  return { dir, cleanup };
}

export function trackedCount(): number {
  return children.size;
}

/** collect gathers a child's whole stdout and stderr and its exit code. */
export function collect(child: ChildProcess): Promise<{ code: number | null; out: string; err: string }> {
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, out, err })));
}

/** firstMatch resolves with the first stdout match of `re` (e.g. a "listening" line), or rejects. */
export function firstMatch(child: ChildProcess, re: RegExp, timeoutMs: number, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = "";
    let err = "";
    const t = setTimeout(
      () => finish(new Error(`${what}: not ready after ${timeoutMs} ms; stderr: ${err}`)),
      timeoutMs,
    );
    const onOut = (d: Buffer): void => {
      out += d.toString();
      const m = re.exec(out);
      if (m) finish(undefined, m);
    };
    const onErr = (d: Buffer): void => {
      err += d.toString();
    };
    const onExit = (code: number | null): void => finish(new Error(`${what} exited (${code}): ${err || out}`));
    function finish(e: Error | undefined, m?: RegExpExecArray): void {
      clearTimeout(t);
      child.stdout?.off("data", onOut);
      child.off("exit", onExit);
      if (m) resolve(m);
      else reject(e ?? new Error(what));
    }
    child.stdout?.on("data", onOut);
    child.stderr?.on("data", onErr);
    child.once("exit", onExit);
  });
}

// ---------------------------------------------------------------- /proc

/** treePids is pid plus all its descendants (nginx master + worker). */
export function treePids(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const kids = readFileSync(`/proc/${p}/task/${tid}/children`, "utf8").trim();
        if (kids) for (const k of kids.split(/\s+/)) out.push(Number(k));
      }
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export const CLK_TCK = 100;

/** cpuTicks is utime+stime (all threads) summed over the given processes, in clock ticks. */
export function cpuTicks(pids: readonly number[]): number {
  let sum = 0;
  for (const p of pids) {
    try {
      const s = readFileSync(`/proc/${p}/stat`, "utf8");
      const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
      sum += Number(f[11]) + Number(f[12]); // fields 14 and 15 (utime, stime)
    } catch {
      // exited
    }
  }
  return sum;
}

/** rssMiB is VmRSS summed over the given processes, in MiB. */
export function rssMiB(pids: readonly number[]): number {
  let kb = 0;
  for (const p of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // exited
    }
  }
  return kb / 1024;
}

export interface CpuSnap {
  busy: number[];
  total: number[];
  steal: number[];
  /** user+nice+system jiffies over all cores: CPU time that processes (ours or not) used. */
  procTicks: number;
}

/** cpuSnap reads per-core busy/total/steal jiffies from /proc/stat. */
export function cpuSnap(): CpuSnap {
  const snap: CpuSnap = { busy: [], total: [], steal: [], procTicks: 0 };
  for (const line of readFileSync("/proc/stat", "utf8").split("\n")) {
    const m = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!.split(/\s+/).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    snap.busy[Number(m[1])] = total - idle;
    snap.total[Number(m[1])] = total;
    snap.steal[Number(m[1])] = v[7] ?? 0;
    snap.procTicks += (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0);
  }
  return snap;
}

/** busyPct is per-core busy % between two snapshots (steal counted as busy), plus steal %. */
export function busyPct(a: CpuSnap, b: CpuSnap): { busy: number[]; steal: number[] } {
  const busy: number[] = [];
  const steal: number[] = [];
  for (let i = 0; i < b.total.length; i++) {
    const dt = (b.total[i] ?? 0) - (a.total[i] ?? 0) || 1;
    busy.push((100 * ((b.busy[i] ?? 0) - (a.busy[i] ?? 0))) / dt);
    steal.push((100 * ((b.steal[i] ?? 0) - (a.steal[i] ?? 0))) / dt);
  }
  return { busy, steal };
}

/** selfTicks is this process's CPU plus that of its reaped children (wrk, the probe), in ticks. */
export function selfTicks(): number {
  const s = readFileSync("/proc/self/stat", "utf8");
  const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

export function loadAvg(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

// ---------------------------------------------------------------- wrk and the probe

export interface WrkResult {
  requests: number;
  durationUs: number;
  rps: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latUs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
}

/** wrkLua is the script for one case: 256 prebuilt requests (x-user-id varies) and a JSON summary. */
export function wrkLua(method: string, path: string, bodyFile: string | undefined): string {
  const body = bodyFile ? `io.open(${JSON.stringify(bodyFile)}, "rb"):read("*a")` : "nil";
  const ct = bodyFile ? `, ["Content-Type"] = "application/json"` : "";
  return `local reqs = {}
local n = 256
local i = 0
local body = ${body}
for u = 1, n do
  reqs[u] = wrk.format("${method}", "${path}", { ["Host"] = "127.0.0.1", ["x-user-id"] = "user-" .. u${ct} }, body)
end
request = function()
  i = i % n + 1
  return reqs[i]
end
done = function(s, lat, _)
  local e = s.errors
  io.write(string.format('WRKJSON {"requests":%d,"durationUs":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},"latUs":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\\n',
    s.requests, s.duration, e.connect, e.read, e.write, e.status, e.timeout,
    lat:percentile(50), lat:percentile(90), lat:percentile(99), lat:percentile(99.9), lat.max, lat.mean))
end
`;
}

/** runWrk runs wrk -t1 -c<conns> for `seconds` (bounded by `timeout`) and parses its summary. */
export async function runWrk(o: {
  url: string;
  script: string;
  seconds: number;
  conns: number;
  cpu: string | undefined;
}): Promise<WrkResult> {
  const args = ["-k", "5", String(o.seconds + 20), "wrk", "-t1", `-c${o.conns}`, `-d${o.seconds}s`, "--latency"];
  const child = spawnTracked("timeout", [...args, "-s", o.script, o.url], { cpu: o.cpu });
  const r = await collect(child);
  const line = r.out.split("\n").find((l) => l.startsWith("WRKJSON "));
  if (!line) throw new Error(`wrk failed (exit ${r.code}): ${r.err || r.out}`);
  const j = JSON.parse(line.slice(8)) as Omit<WrkResult, "rps">;
  return { ...j, rps: j.requests / (j.durationUs / 1e6) };
}

export interface ProbeResult {
  n: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  mean: number;
}

export async function runProbe(o: {
  probeJs: string;
  origin: string;
  caseName: string;
  seconds: number;
  cpu: string | undefined;
}): Promise<ProbeResult> {
  const args = [
    "-k",
    "5",
    String(o.seconds + 30),
    process.execPath,
    o.probeJs,
    o.origin,
    o.caseName,
    String(o.seconds),
  ];
  const r = await collect(spawnTracked("timeout", args, { cpu: o.cpu }));
  const line = r.out.trim().split("\n").pop() ?? "";
  if (r.code !== 0 || !line.startsWith("{")) throw new Error(`probe failed (exit ${r.code}): ${r.err || r.out}`);
  return JSON.parse(line) as ProbeResult;
}
