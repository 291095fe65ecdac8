// A real PostgreSQL from the Debian package, for tests: `initdb` in a temp directory, listening on
// 127.0.0.1 only (and a socket in that directory) on a free port, stopped and removed by stop().
// PostgreSQL refuses to run as root, so as root it runs as the `postgres` user (the Debian
// package creates it; else `nobody`) in a directory that user owns.
import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { deadPort } from "./net.js";

const run = promisify(execFile);

export interface Postgres {
  port: number;
  dir: string;
  /** `postgres://cutover@127.0.0.1:<port>/<db>` (trust authentication on loopback). */
  url(db?: string): string;
  /** CREATE DATABASE name; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs SQL on a database (default "postgres"). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, db?: string): Promise<R[]>;
  /** Stops the server (fast: ends sessions, no checkpoint wait) and keeps the data directory. */
  halt(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  resume(): Promise<void>;
  /** Stops the server and removes the directory. */
  stop(): Promise<void>;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => join(root, v, "bin")).find((d) => existsSync(join(d, "initdb")));
  if (!dir) throw new Error("PostgreSQL is not installed (Debian package postgresql)");
  return dir;
}

/** The user PostgreSQL runs as: this one, or when root an unprivileged one. */
function runAs(): { user: string; uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const passwd = readFileSync("/etc/passwd", "utf8").split("\n");
  for (const user of ["postgres", "nobody"]) {
    const f = passwd.find((l) => l.startsWith(`${user}:`))?.split(":");
    if (f?.[2] && f[3]) return { user, uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error("running as root, and neither a postgres nor a nobody user exists to run PostgreSQL");
}

export async function startPostgres(): Promise<Postgres> {
  const bin = binDir();
  const dir = mkdtempSync("/tmp/cutover-pg-");
  const as = runAs();
  if (as) chownSync(dir, as.uid, as.gid);
  const argv = (cmd: string, args: string[]): [string, string[]] =>
    as ? ["runuser", ["-u", as.user, "--", join(bin, cmd), ...args]] : [join(bin, cmd), args];
  const exec = (cmd: string, args: string[]): Promise<unknown> => run(...argv(cmd, args));
  const data = join(dir, "data");
  await exec("initdb", ["-D", data, "-A", "trust", "-U", "cutover", "--no-sync", "-E", "UTF8", "--no-instructions"]);
  const { port } = await deadPort();
  // fsync off: the tests kill gateways, never this server, so its crash safety is not under test.
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c max_connections=60`;
  const start = (): Promise<unknown> =>
    exec("pg_ctl", ["-D", data, "-o", opts, "-l", join(dir, "log"), "-w", "-t", "30", "start"]);
  await start();
  const url = (db = "postgres"): string => `postgres://cutover@127.0.0.1:${port}/${db}`;
  const query = async <R extends pg.QueryResultRow>(sql: string, db = "postgres"): Promise<R[]> => {
    const c = new pg.Client({ connectionString: url(db) });
    await c.connect();
    try {
      return (await c.query<R>(sql)).rows;
    } finally {
      await c.end();
    }
  };
  let stopped = false;
  const halt = async (): Promise<void> => {
    await exec("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
  };
  const pgs: Postgres = {
    port,
    dir,
    url,
    query,
    async createDatabase(name) {
      await query(`CREATE DATABASE "${name}"`);
      return url(name);
    },
    halt,
    resume: async () => {
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await exec("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  process.once("exit", () => {
    if (stopped) return;
    try {
      execFileSync(...argv("pg_ctl", ["-D", data, "-m", "immediate", "stop"]), { stdio: "ignore" });
    } catch {
      // already gone
    }
  });
  return pgs;
}
