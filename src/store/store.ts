import { CutoverError } from "../errors/index.js";

/** A decision or action kept in the audit log. */
export interface AuditEntry {
  id?: number;
  at: number;
  actor: string;
  action: string;
  /** Route or rollout the action applies to ("*" for all). */
  subject: string;
  reason: string;
  detail?: unknown;
}

/** One keyed row of a collection written as deltas ("finding", "finding_route"). */
export interface StoredRow {
  key: string;
  value: unknown;
}

/** What `cutover status` shows about the store. */
export interface StoreInfo {
  kind: "sqlite" | "postgres" | "detached";
  /** File path, or the database URL without its password. */
  location: string;
  /** Schema version before and after the migrations this process applied. */
  schema: { from: number; to: number };
  /** Writes accepted but not yet durable (always 0 for SQLite: its writes are synchronous). */
  pending: number;
  /** Writes given up because the pending queue was full (the database was unreachable too long). */
  dropped: number;
  /** The last write failure, while writes are failing; null once a write succeeds again. */
  last_error: string | null;
}

/**
 * Store is where state that must survive a restart lives: route weights, the rollout, the audit
 * log, findings and learned noise. SQLite (embedded, the default) and PostgreSQL implement it.
 * Reads and writes are synchronous so the request path never waits on I/O: SQLite commits before
 * returning; PostgreSQL serves reads from memory and writes through in order in the background,
 * and `flush()` resolves once everything written before it is committed.
 */
export interface Store {
  getWeights(): Map<string, number>;
  setWeight(route: string, weight: number, actor: string): void;
  /** setWeights changes several routes in one transaction together with one audit entry. */
  setWeights(weights: ReadonlyMap<string, number>, audit: AuditEntry): void;
  audit(entry: AuditEntry): number;
  auditLog(opts?: { limit?: number; subject?: string; sinceId?: number }): AuditEntry[];
  /** Small JSON documents (rollout state, noise model, window snapshots). */
  getDoc(key: string): unknown;
  putDoc(key: string, value: unknown): void;
  deleteDoc(key: string): void;
  /** Every row of a collection, in key order. */
  getRows(collection: string): StoredRow[];
  /**
   * Writes only what changed in a collection, in one transaction: rows upserted by key, keys
   * deleted. Findings are kept this way, so a tick writes the few findings it touched, never
   * the whole set.
   */
  putRows(collection: string, upserts: readonly StoredRow[], deletes?: readonly string[]): void;
  /** Resolves when every write made before the call is durable; rejects if the store is closed first. */
  flush(): Promise<void>;
  info(): StoreInfo;
  /** Makes pending writes durable (bounded wait), then releases the file or connections. */
  close(): Promise<void>;
}

/** newerSchema is the error for a store already migrated by a newer cutover: never downgrade it. */
export function newerSchema(location: string, found: number, known: number): CutoverError {
  return new CutoverError(
    "CUTOVER_ERR_STORE_SCHEMA",
    `${location} has schema version ${found}, but this cutover knows versions up to ${known}: a newer cutover ` +
      `migrated it. Run the newer cutover on every gateway (or point store at another database or file).`,
  );
}
