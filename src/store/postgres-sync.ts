/**
 * The PostgreSQL store's memory and the transactions that keep it in step with the database:
 * loading a snapshot, reading what other replicas wrote since, and committing a batch of writes.
 * PostgresStore (postgres.ts) owns the connections and the write queue and calls these.
 */
import type pg from "pg";
import { auditOf, kindOf, sqlOf, type AuditRow, type Op } from "./postgres-ops.js";
import { SharedCollection, type RowMerger } from "./postgres-rows.js";
import { CHANGES_CHANNEL } from "./postgres-schema.js";
import type { AuditEntry } from "./store.js";

/** Audit entries kept in memory for reads (`cutover history`, the dashboard); all are in the database. */
const AUDIT_IN_MEMORY = 10_000;
/** How long a transaction of this store may sit idle before the server ends it (below the default lease). */
const IDLE_IN_TX_MS = 2000;

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

/** What one replica holds in memory: every read of the store is served from here. */
export class Memory {
  readonly weights = new Map<string, number>();
  readonly docs = new Map<string, unknown>();
  /** Row collections (findings as deltas), each merged over the replicas that wrote it. */
  readonly rows = new Map<string, SharedCollection>();
  /** The newest audit entries, in id order. */
  readonly recent: (AuditEntry & { id: number })[] = [];
  /** The change number read up to (a refresh reads what is newer). */
  seen = 0;

  constructor(
    private readonly mergers: Readonly<Record<string, RowMerger>> | undefined,
    /** This replica's id: its own stored rows are its contribution, kept when it writes again. */
    private readonly self = "",
  ) {}

  /** The named row collection, made (with its merger) on first use. */
  collection(name: string): SharedCollection {
    let c = this.rows.get(name);
    if (!c) this.rows.set(name, (c = new SharedCollection(this.mergers?.[name], this.self)));
    return c;
  }

  /** Adds an entry this replica wrote (ids are taken in order, so it is the newest). */
  addAudit(entry: AuditEntry & { id: number }): void {
    this.recent.push(entry);
    this.trimAudit();
  }

  /** Adds entries written elsewhere to the in-memory log, in id order; returns how many were new. */
  mergeAudit(entries: (AuditEntry & { id: number })[]): number {
    const have = new Set(this.recent.map((e) => e.id));
    const add = entries.filter((e) => !have.has(e.id));
    if (add.length === 0) return 0;
    this.recent.push(...add);
    this.recent.sort((x, y) => x.id - y.id);
    this.trimAudit();
    return add.length;
  }

  private trimAudit(): void {
    if (this.recent.length > AUDIT_IN_MEMORY) this.recent.splice(0, this.recent.length - AUDIT_IN_MEMORY);
  }
}

/**
 * loadSnapshot reads the state into memory in one snapshot. `all: false` (a reload after refused
 * fenced writes) re-reads weights, documents and the audit log only: row contributions and the
 * change number stay, so no change from another replica is skipped.
 */
