// Starts the real fixture backends (test/fixtures/): the legacy Flask app under gunicorn and the
// candidate FastAPI app under uvicorn, each on its own 127.0.0.1 port, for tests that need a live
// upstream. test/fixtures/serve.py binds the port itself and prints `LISTENING <port>`, so there
// is no pick-a-free-port race; readiness is then a successful health request.
//
// Every server runs in its own process group (gunicorn's workers included). stop() ends the
// group; servers a test forgot, or that outlive a crashed test process, are ended by an exit
// hook here and, if this process is SIGKILLed, by the kernel (PR_SET_PDEATHSIG in serve.py).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { Socket } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** `sio-flask` and `sio-asgi` are the Socket.IO fixtures (test/fixtures/socketio/, see helpers/socketio.ts). */
export type BackendKind = "flask" | "fastapi" | "sio-flask" | "sio-asgi";

export interface BackendOptions {
  /** Extra environment for the app, e.g. `{ INSTANCE: "secondary" }`. */
  env?: Record<string, string>;
  /** Bind this port instead of a free one (e.g. to restart an upstream where the gateway expects it). */
  port?: number;
  /** Give up waiting for readiness after this long. Default 15 000 ms. */
  startTimeoutMs?: number;
  /** Log every request (to the child's stderr). Default false. */
  accessLog?: boolean;
  /** Server log level (gunicorn/uvicorn names). Default "info". */
  logLevel?: string;
  /** Copy the child's stderr to this process's stderr. Default: env CUTOVER_FIXTURE_LOGS=1. */
  echoLogs?: boolean;
  /** Serve another app under test/fixtures/ (`twin.twin_flask:app`) instead of the default one. */
  module?: string;
}

export interface FlaskOptions extends BackendOptions {
  /** gunicorn worker class. `sync` (default) serves one request per worker at a time, so an open
   * SSE stream blocks that worker; `gthread` serves `threads` requests per worker. */
  workerClass?: "sync" | "gthread";
  /** Threads per worker with `gthread`. Default 4. */
  threads?: number;
  /** gunicorn worker processes. Default 1. Admin state (/admin/*) is shared between them. */
  workers?: number;
  /** gunicorn worker timeout in seconds (a sync worker busy longer is killed). Default 30. */
  workerTimeoutS?: number;
  /** gunicorn --graceful-timeout: seconds in-flight requests get after SIGTERM. Default 1. */
  gracefulTimeoutS?: number;
}

export type FastAPIOptions = BackendOptions;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Backend {
  kind: BackendKind;
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  /** The server's master process (gunicorn arbiter / uvicorn), also its process-group id. */
  pid: number;
  /** The health path the helper polled: `/health` (flask) or `/healthz` (fastapi). */
  healthPath: string;
  /** Milliseconds from spawn to the first healthy answer. */
  startupMs: number;
  /** Resolves once the master process has exited. */
  exited: Promise<ExitInfo>;
  /** Quick shutdown (SIGINT to the process group; SIGKILL if that does not work within a few
   * seconds), resolved once no process of the group is left. Idempotent. For a graceful stop use
   * `kill("SIGTERM")` and await `exited`. */
  stop(): Promise<void>;
  /** Send a signal to the whole process group (default SIGKILL): crash it, or SIGSTOP/SIGCONT to
   * make it hang (connections still queue in the kernel's backlog, nothing answers). */
  kill(signal?: NodeJS.Signals): void;
  /** The tail of the server's log (stderr), for assertion messages. */
  logs(): string;
}

const PYTHON = process.env.CUTOVER_FIXTURE_PYTHON ?? "/usr/bin/python3";
const LOG_TAIL_BYTES = 64 * 1024;
const STOP_GRACE_MS = 5000;
const TERMINATING = new Set<NodeJS.Signals>(["SIGKILL", "SIGTERM", "SIGINT", "SIGQUIT"]);

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "test", "fixtures", "serve.py"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("backends: cannot find test/fixtures/serve.py above " + import.meta.url);
    dir = parent;
  }
}

