import pg from "pg";
import type { Logger } from "pino";
import { CutoverError } from "../errors/index.js";
import { AUDIT_ID_BLOCK, migratePg, redactUrl } from "./postgres-schema.js";
import type { AuditEntry, Store, StoredRow, StoreInfo } from "./store.js";
import { WriteQueue } from "./write-queue.js";

/** Audit entries kept in memory for reads (`cutover history`, the dashboard); all are in the database. */
const AUDIT_IN_MEMORY = 10_000;
/** Writes waiting while the database is unreachable; audit entries beyond it are dropped and counted. */
const MAX_PENDING = 100_000;
/** How long `close()` waits for pending writes. */
const CLOSE_WAIT_MS = 10_000;

type Op =
  | { t: "weight"; route: string; weight: number; at: number; by: string }
  | { t: "audit"; e: AuditEntry & { id: number } }
  | { t: "doc"; key: string; json: string; at: number }
  | { t: "doc_delete"; key: string }
  | { t: "row"; collection: string; key: string; json: string; at: number }
  | { t: "row_delete"; collection: string; key: string };

/**
 * PostgresStore keeps cutover's state in PostgreSQL (`store: postgres://…`), for hosts whose disk
 * does not survive a restart (Heroku, Render, Railway, Kubernetes pods).
 *
 * The request path never waits on the network: `open()` loads weights, documents and the newest
 * audit entries into memory; reads are served from memory; writes update memory at once and go to
 * the database through one ordered queue (one transaction per batch, retried until it commits).
 * A write is durable once `flush()` resolves after it: the admin API answers only then, so an
 * acknowledged change survives `kill -9`. Writes the gateway makes by itself (rollout state,
 * findings, window snapshots) reach the database within one round trip; a crash can lose only
 * those still queued, and `cutover status` shows how many are (`store.pending`).
 */