export async function loadSnapshot(client: pg.PoolClient, mem: Memory, all: boolean): Promise<void> {
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ");
  try {
    const seq = await client.query<{ value: string }>("SELECT value FROM cutover.meta WHERE key = 'change_seq'");
    if (all) mem.seen = Number(seq.rows[0]?.value ?? 0);
    mem.weights.clear();
    mem.docs.clear();
    const w = await client.query<{ route: string; weight: number }>("SELECT route, weight FROM cutover.weights");
    for (const r of w.rows) mem.weights.set(r.route, r.weight);
    const d = await client.query<{ key: string; value: string }>("SELECT key, value FROM cutover.docs");
    for (const r of d.rows) mem.docs.set(r.key, JSON.parse(r.value) as unknown);
    if (all) await loadRows(client, mem);
    const a = await client.query<AuditRow>(
      "SELECT id, at, actor, action, subject, reason, detail FROM cutover.audit ORDER BY id DESC LIMIT $1",
      [AUDIT_IN_MEMORY],
    );
    mem.recent.length = 0;
    for (const r of a.rows.reverse()) mem.recent.push(auditOf(r));
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

async function loadRows(client: pg.PoolClient, mem: Memory): Promise<void> {
  const rows = await client.query<{ collection: string; key: string; replica: string; value: string }>(
    "SELECT collection, key, replica, value FROM cutover.rows ORDER BY updated_at, seq",
  );
  for (const r of rows.rows) mem.collection(r.collection).setOther(r.key, r.replica, JSON.parse(r.value));
  for (const c of mem.rows.values()) c.seal();
}

/**
 * readChanges reads what other replicas wrote since `mem.seen` (one snapshot) into memory and says
 * what changed. Weights come back with their effective time, `replica`'s own too. On an error the
 * caller discards the connection (no ROLLBACK is sent).
 */
export async function readChanges(
  client: pg.PoolClient,
  mem: Memory,
  replica: string,
  /** Document keys this replica has writes of not yet committed (read only when deletions were missed). */
  queuedDocs: () => ReadonlySet<string> = () => new Set(),
): Promise<StoreChanges> {
  const out: StoreChanges = { seq: mem.seen, weights: [], docs: [], rows: [], audit: 0 };
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  const v = await client.query<{ key: string; value: string }>(
    "SELECT key, value FROM cutover.meta WHERE key IN ('change_seq', 'deleted_below')",
  );
  const meta = new Map(v.rows.map((r) => [r.key, Number(r.value)]));
  const seq = meta.get("change_seq") ?? 0;
  // Tombstones below this change number were pruned; a replica that read less than that may
  // have missed deletions and compares keys with the database instead.
  const missed = (meta.get("deleted_below") ?? 0) > mem.seen + 1;
  if (seq > mem.seen) {
    const since = [mem.seen];
    const w = await client.query<{ route: string; weight: number; effective_at: string; replica: string }>(
      "SELECT route, weight, effective_at, replica FROM cutover.weights WHERE seq > $1",
      since,
    );
    for (const r of w.rows) {
      if (r.replica !== replica) mem.weights.set(r.route, r.weight);
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
    for (const r of d.rows.filter((x) => x.replica !== replica)) {
      mem.docs.set(r.key, JSON.parse(r.value) as unknown);
      out.docs.push(r.key);
    }
    const rows = await client.query<{ collection: string; key: string; replica: string; value: string }>(
      "SELECT collection, key, replica, value FROM cutover.rows WHERE seq > $1 AND replica <> $2 ORDER BY seq",
      [mem.seen, replica],
    );
    for (const r of rows.rows) mem.collection(r.collection).setOther(r.key, r.replica, JSON.parse(r.value));
    const gone = await client.query<{ kind: string; collection: string; key: string }>(
      "SELECT kind, collection, key FROM cutover.deleted WHERE seq > $1",
      since,
    );
    for (const g of gone.rows) {
      if (g.kind === "doc") {
        mem.docs.delete(g.key);
        out.docs.push(g.key);
      } else {
        mem.rows.get(g.collection)?.delete(g.key);
        out.rows.push(g.collection);
      }
    }
    if (missed) await dropDeleted(client, mem, out, queuedDocs());
    out.rows = [...new Set([...out.rows, ...rows.rows.map((r) => r.collection)])];
    const a = await client.query<AuditRow>(
      "SELECT id, at, actor, action, subject, reason, detail FROM cutover.audit WHERE seq > $1 ORDER BY id",
      since,
    );
    out.audit = mem.mergeAudit(a.rows.map(auditOf));
    mem.seen = out.seq = seq;
  }
  await client.query("COMMIT");
  return out;
}

/**
 * dropDeleted removes from memory the documents and other replicas' rows the database no longer
 * has (their tombstones were pruned before this replica read them). Rows this replica wrote in
 * this run, and documents whose writes are still queued, stay: the database has not seen them yet.
 */
async function dropDeleted(
  client: pg.PoolClient,
  mem: Memory,
  out: StoreChanges,
  queuedDocs: ReadonlySet<string>,
): Promise<void> {
  const docs = await client.query<{ key: string }>("SELECT key FROM cutover.docs");
  const haveDocs = new Set(docs.rows.map((r) => r.key));
  for (const key of [...mem.docs.keys()]) {
    if (haveDocs.has(key) || queuedDocs.has(key)) continue;
    mem.docs.delete(key);
    out.docs.push(key);
  }
  const rows = await client.query<{ collection: string; key: string }>(
    "SELECT DISTINCT collection, key FROM cutover.rows",
  );
  const have = new Set(rows.rows.map((r) => `${r.collection}\n${r.key}`));
  for (const [name, c] of mem.rows) {
    for (const key of c.keys()) {
      if (have.has(`${name}\n${key}`) || c.hasOwn(key)) continue;
      c.delete(key);
      out.rows.push(name);
    }
  }
}

/**
 * pruneTombstones deletes the tombstones below change number `below` (every replica has read
 * past them) and records the horizon, so a replica that had not is told to compare keys instead.
 * Returns how many were deleted.
 */
export async function pruneTombstones(client: pg.ClientBase | pg.Pool, below: number): Promise<number> {
  const r = await client.query<{ n: string }>(
    `WITH gone AS (DELETE FROM cutover.deleted WHERE seq < $1 RETURNING 1),
          n AS (SELECT count(*) AS n FROM gone),
          mark AS (INSERT INTO cutover.meta (key, value) SELECT 'deleted_below', $2 FROM n WHERE n.n > 0
                   ON CONFLICT (key) DO UPDATE
                   SET value = GREATEST(cutover.meta.value::bigint, EXCLUDED.value::bigint)::text)
     SELECT n FROM n`,
    [below, String(below)],
  );
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * commitBatch writes one batch in one transaction as `replica`: it takes the next change number
 * (a row lock, so change numbers commit in order), skips fenced writes whose epoch is no longer
 * the lease's, and notifies the other replicas of what changed (delivered on commit). Returns how
 * many fenced writes were refused; on an error it rolls back and throws.
 */
export async function commitBatch(
  client: pg.PoolClient,
  batch: readonly Op[],
  replica: string,
  applyDelayMs: number,
): Promise<number> {
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
            [op.fence, replica],
          );
          fences.set(op.fence, (ok = r.rowCount === 1));
        }
        if (!ok) {
          refused++;
          continue;
        }
      }
      for (const q of sqlOf(op, seq, replica, applyDelayMs)) await client.query(q);
      kinds.add(kindOf(op));
    }
    if (kinds.size > 0)
      await client.query("SELECT pg_notify($1, $2)", [CHANGES_CHANNEL, `${seq} ${replica} ${[...kinds].join(",")}`]);
    await client.query("COMMIT");
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
  return refused;
}
