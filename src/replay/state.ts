import Database from "better-sqlite3";
import pg from "pg";
import type { CapturedResponse } from "../diff/types.js";
import { CutoverError } from "../errors/index.js";

/**
 * Write effects: after each replayed write, an SQL probe per side reads the rows the write may
 * have changed (`SELECT … ORDER BY id`), and the rows are compared like answers (the same diff
 * engine, noise and findings). A database is a PostgreSQL URL (`postgres://…`) or an SQLite file
 * (`sqlite:PATH` or a path), opened read-only per probe so a reset hook may replace the file.
 */

/** Rows read by a probe are capped: a probe selecting a whole table is cut (and says so). */
export const MAX_STATE_ROWS = 10_000;
const PROBE_TIMEOUT_MS = 10_000;

export interface StateSide {
  /** The database, as given (for messages; a password in a URL is not shown). */
  readonly where: string;
  rows(sql: string): Promise<{ rows: unknown[]; truncated: boolean }>;
  close(): Promise<void>;
}

/** The probes of one replay: one SQL per side (the same by default), one database per side. */
export interface StateProbes {
  legacy: { side: StateSide; sql: string };
  candidate: { side: StateSide; sql: string };
  /** A second legacy's database: values that vary by themselves there are learned as noise. */
  secondary?: { side: StateSide; sql: string } | undefined;
}

const WRITES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** isWrite: a request after which the state probes run. */
export function isWrite(method: string): boolean {
  return WRITES.has(method.toUpperCase());
}

function shown(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, "//$1:***@");
}

function fail(where: string, err: unknown): CutoverError {
  const msg = err instanceof Error ? err.message : String(err);
  return new CutoverError("CUTOVER_ERR_REPLAY_STATE", `${where}: ${msg}`, { cause: err });
}

class SqliteSide implements StateSide {
  constructor(
    readonly where: string,
    private readonly file: string,
  ) {}

  rows(sql: string): Promise<{ rows: unknown[]; truncated: boolean }> {
    try {
      const db = new Database(this.file, { readonly: true, fileMustExist: true, timeout: PROBE_TIMEOUT_MS });
      try {
        const rows: unknown[] = [];
        let truncated = false;
        for (const row of db.prepare(sql).iterate()) {
          if (rows.length >= MAX_STATE_ROWS) {
            truncated = true;
            break;
          }
          rows.push(row);
        }
        return Promise.resolve({ rows, truncated });
      } finally {
        db.close();
      }
    } catch (err) {
      return Promise.reject(fail(this.where, err));
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

class PostgresSide implements StateSide {
  private client: pg.Client | undefined;

  constructor(
    readonly where: string,
    private readonly url: string,
  ) {}

  async rows(sql: string): Promise<{ rows: unknown[]; truncated: boolean }> {
    try {
      if (!this.client) {
        const c = new pg.Client({
          connectionString: this.url,
          statement_timeout: PROBE_TIMEOUT_MS,
          connectionTimeoutMillis: PROBE_TIMEOUT_MS,
        });
        // A connection the server drops while idle must not crash the replay: the next probe reconnects.
        c.on("error", () => {
          if (this.client === c) this.client = undefined;
          void c.end().catch(() => undefined);
        });
        await c.connect();
        this.client = c;
      }
      // Read-only, so a probe can never change what it measures.
      await this.client.query("BEGIN READ ONLY");
      const r = await this.client.query(sql);
      await this.client.query("COMMIT");
      const rows = r.rows as unknown[];
      return { rows: rows.slice(0, MAX_STATE_ROWS), truncated: rows.length > MAX_STATE_ROWS };
    } catch (err) {
      await this.client?.query("ROLLBACK").catch(() => undefined);
      throw fail(this.where, err);
    }
  }

  async close(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }
}

/** openState opens one side's database: a PostgreSQL URL, `sqlite:PATH` or a file path. */
export function openState(db: string, name: string): StateSide {
  if (/^postgres(ql)?:\/\//.test(db)) return new PostgresSide(`${name} ${shown(db)}`, db);
  const file = db.startsWith("sqlite:") ? db.slice("sqlite:".length) : db;
  if (file === "") throw new CutoverError("CUTOVER_ERR_USAGE", `--state-db-${name}: a database URL or file is needed`);
  return new SqliteSide(`${name} ${file}`, file);
}

/** The rows as an answer for the diff engine: `{"rows": […]}` as JSON (status 200). */
export function rowsAnswer(r: { rows: unknown[]; truncated: boolean }): CapturedResponse {
  const body = Buffer.from(
    JSON.stringify({ rows: r.rows }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
  );
  return {
    status: 200,
    headers: { "content-type": "application/json" },
    body,
    truncated: r.truncated,
    timing: { headersMs: 0, totalMs: 0 },
  };
}

/** probeAll runs each side's probe at once and returns their rows as answers. */
export async function probeAll(
  p: StateProbes,
): Promise<{ legacy: CapturedResponse; candidate: CapturedResponse; secondary?: CapturedResponse }> {
  const [l, c, s] = await Promise.all([
    p.legacy.side.rows(p.legacy.sql),
    p.candidate.side.rows(p.candidate.sql),
    p.secondary?.side.rows(p.secondary.sql),
  ]);
  return { legacy: rowsAnswer(l), candidate: rowsAnswer(c), ...(s ? { secondary: rowsAnswer(s) } : {}) };
}

export async function closeAll(p: StateProbes | undefined): Promise<void> {
  if (!p) return;
  await Promise.all([p.legacy.side.close(), p.candidate.side.close(), p.secondary?.side.close()]);
}