export class PostgresStore implements Store {
  private readonly weights = new Map<string, number>();
  private readonly docs = new Map<string, unknown>();
  /** Row collections (findings as deltas): collection → key → value. */
  private readonly rows = new Map<string, Map<string, unknown>>();
  private readonly recent: (AuditEntry & { id: number })[] = [];
  private readonly queue: WriteQueue<Op>;
  private ids = { next: 0, end: 0 };
  private nextBlock: Promise<void> | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly location: string,
    readonly schema: { from: number; to: number },
    private readonly log: Logger | undefined,
  ) {
    this.queue = new WriteQueue<Op>({
      commit: (batch) => this.commit(batch),
      onError: (err, attempt) => {
        if (attempt === 1 || attempt % 20 === 0)
          log?.warn(
            { err: err.message, attempt, pending: this.queue.size },
            "store: PostgreSQL write failed, retrying",
          );
      },
      onRecovered: () => log?.info({ pending: this.queue.size }, "store: PostgreSQL writes recovered"),
      maxPending: MAX_PENDING,
      maxBatch: 500,
    });
  }

  /** open connects, migrates (or refuses a newer schema) and loads the state into memory. */
  static async open(url: string, log?: Logger): Promise<PostgresStore> {
    const location = redactUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      max: 2,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      application_name: "cutover",
    });
    // An idle connection dropped by the server must not crash the gateway; the next write reconnects.
    pool.on("error", (err) => log?.warn({ err: err.message }, "store: PostgreSQL connection lost"));
    try {
      const client = await pool.connect();
      try {
        const schema = await migratePg(client, location);
        const s = new PostgresStore(pool, location, schema, log);
        await s.load(client);
        return s;
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end().catch(() => undefined);
      if (err instanceof CutoverError) throw err;
      throw new CutoverError("CUTOVER_ERR_STORE", `${location}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async load(client: pg.PoolClient): Promise<void> {
    const w = await client.query<{ route: string; weight: number }>("SELECT route, weight FROM cutover.weights");
    for (const r of w.rows) this.weights.set(r.route, r.weight);
    const d = await client.query<{ key: string; value: string }>("SELECT key, value FROM cutover.docs");
    for (const r of d.rows) this.docs.set(r.key, JSON.parse(r.value) as unknown);
    const rows = await client.query<{ collection: string; key: string; value: string }>(
      "SELECT collection, key, value FROM cutover.rows",
    );
    for (const r of rows.rows) this.collection(r.collection).set(r.key, JSON.parse(r.value) as unknown);
    const a = await client.query<{
      id: string;
      at: string;
      actor: string;
      action: string;
      subject: string;
      reason: string;
      detail: string | null;
    }>("SELECT id, at, actor, action, subject, reason, detail FROM cutover.audit ORDER BY id DESC LIMIT $1", [
      AUDIT_IN_MEMORY,
    ]);
    for (const r of a.rows.reverse())
      this.recent.push({
        ...r,
        id: Number(r.id),
        at: Number(r.at),
        detail: r.detail === null ? undefined : (JSON.parse(r.detail) as unknown),
      });
    await this.reserveIds(client);
  }

  /** reserveIds takes the next block of audit ids from the sequence (shared by every gateway). */
  private async reserveIds(client: pg.ClientBase | pg.Pool): Promise<void> {
    const r = await client.query<{ v: string }>("SELECT nextval('cutover.audit_ids') AS v");
    const start = Number(r.rows[0]?.v ?? 1);
    this.ids = { next: start, end: start + AUDIT_ID_BLOCK };
  }

  private nextId(): number {
    if (this.ids.next >= this.ids.end)
      throw new CutoverError(
        "CUTOVER_ERR_STORE",
        `${this.location}: out of audit ids while the database is unreachable`,
      );
    const id = this.ids.next++;
    // Half the block used: take the next one in the background, long before it is needed.
    if (this.ids.end - this.ids.next < AUDIT_ID_BLOCK / 2 && !this.nextBlock) {
      const pool = this.pool;
      this.nextBlock = this.reserveIds(pool)
        .catch((err: unknown) => this.log?.warn({ err: String(err) }, "store: could not reserve audit ids"))
        .finally(() => (this.nextBlock = undefined));
    }
    return id;
  }

  getWeights(): Map<string, number> {
    return new Map(this.weights);
  }

  setWeight(route: string, weight: number, actor: string): void {
    this.weights.set(route, weight);
    this.queue.push({ key: `w:${route}`, op: { t: "weight", route, weight, at: Date.now(), by: actor } });
  }

  setWeights(weights: ReadonlyMap<string, number>, audit: AuditEntry): void {
    // One batch commits as one transaction: queued back to back, they are never split by a crash
    // unless the batch limit falls between them (500 writes).
    for (const [route, w] of weights) this.setWeight(route, w, audit.actor);
    this.audit(audit);
  }

  audit(e: AuditEntry): number {
    const entry = { ...e, id: this.nextId() };
    this.recent.push(entry);
    if (this.recent.length > AUDIT_IN_MEMORY) this.recent.splice(0, this.recent.length - AUDIT_IN_MEMORY);
    this.queue.push({ op: { t: "audit", e: entry } });
    return entry.id;
  }

  auditLog(opts: { limit?: number; subject?: string; sinceId?: number } = {}): AuditEntry[] {
    const out: AuditEntry[] = [];
    const limit = opts.limit ?? 100;
    for (let i = this.recent.length - 1; i >= 0 && out.length < limit; i--) {
      const e = this.recent[i] as AuditEntry & { id: number };
      if (e.id <= (opts.sinceId ?? 0)) break;
      if (opts.subject === undefined || e.subject === opts.subject) out.push(e);
    }
    return out;
  }

  getDoc(key: string): unknown {
    return this.docs.get(key);
  }

  putDoc(key: string, value: unknown): void {
    const json = JSON.stringify(value);
    // What is read back is what a restart would load: a parsed copy, not the caller's object.
    this.docs.set(key, JSON.parse(json) as unknown);
    this.queue.push({ key: `d:${key}`, op: { t: "doc", key, json, at: Date.now() } });
  }

  deleteDoc(key: string): void {
    this.docs.delete(key);
    this.queue.push({ key: `d:${key}`, op: { t: "doc_delete", key } });
  }

  getRows(collection: string): StoredRow[] {
    const c = this.rows.get(collection);
    if (!c) return [];
    return [...c.keys()].sort().map((key) => ({ key, value: c.get(key) }));
  }

  putRows(collection: string, upserts: readonly StoredRow[], deletes: readonly string[] = []): void {
    const c = this.collection(collection);
    const at = Date.now();
    for (const r of upserts) {
      const json = JSON.stringify(r.value);
      c.set(r.key, JSON.parse(json) as unknown);
      this.queue.push({ key: `r:${collection}:${r.key}`, op: { t: "row", collection, key: r.key, json, at } });
    }
    for (const key of deletes) {
      c.delete(key);
      this.queue.push({ key: `r:${collection}:${key}`, op: { t: "row_delete", collection, key } });
    }
  }

  private collection(name: string): Map<string, unknown> {
    let c = this.rows.get(name);
    if (!c) this.rows.set(name, (c = new Map<string, unknown>()));
    return c;
  }

  flush(): Promise<void> {
    return this.queue.flush();
  }

  info(): StoreInfo {
    return {
      kind: "postgres",
      location: this.location,
      schema: this.schema,
      pending: this.queue.size,
      dropped: this.queue.dropped,
      last_error: this.queue.lastError,
    };
  }

  async close(): Promise<void> {
    const left = await this.queue.close(CLOSE_WAIT_MS);
    if (left > 0) this.log?.error({ pending: left }, "store: closed with writes not yet in PostgreSQL");
    await this.pool.end().catch(() => undefined);
  }

  private async commit(batch: readonly Op[]): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      for (const op of batch) await client.query(sqlOf(op));
      await client.query("COMMIT");
      client.release();
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      // A connection that failed mid-transaction is not reused.
      client.release(err as Error);
      throw err;
    }
  }
}

function sqlOf(op: Op): pg.QueryConfig {
  switch (op.t) {
    case "weight":
      return {
        text: `INSERT INTO cutover.weights (route, weight, updated_at, updated_by) VALUES ($1, $2, $3, $4)
               ON CONFLICT (route) DO UPDATE SET weight = $2, updated_at = $3, updated_by = $4`,
        values: [op.route, op.weight, op.at, op.by],
      };
    case "doc":
      return {
        text: `INSERT INTO cutover.docs (key, value, updated_at) VALUES ($1, $2, $3)
               ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = $3`,
        values: [op.key, op.json, op.at],
      };
    case "doc_delete":
      return { text: "DELETE FROM cutover.docs WHERE key = $1", values: [op.key] };
    case "row":
      return {
        text: `INSERT INTO cutover.rows (collection, key, value, updated_at) VALUES ($1, $2, $3, $4)
               ON CONFLICT (collection, key) DO UPDATE SET value = $3, updated_at = $4`,
        values: [op.collection, op.key, op.json, op.at],
      };
    case "row_delete":
      return { text: "DELETE FROM cutover.rows WHERE collection = $1 AND key = $2", values: [op.collection, op.key] };
    case "audit": {
      const e = op.e;
      return {
        text: `INSERT INTO cutover.audit (id, at, actor, action, subject, reason, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)
               ON CONFLICT (id) DO NOTHING`,
        values: [
          e.id,
          e.at,
          e.actor,
          e.action,
          e.subject,
          e.reason,
          e.detail === undefined ? null : JSON.stringify(e.detail),
        ],
      };
    }
  }
}
