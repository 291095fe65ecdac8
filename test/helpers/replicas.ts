// Several `cutover run` processes on one PostgreSQL store, and a PgBouncer in transaction mode in
// front of it, for the multi-replica tests. Each replica's JSON log (stderr) is kept for asserts.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { request } from "undici";
import { TOKEN, waitUntil } from "./gateway.js";
import { deadPort } from "./net.js";

const run = promisify(execFile);

export interface Replica {
  child: ChildProcess;
  url: string;
  admin: string;
  /** Log lines (pino JSON) so far. */
  logs: { level: number; msg: string; [k: string]: unknown }[];
  /** What arrived on stderr (for failure messages). */
  stderr(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** An admin API call; throws on a non-2xx answer unless `ok` is false. */
  api<T>(method: string, path: string, json?: unknown): Promise<T>;
}

/** startReplica runs `cutover run` on `store` with `body` (routes, rollout…) in its own directory. */
export async function startReplica(o: {
  dir: string;
  name: string;
  legacy: string;
  candidate: string;
  store: string;
  body: string;
}): Promise<Replica> {
  const dir = join(o.dir, o.name);
  mkdirSync(dir, { recursive: true });
  const cfg = join(dir, "cutover.yaml");
  writeFileSync(
    cfg,
    `
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0, token: ${TOKEN} }
store: ${JSON.stringify(o.store)}
log: { level: info }
upstreams:
  legacy: { url: ${o.legacy}, framework: flask }
  candidate: { url: ${o.candidate}, framework: fastapi }
replicas: { id: ${o.name} }
${o.body}`,
  );
  const child = spawn(process.execPath, ["bin/cutover.js", "run", "-c", cfg, "--json"], {
    stdio: ["ignore", "pipe", "pipe"],
    // The test runner silences gateways' logs; these tests read them.
    env: { ...process.env, CUTOVER_LOG_LEVEL: "info" },
  });
  const logs: Replica["logs"] = [];
  let stderrBytes = 0;
  child.once("exit", (code, signal) => {
    if (code !== 0 && signal === null)
      console.error(`replica ${o.name} exited with ${code}: ${buf} ${JSON.stringify(logs.slice(-5))}`);
  });
  let buf = "";
  child.stderr.on("data", (d: Buffer) => {
    stderrBytes += d.length;
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as Replica["logs"][number]);
      } catch {
        logs.push({ level: 0, msg: line });
      }
    }
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      try {
        JSON.parse(out);
        resolve(out);
      } catch {
        // not all of it yet
      }
    });
    child.once("exit", (code) =>
      reject(new Error(`cutover run exited with ${String(code)}: ${logs.map((l) => l.msg).join("\n")}`)),
    );
  });
  const j = JSON.parse(line) as { listening: string; admin: string };
  return {
    child,
    url: j.listening,
    admin: j.admin,
    logs,
    stderr: () => `${stderrBytes} bytes, ${logs.length} lines, pending ${JSON.stringify(buf.slice(0, 300))}`,
    kill: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
    },
    api: async <T>(method: string, path: string, json?: unknown): Promise<T> => {
      const r = await request(`${j.admin}${path}`, {
        method: method as "GET",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
      const text = await r.body.text();
      if (r.statusCode >= 300) throw new Error(`${method} ${path}: ${r.statusCode} ${text}`);
      return JSON.parse(text) as T;
    },
  };
}

export interface Bouncer {
  url(db: string): string;
  stop(): void;
}

/** startPgBouncer runs Debian's pgbouncer in transaction mode in front of PostgreSQL on `pgPort`. */
export async function startPgBouncer(dir: string, pgPort: number, db: string): Promise<Bouncer> {
  const { port } = await deadPort();
  const ini = join(dir, "pgbouncer.ini");
  writeFileSync(
    ini,
    `[databases]
${db} = host=127.0.0.1 port=${pgPort} dbname=${db} user=cutover
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 200
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = ${join(dir, "pgbouncer.log")}
pidfile = ${join(dir, "pgbouncer.pid")}
`,
  );
  // pgbouncer refuses to run as root: as root it runs as the postgres user (as the PostgreSQL helper does).
  const root = userInfo().uid === 0;
  if (root) {
    const pw = readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .find((l) => l.startsWith("postgres:"))
      ?.split(":");
    chownSync(dir, Number(pw?.[2] ?? 0), Number(pw?.[3] ?? 0));
  }
  const argv: [string, string[]] = root
    ? ["runuser", ["-u", "postgres", "--", "/usr/sbin/pgbouncer", "-d", ini]]
    : ["/usr/sbin/pgbouncer", ["-d", ini]];
  await run(...argv);
  const pidOf = (): number => Number(readFileSync(join(dir, "pgbouncer.pid"), "utf8").trim());
  await waitUntil(() => {
    try {
      return pidOf() > 0;
    } catch {
      return false;
    }
  }, 5000);
  const pid = pidOf();
  return {
    url: (name) => `postgres://cutover@127.0.0.1:${port}/${name}`,
    stop: () => {
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        // already gone
      }
    },
  };
}
