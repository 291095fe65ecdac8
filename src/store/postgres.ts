/**
 * PostgresStore, the Store kept in PostgreSQL: the connection pool, the ordered write queue, audit
 * ids, fencing, and the Store interface served from memory. The memory and the transactions that
 * load, refresh and commit it are in postgres-sync.ts.
 */
import pg from "pg";
import type { Logger } from "pino";
import { CutoverError } from "../errors/index.js";
import type { Op } from "./postgres-ops.js";
import type { RowMerger } from "./postgres-rows.js";
import { AUDIT_ID_BLOCK, migratePg, redactUrl } from "./postgres-schema.js";
import { commitBatch, loadSnapshot, Memory, pruneTombstones, readChanges, type StoreChanges } from "./postgres-sync.js";
import type { AuditEntry, Store, StoredRow, StoreInfo } from "./store.js";
import { WriteQueue } from "./write-queue.js";

export type { RowMerger } from "./postgres-rows.js";
export type { StoreChanges } from "./postgres-sync.js";

/** Writes waiting while the database is unreachable; audit entries beyond it are dropped and counted. */
const MAX_PENDING = 100_000;
/** Pooled connections with an "error" listener of their own. */
const guarded = new WeakSet<pg.PoolClient>();
/** How long `close()` waits for pending writes. */
const CLOSE_WAIT_MS = 10_000;

