import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/**
 * The backends' CPU and memory while the bench loads them, read from Linux's /proc. A side is
 * found by pid, by the process that owns its listening port (/proc/net/tcp{,6} gives the socket's
 * inode, /proc/<pid>/fd the processes holding it: a gunicorn master and its workers all do), or
 * by process name; child processes are always added, so forked workers count. Elsewhere than
 * Linux, or for a remote upstream, nothing is measured and the numbers say so (null).
 */

export type ProcessSelector = { pid: number } | { port: number } | { name: string };

export interface ProcessUsage {
  /** CPU time of all processes over the wall time, in percent of one core. */
  cpuPercent: number;
  /** Largest sum of resident memory seen while sampling, in MiB. */
  rssMiB: number;
  /** The processes measured (at the last sample). */
  pids: number[];
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

const read = (file: string): string | undefined => {
  try {
    return readFileSync(file, "latin1");
  } catch {
    return undefined; // gone, or not ours
  }
};

const pidDirs = (): number[] => {
  try {
    return readdirSync("/proc")
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  } catch {
    return [];
  }
};

/** Fields after `pid (comm)`: [0] state, [1] ppid, ... [11] utime, [12] stime (clock ticks). */
function statFields(pid: number): string[] | undefined {
  const s = read(`/proc/${pid}/stat`);
  return s === undefined ? undefined : s.slice(s.lastIndexOf(")") + 2).split(" ");
}

/** Listening sockets' inodes for a TCP port, IPv4 and IPv6. */
function listeningInodes(port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  const out = new Set<string>();
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const line of (read(file) ?? "").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st ... inode (index 9); state 0A is LISTEN
      if (f[1]?.endsWith(`:${hex}`) && f[3] === "0A" && f[9]) out.add(f[9]);
    }
  }
  return out;
}

function ownersOf(inodes: Set<string>): number[] {
  if (inodes.size === 0) return [];
  const owners: number[] = [];
  for (const pid of pidDirs()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m?.[1] && inodes.has(m[1])) {
        owners.push(pid);
        break;
      }
    }
  }
  return owners;
}

function byName(name: string): number[] {
  return pidDirs().filter((pid) => {
    if (pid === process.pid) return false;
    if (read(`/proc/${pid}/comm`)?.trim() === name) return true;
    const argv = (read(`/proc/${pid}/cmdline`) ?? "").split("\0");
    return argv.some((a) => a === name || a.endsWith(`/${name}`));
  });
}

/** The processes a selector names (without their children). */
export function selectRoots(sel: ProcessSelector): number[] {
  return "pid" in sel ? [sel.pid] : "port" in sel ? ownersOf(listeningInodes(sel.port)) : byName(sel.name);
}

/**
 * Children of a process from /proc/<pid>/task/<tid>/children (one read per thread, cheap enough
 * to sample every 250 ms); undefined where the kernel lacks that file.
 */
function childrenOf(pid: number): number[] | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const tid of tasks) {
    const text = read(`/proc/${pid}/task/${tid}/children`);
    if (text === undefined) return undefined;
    for (const c of text.trim().split(/\s+/)) if (c) out.push(Number(c));
  }
  return out;
}

/** Parent → children for every process, from a full scan of /proc (the fallback). */
function childMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const pid of pidDirs()) {
    const ppid = Number(statFields(pid)?.[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  return children;
}

/** The given processes and all their descendants, without zombies. */
export function withDescendants(roots: readonly number[]): number[] {
  let scanned: Map<number, number[]> | undefined;
  const out = new Set<number>();
  const stack = [...roots];
  while (stack.length) {
    const p = stack.pop() as number;
    const state = statFields(p)?.[0];
    if (out.has(p) || state === undefined || state === "Z") continue;
    out.add(p);
    const kids = childrenOf(p) ?? (scanned ??= childMap()).get(p) ?? [];
    stack.push(...kids);
  }
  return [...out].sort((a, b) => a - b);
}

function cpuTicks(pid: number): number | undefined {
  const f = statFields(pid);
  return f ? Number(f[11]) + Number(f[12]) : undefined;
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(read(`/proc/${pid}/status`) ?? "");
  return m?.[1] ? Number(m[1]) : 0;
}

/**
 * ProcessFinder keeps the processes a selector found, and looks again only when one of them is
 * gone (scanning every process's file descriptors for a port costs tens of milliseconds).
 */
export class ProcessFinder {
  private found: number[] = [];
  constructor(readonly selector: ProcessSelector) {}

  roots(): number[] {
    if (this.found.length === 0 || this.found.some((p) => statFields(p) === undefined))
      this.found = selectRoots(this.selector);
    return this.found;
  }
}

/**
 * UsageMeter measures one side during one phase: CPU ticks at start and stop (per pid, so a
 * worker that appears counts from zero), resident memory sampled every `sampleMs`.
 */
export class UsageMeter {
  private readonly startTicks = new Map<number, number>();
  private started = 0;
  private peakKiB = 0;
  private pids: number[] = [];
  private roots: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly finder: ProcessFinder,
    private readonly sampleMs = 250,
  ) {}

  start(): void {
    this.roots = this.finder.roots();
    this.pids = withDescendants(this.roots);
    for (const pid of this.pids) {
      const t = cpuTicks(pid);
      if (t !== undefined) this.startTicks.set(pid, t);
    }
    this.started = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.sampleMs);
    this.timer.unref();
  }

  private sample(): void {
    this.pids = withDescendants(this.roots);
    const kib = this.pids.reduce((a, p) => a + rssKiB(p), 0);
    if (kib > this.peakKiB) this.peakKiB = kib;
  }

  /** Stops sampling; undefined when no process was found. */
  stop(): ProcessUsage | undefined {
    clearInterval(this.timer);
    this.sample();
    const wallS = (performance.now() - this.started) / 1000;
    if (this.pids.length === 0 || wallS <= 0) return undefined;
    let ticks = 0;
    for (const pid of this.pids) {
      const now = cpuTicks(pid);
      if (now !== undefined) ticks += Math.max(0, now - (this.startTicks.get(pid) ?? 0));
    }
    return {
      cpuPercent: (ticks / ticksPerSecond() / wallS) * 100,
      rssMiB: this.peakKiB / 1024,
      pids: this.pids,
    };
  }
}
