import pg from "pg";
import type { Logger } from "pino";
import { CutoverError } from "../errors/index.js";
import { auditOf, kindOf, sqlOf, type AuditRow, type Op } from "./postgres-ops.js";
import { SharedCollection, type RowMerger } from "./postgres-rows.js";
import { AUDIT_ID_BLOCK, CHANGES_CHANNEL, migratePg, redactUrl } from "./postgres-schema.js";
import type { AuditEntry, Store, StoredRow, StoreInfo } from "./store.js";
import { WriteQueue } from "./write-queue.js";

export type { RowMerger } from "./postgres-rows.js";

/** Audit entries kept in memory for reads (`cutover history`, the dashboard); all are in the database. */
const AUDIT_IN_MEMORY = 10_000;
/** Writes waiting while the database is unreachable; audit entries beyond it are dropped and counted. */
const MAX_PENDING = 100_000;
/** Pooled connections with an "error" listener of their own. */
const guarded = new WeakSet<pg.PoolClient>();
/** How long a transaction of this store may sit idle before the server ends it (below the default lease). */
const IDLE_IN_TX_MS = 2000;
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

/** What `refresh()` found written since the last refresh. */
export interface StoreChanges {
  seq: number;
  /** Weights written (by any replica, this one too) and when they take effect (database clock, ms). */
  weights: { route: string; weight: number; effectiveAt: number; replica: string }[];
  /** Document keys set or deleted by other replicas. */
  docs: string[];
  /** Row collections changed by other replicas. */
  rows: string[];
  /** Audit entries added by other replicas. */
  audit: number;
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
  private readonly weights = new Map<string, number>();
  private readonly docs = new Map<string, unknown>();
  /** Row collections (findings as deltas), each merged over the replicas that wrote it. */
  private readonly rows = new Map<string, SharedCollection>();
  private readonly recent: (AuditEntry & { id: number })[] = [];
  private readonly queue: WriteQueue<Op>;
  private ids = { next: 0, end: 0 };
  private nextBlock: Promise<void> | undefined;
  /** The change number read up to (refresh reads what is newer). */
  private seen = 0;
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
    private readonly opts: PostgresOptions,
  ) {
    this.replica = opts.replica ?? "";
    this.applyDelayMs = opts.applyDelayMs ?? 0;
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

  /**
   * load reads the state into memory in one snapshot. `all: false` (a reload after refused fenced
   * writes) re-reads weights, documents and the audit log only: row contributions and the change
   * number stay, so no change from another replica is skipped.
   */
  private async load(client: pg.PoolClient, all = true): Promise<void> {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
    try {
      const seq = await client.query<{ value: string }>("SELECT value FROM cutover.meta WHERE key = 'change_seq'");
      if (all) this.seen = Number(seq.rows[0]?.value ?? 0);
      this.weights.clear();
      this.docs.clear();
      const w = await client.query<{ route: string; weight: number }>("SELECT route, weight FROM cutover.weights");
      for (const r of w.rows) this.weights.set(r.route, r.weight);
      const d = await client.query<{ key: string; value: string }>("SELECT key, value FROM cutover.docs");
      for (const r of d.rows) this.docs.set(r.key, JSON.parse(r.value) as unknown);
      if (all) await this.loadRows(client);
      const a = await client.query<AuditRow>(
        "SELECT id, at, actor, action, subject, reason, detail FROM cutover.audit ORDER BY id DESC LIMIT $1",
        [AUDIT_IN_MEMORY],
      );
      this.recent.length = 0;
      for (const r of a.rows.reverse()) this.recent.push(auditOf(r));
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw err;
    }
    if (all) await this.reserveIds(client);
  }

  private async loadRows(client: pg.PoolClient): Promise<void> {
    const rows = await client.query<{ collection: string; key: string; replica: string; value: string }>(
      "SELECT collection, key, replica, value FROM cutover.rows ORDER BY updated_at, seq",
    );
    for (const r of rows.rows) this.collection(r.collection).setOther(r.key, r.replica, JSON.parse(r.value));
    for (const c of this.rows.values()) c.seal();
  }

  /**
   * refresh reads what other replicas wrote since the last refresh (one snapshot) into memory and
   * says what changed. Weights come back with their effective time, this replica's own too.
   */
  async refresh(): Promise<StoreChanges> {
    const client = await this.connect();
    const out: StoreChanges = { seq: this.seen, weights: [], docs: [], rows: [], audit: 0 };
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const v = await client.query<{ value: string }>("SELECT value FROM cutover.meta WHERE key = 'change_seq'");
      const seq = Number(v.rows[0]?.value ?? 0);
      if (seq > this.seen) {
        const since = [this.seen];
        const w = await client.query<{ route: string; weight: number; effective_at: string; replica: string }>(
          "SELECT route, weight, effective_at, replica FROM cutover.weights WHERE seq > $1",
          since,
        );
        for (const r of w.rows) {
          if (r.replica !== this.replica) this.weights.set(r.route, r.weight);
          out.weights.push({
            route: r.route,
            weight: r.weight,
            effectiveAt: Number(r.effective_at),
            replica: r.replica,
          });
        }
        const d = await client.query<{ key: string; value: string; replica: string }>(
          "SELECT key, value, replica FROM cutover.docs WHERE seq > $1",
          since,
        );
        for (const r of d.rows.filter((x) => x.replica !== this.replica)) {
          this.docs.set(r.key, JSON.parse(r.value) as unknown);
          out.docs.push(r.key);
        }
        const rows = await client.query<{ collection: string; key: string; replica: string; value: string }>(
          "SELECT collection, key, replica, value FROM cutover.rows WHERE seq > $1 AND replica <> $2 ORDER BY seq",
          [this.seen, this.replica],
        );
        for (const r of rows.rows) this.collection(r.collection).setOther(r.key, r.replica, JSON.parse(r.value));
        const gone = await client.query<{ kind: string; collection: string; key: string }>(
          "SELECT kind, collection, key FROM cutover.deleted WHERE seq > $1",
          since,
        );
        for (const g of gone.rows) {
          if (g.kind === "doc") {
            this.docs.delete(g.key);
            out.docs.push(g.key);
          } else {
            this.rows.get(g.collection)?.delete(g.key);
            out.rows.push(g.collection);
          }
        }
        out.rows = [...new Set([...out.rows, ...rows.rows.map((r) => r.collection)])];
        const a = await client.query<AuditRow>(
          "SELECT id, at, actor, action, subject, reason, detail FROM cutover.audit WHERE seq > $1 ORDER BY id",
          since,
        );
        out.audit = this.mergeAudit(a.rows.map(auditOf));
        this.seen = out.seq = seq;
      }
      await client.query("COMMIT");
      client.release();
    } catch (err) {
      client.release(err as Error);
      throw err;
    }
    return out;
  }

  /** Adds entries written elsewhere to the in-memory log, in id order; returns how many were new. */
  private mergeAudit(entries: (AuditEntry & { id: number })[]): number {
    const have = new Set(this.recent.map((e) => e.id));
    const add = entries.filter((e) => !have.has(e.id));
    if (add.length === 0) return 0;
    this.recent.push(...add);
    this.recent.sort((x, y) => x.id - y.id);
    if (this.recent.length > AUDIT_IN_MEMORY) this.recent.splice(0, this.recent.length - AUDIT_IN_MEMORY);
    return add.length;
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
    return new Map(this.weights);
  }

  setWeight(route: string, weight: number, actor: string): void {
    this.weights.set(route, weight);
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
    this.recent.push(entry);
    if (this.recent.length > AUDIT_IN_MEMORY) this.recent.splice(0, this.recent.length - AUDIT_IN_MEMORY);
    this.push(undefined, { t: "audit", e: entry });
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
    this.push(`d:${key}`, { t: "doc", key, json, at: Date.now() });
  }

  deleteDoc(key: string): void {
    this.docs.delete(key);
    this.push(`d:${key}`, { t: "doc_delete", key });
  }

  getRows(collection: string): StoredRow[] {
    const c = this.rows.get(collection);
    if (!c) return [];
    return c.keys().map((key) => ({ key, value: c.get(key) }));
  }

  putRows(collection: string, upserts: readonly StoredRow[], deletes: readonly string[] = []): void {
    const c = this.collection(collection);
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

  private collection(name: string): SharedCollection {
    let c = this.rows.get(name);
    if (!c) this.rows.set(name, (c = new SharedCollection(this.opts.mergers?.[name])));
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

  /**
   * commit writes one batch in one transaction: it takes the next change number (a row lock, so
   * change numbers commit in order), skips fenced writes whose epoch is no longer the lease's,
   * and notifies the other replicas of what changed (delivered on commit).
   */
  private async commit(batch: readonly Op[]): Promise<void> {
    const client = await this.connect();
    let refused = 0;
    try {
      await client.query("BEGIN");
      // A replica paused mid-transaction (SIGSTOP, a long GC) must not hold the change counter or
      // the lease row locked: the server ends its transaction; the batch is retried.
      await client.query(`SET LOCAL idle_in_transaction_session_timeout = ${IDLE_IN_TX_MS}`);
      const v = await client.query<{ value: string }>(
        "UPDATE cutover.meta SET value = (value::bigint + 1)::text WHERE key = 'change_seq' RETURNING value",
      );
      const seq = Number(v.rows[0]?.value ?? 0);
      const fences = new Map<number, boolean>();
      const kinds = new Set<string>();
      for (const op of batch) {
        if (op.fence !== undefined) {
          let ok = fences.get(op.fence);
          if (ok === undefined) {
            // FOR SHARE: a takeover (UPDATE of the lease) waits until this transaction ends.
            const r = await client.query(
              "SELECT 1 FROM cutover.lease WHERE name = 'judge' AND epoch = $1 AND holder = $2 FOR SHARE",
              [op.fence, this.replica],
            );
            fences.set(op.fence, (ok = r.rowCount === 1));
          }
          if (!ok) {
            refused++;
            continue;
          }
        }
        for (const q of sqlOf(op, seq, this.replica, this.applyDelayMs)) await client.query(q);
        kinds.add(kindOf(op));
      }
      if (kinds.size > 0)
        await client.query("SELECT pg_notify($1, $2)", [
          CHANGES_CHANNEL,
          `${seq} ${this.replica} ${[...kinds].join(",")}`,
        ]);
      await client.query("COMMIT");
      client.release();
    } catch (err) {
      await client.query("ROLLBACK").catch(() => undefined);
      // A connection that failed mid-transaction is not reused.
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