export interface PostgresOptions {
  /** This replica's id: written with every row, so changes from others are told apart. */
  replica?: string;
  /** How far ahead of its commit (database clock) a weight change takes effect on every replica. */
  applyDelayMs?: number;
  /** How rows written by several replicas under one key combine, per collection (findings). */
  mergers?: Readonly<Record<string, RowMerger>>;
}

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
  private readonly mem: Memory;
  private readonly queue: WriteQueue<Op>;
  private ids = { next: 0, end: 0 };
  private nextBlock: Promise<void> | undefined;
  /** The leader epoch writes made now depend on (see fenced()). */
  private fence: number | undefined;
  readonly replica: string;
  readonly applyDelayMs: number;
  /** Called when fenced writes were refused: a newer leader holds the lease. */
  onFenced: ((refused: number) => void) | undefined;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
    private readonly location: string,
    readonly schema: { from: number; to: number },
    private readonly log: Logger | undefined,
    opts: PostgresOptions,
  ) {
    this.replica = opts.replica ?? "";
    this.applyDelayMs = opts.applyDelayMs ?? 0;
    this.mem = new Memory(opts.mergers, this.replica);
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
  static async open(url: string, log?: Logger, opts: PostgresOptions = {}): Promise<PostgresStore> {
    const location = redactUrl(url);
    const pool = new pg.Pool({
      connectionString: url,
      // The write queue, refresh, heartbeat, lease and evidence: never more than this at once.
      max: 4,
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
        const s = new PostgresStore(pool, url, location, schema, log, opts);
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

  /** load reads the state into memory in one snapshot (`all: false`: see loadSnapshot). */
  private async load(client: pg.PoolClient, all = true): Promise<void> {
    await loadSnapshot(client, this.mem, all);
    if (all) await this.reserveIds(client);
  }

  /**
   * refresh reads what other replicas wrote since the last refresh (one snapshot) into memory and
   * says what changed. Weights come back with their effective time, this replica's own too.
   */
  async refresh(): Promise<StoreChanges> {
    const client = await this.connect();
    try {
      const out = await readChanges(client, this.mem, this.replica, () => this.queuedDocs());
      client.release();
      return out;
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
  }

  /** Document keys with a write (or deletion) still waiting to commit. */
  private queuedDocs(): Set<string> {
    const keys = new Set<string>();
    for (const op of this.queue.ops()) if (op.t === "doc" || op.t === "doc_delete") keys.add(op.key);
    return keys;
  }

  /**
   * fenced runs `fn` so that every write it makes commits only while `epoch` is still the
   * judge lease's epoch held by this replica (checked in the write's own transaction).
   */
  fenced<T>(epoch: number, fn: () => T): T {
    const prev = this.fence;
    this.fence = epoch;
    try {
      return fn();
    } finally {
      this.fence = prev;
    }
  }

  /**
   * connect checks out a pooled connection that cannot crash the process: a checked-out client
   * whose session the server ends (idle-in-transaction timeout after a pause) emits "error".
   */
  private async connect(): Promise<pg.PoolClient> {
    const c = await this.pool.connect();
    if (!guarded.has(c)) {
      guarded.add(c);
      c.on("error", (err) => this.log?.warn({ err: err.message }, "store: PostgreSQL session ended"));
    }
    return c;
  }

  /** The change number this replica has read up to (published in its heartbeat). */
  get seen(): number {
    return this.mem.seen;
  }

  /**
   * pruneTombstones deletes deletion records every replica has read past (`below`: the lowest
   * change number read, plus one); returns how many went.
   */
  pruneTombstones(below: number): Promise<number> {
    return pruneTombstones(this.pool, below);
  }

  /** Runs a statement outside the write queue (heartbeats, the lease, evidence). */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(text, values)).rows;
  }

  /** A new session connection of its own (LISTEN needs one); the caller ends it. */
  client(): pg.Client {
    return new pg.Client({ connectionString: this.url, application_name: "cutover-listen" });
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

  private push(key: string | undefined, op: Op): void {
    if (this.fence !== undefined) op.fence = this.fence;
    this.queue.push(key === undefined ? { op } : { key: `${key}${op.fence ?? ""}`, op });
  }

  getWeights(): Map<string, number> {
    return new Map(this.mem.weights);
  }

  setWeight(route: string, weight: number, actor: string): void {
    this.mem.weights.set(route, weight);
    this.push(`w:${route}`, { t: "weight", route, weight, at: Date.now(), by: actor });
  }

  setWeights(weights: ReadonlyMap<string, number>, audit: AuditEntry): void {
    // One batch commits as one transaction: queued back to back, they are never split by a crash
    // unless the batch limit falls between them (500 writes).
    for (const [route, w] of weights) this.setWeight(route, w, audit.actor);
    this.audit(audit);
  }

  audit(e: AuditEntry): number {
    const entry = { ...e, id: this.nextId() };
    this.mem.addAudit(entry);
    this.push(undefined, { t: "audit", e: entry });
    return entry.id;
  }

  auditLog(opts: { limit?: number; subject?: string; sinceId?: number } = {}): AuditEntry[] {
    const out: AuditEntry[] = [];
    const limit = opts.limit ?? 100;
    const recent = this.mem.recent;
    for (let i = recent.length - 1; i >= 0 && out.length < limit; i--) {
      const e = recent[i] as AuditEntry & { id: number };
      if (e.id <= (opts.sinceId ?? 0)) break;
      if (opts.subject === undefined || e.subject === opts.subject) out.push(e);
    }
    return out;
  }

  getDoc(key: string): unknown {
    return this.mem.docs.get(key);
  }

  putDoc(key: string, value: unknown): void {
    const json = JSON.stringify(value);
    // What is read back is what a restart would load: a parsed copy, not the caller's object.
    this.mem.docs.set(key, JSON.parse(json) as unknown);
    this.push(`d:${key}`, { t: "doc", key, json, at: Date.now() });
  }

  deleteDoc(key: string): void {
    this.mem.docs.delete(key);
    this.push(`d:${key}`, { t: "doc_delete", key });
  }

  getRows(collection: string): StoredRow[] {
    const c = this.mem.rows.get(collection);
    if (!c) return [];
    return c.keys().map((key) => ({ key, value: c.get(key) }));
  }

  putRows(collection: string, upserts: readonly StoredRow[], deletes: readonly string[] = []): void {
    const c = this.mem.collection(collection);
    const at = Date.now();
    for (const r of upserts) {
      const own = c.setOwn(r.key, JSON.parse(JSON.stringify(r.value)) as unknown);
      const json = JSON.stringify(own);
      this.push(`r:${collection}:${r.key}`, { t: "row", collection, key: r.key, json, at });
    }
    for (const key of deletes) {
      c.delete(key);
      this.push(`r:${collection}:${key}`, { t: "row_delete", collection, key });
    }
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

  /** commit writes one batch in one transaction (see commitBatch); a failed connection is not reused. */
  private async commit(batch: readonly Op[]): Promise<void> {
    const client = await this.connect();
    let refused: number;
    try {
      refused = await commitBatch(client, batch, this.replica, this.applyDelayMs);
      client.release();
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    if (refused > 0) {
      this.log?.warn({ refused }, "store: writes of a deposed leader refused (fencing epoch no longer current)");
      this.onFenced?.(refused);
    }
  }

  /** reload re-reads everything (after refused fenced writes, memory may hold what never committed). */
  async reload(): Promise<void> {
    const client = await this.connect();
    try {
      await this.load(client, false);
    } finally {
      client.release();
    }
  }
}
