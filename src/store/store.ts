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

/**
 * Store is where state that must survive a restart lives: route weights, the rollout, the audit
 * log, findings and learned noise. SQLite (one process) implements it; the interface keeps the
 * rest of cutover independent of the backend.
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
  close(): void;
}