const ROOT = findRepoRoot();
const SERVE = join(ROOT, "test", "fixtures", "serve.py");

// Process groups still running, killed synchronously if this process exits without stopping them.
const live = new Set<number>();
let exitHookInstalled = false;
function track(pgid: number): void {
  live.add(pgid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const id of live) signalGroup(id, "SIGKILL");
  });
}

function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: nothing left in the group
  }
}

/** Live (non-zombie) processes in a process group. Orphaned workers may stay zombies when PID 1
 * does not reap, so `kill(-pgid, 0)` alone would report them as alive. */
export function processGroupMembers(pgid: number): number[] {
  if (!existsSync("/proc/self/stat")) return signalGroup(pgid, 0) ? [pgid] : [];
  const members: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "latin1");
    } catch {
      continue; // exited while we looked
    }
    // pid (comm) state ppid pgrp ...; comm may contain spaces and parens, so split after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] !== "Z" && Number(fields[2]) === pgid) members.push(Number(name));
  }
  return members;
}

async function waitGroupGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processGroupMembers(pgid).length > 0) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One GET without connection reuse; resolves with the status, rejects on any transport error. */
function probe(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}

function childEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  // A small, fixed environment: a developer's PYTHONPATH/PYTHONHOME (pyenv, venvs) must not leak
  // into the Debian python that runs the fixtures.
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    LANG: "C.UTF-8",
    ...extra,
  };
}

/** start runs one fixture server through test/fixtures/serve.py and waits until it is healthy. */
export async function start(kind: BackendKind, args: string[], opts: BackendOptions): Promise<Backend> {
  const healthPath = kind === "flask" || kind === "sio-flask" ? "/health" : "/healthz";
  const timeoutMs = opts.startTimeoutMs ?? 15_000;
  const echo = opts.echoLogs ?? process.env.CUTOVER_FIXTURE_LOGS === "1";
  const argv = [SERVE, kind, ...args, "--parent-pid", String(process.pid), "--log-level", opts.logLevel ?? "info"];
  if (opts.port !== undefined) argv.push("--port", String(opts.port));
  if (opts.accessLog === true) argv.push("--access-log");
  if (opts.module !== undefined) argv.push("--module", opts.module);

  const began = performance.now();
  const child: ChildProcess = spawn(PYTHON, argv, {
    cwd: ROOT,
    env: childEnv(opts.env),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // own process group, so stop() reaches gunicorn's workers too
  });
  const pid = child.pid;
  if (pid === undefined) {
    // spawn failed synchronously (e.g. no python); the error event carries the reason
    const err = await new Promise<Error>((resolve) => child.once("error", resolve));
    throw new Error(`start ${kind}: cannot spawn ${PYTHON}: ${err.message}`);
  }
  track(pid);

  let logTail = "";
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    logTail = (logTail + chunk).slice(-LOG_TAIL_BYTES);
    if (echo) process.stderr.write(chunk.replace(/^(?=.)/gm, `[${kind} ${pid}] `));
  });
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once("exit", (code, signal) => {
      live.delete(pid);
      resolve({ code, signal });
    });
  });
  let exitInfo: ExitInfo | undefined;
  void exited.then((info) => (exitInfo = info));

  const fail = async (why: string): Promise<never> => {
    signalGroup(pid, "SIGKILL");
    await Promise.race([exited, sleep(2000)]);
    const log = logTail.trim() === "" ? "(empty)" : logTail.trimEnd();
    throw new Error(`start ${kind}: ${why} (pid ${pid})\n--- server stderr ---\n${log}\n---`);
  };

  // 1. The launcher's one line of stdout.
  const port = await new Promise<number | string>((resolve) => {
    let out = "";
    const timer = setTimeout(() => resolve(`no LISTENING line within ${timeoutMs} ms`), timeoutMs);
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (chunk: string) => {
      out += chunk;
      const m = /^LISTENING (\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    void exited.then((info) => {
      clearTimeout(timer);
      resolve(`exited before listening (code ${info.code}, signal ${info.signal})`);
    });
  });
  if (typeof port === "string") return fail(port);

  // 2. Health. The socket is already listening, so an early request just waits in the backlog
  //    until a worker accepts it; retries cover the rare refused/reset connection.
  const url = `http://127.0.0.1:${port}`;
  const deadline = began + timeoutMs;
  let lastError = "no attempt";
  for (;;) {
    if (exitInfo) return fail(`exited during startup (code ${exitInfo.code}, signal ${exitInfo.signal})`);
    const left = deadline - performance.now();
    if (left <= 0) return fail(`not healthy within ${timeoutMs} ms at ${url}${healthPath} (last: ${lastError})`);
    try {
      const status = await probe(url + healthPath, Math.max(50, left));
      if (status === 200) break;
      lastError = `HTTP ${status}`;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    await sleep(50);
  }
  const startupMs = Math.round(performance.now() - began);

  // A forgotten backend must not keep the test process alive; the exit hook still kills it.
  child.unref();
  for (const stream of [child.stdout, child.stderr]) if (stream instanceof Socket) stream.unref();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!exitInfo) {
        // SIGINT is the quick shutdown of both servers: gunicorn stops its workers at once (SIGTERM
        // would wait up to --graceful-timeout for idle keep-alive connections); uvicorn starts its
        // shutdown, and a second SIGINT makes it stop waiting for open streams.
        signalGroup(pid, "SIGINT");
        const exitedWithin = (ms: number) => Promise.race([exited.then(() => true), sleep(ms).then(() => false)]);
        if (!(await exitedWithin(1000))) {
          signalGroup(pid, "SIGINT");
          if (!(await exitedWithin(STOP_GRACE_MS))) {
            signalGroup(pid, "SIGKILL");
            await exited;
          }
        }
      }
      // The master is gone; make sure no worker outlives it.
      if (!(await waitGroupGone(pid, 1000))) {
        signalGroup(pid, "SIGKILL");
        await waitGroupGone(pid, 2000);
      }
      live.delete(pid);
    })();
    return stopping;
  };

  return {
    kind,
    url,
    port,
    pid,
    healthPath,
    startupMs,
    exited,
    stop,
    kill: (signal: NodeJS.Signals = "SIGKILL") => {
      // The child is unref'd once ready; a test that kills it will likely await `exited`, which
      // must keep the event loop alive.
      if (TERMINATING.has(signal)) child.ref();
      signalGroup(pid, signal);
    },
    logs: () => logTail,
  };
}

