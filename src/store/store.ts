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
  close(): void;
}