/** The legacy backend: test/fixtures/legacy_flask/app.py under gunicorn. Ready when GET /health is 200. */
export function startFlask(opts: FlaskOptions = {}): Promise<Backend> {
  const workerClass = opts.workerClass ?? "sync";
  const args = ["--worker-class", workerClass, "--workers", String(opts.workers ?? 1)];
  if (workerClass === "gthread") args.push("--threads", String(opts.threads ?? 4));
  if (opts.workerTimeoutS !== undefined) args.push("--timeout", String(opts.workerTimeoutS));
  if (opts.gracefulTimeoutS !== undefined) args.push("--graceful-timeout", String(opts.gracefulTimeoutS));
  return start("flask", args, opts);
}

/** The candidate backend: test/fixtures/candidate_fastapi/app.py under uvicorn. Ready when GET /healthz is 200. */
export function startFastAPI(opts: FastAPIOptions = {}): Promise<Backend> {
  return start("fastapi", [], opts);
}

/** The fixture apps' fault knobs: POST /admin/<action> (health-mode, fail-rate, latency, reset). */
export async function knob(
  url: string,
  action: "health-mode" | "fail-rate" | "latency" | "reset",
  body: Record<string, unknown> = {},
): Promise<void> {
  const { request: undiciRequest } = await import("undici");
  const r = await undiciRequest(`${url}/admin/${action}`, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
  await r.body.dump();
  if (r.statusCode !== 200) throw new Error(`knob ${action} ${JSON.stringify(body)}: HTTP ${r.statusCode}`);
}
