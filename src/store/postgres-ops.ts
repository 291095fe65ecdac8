import type pg from "pg";
import type { AuditEntry } from "./store.js";

/**
 * One write queued for PostgreSQL. `fence`: the leader epoch the write depends on (a rollout
 * decision); it commits only while that epoch, held by this replica, is still the lease's.
 */
export type Op = (
  | { t: "weight"; route: string; weight: number; at: number; by: string }
  | { t: "audit"; e: AuditEntry & { id: number } }
  | { t: "doc"; key: string; json: string; at: number }
  | { t: "doc_delete"; key: string }
  | { t: "row"; collection: string; key: string; json: string; at: number }
  | { t: "row_delete"; collection: string; key: string }
) & { fence?: number };

/** What a change notification names: the kinds of state a batch touched. */
export function kindOf(op: Op): string {
  switch (op.t) {
    case "weight":
      return "weights";
    case "audit":
      return "audit";
    case "doc":
    case "doc_delete":
      return "docs";
    case "row":
    case "row_delete":
      return "rows";
  }
}

/** Database clock in ms, as SQL. */
export const DB_NOW_MS = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

/** The statement(s) for one write: `seq` is the batch's change number, `replica` the writer. */
export function sqlOf(op: Op, seq: number, replica: string, applyDelayMs: number): pg.QueryConfig[] {
  switch (op.t) {
    case "weight":
      return [
        {
          text: `INSERT INTO cutover.weights (route, weight, updated_at, updated_by, seq, replica, effective_at)
                 VALUES ($1, $2, $3, $4, $5, $6, ${DB_NOW_MS} + $7)
                 ON CONFLICT (route) DO UPDATE SET weight = $2, updated_at = $3, updated_by = $4, seq = $5,
                   replica = $6, effective_at = EXCLUDED.effective_at`,
          values: [op.route, op.weight, op.at, op.by, seq, replica, applyDelayMs],
        },
      ];
    case "doc":
      return [
        {
          text: `INSERT INTO cutover.docs (key, value, updated_at, seq, replica) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (key) DO UPDATE SET value = $2, updated_at = $3, seq = $4, replica = $5`,
          values: [op.key, op.json, op.at, seq, replica],
        },
      ];
    case "doc_delete":
      return [{ text: "DELETE FROM cutover.docs WHERE key = $1", values: [op.key] }, tombstone(seq, "doc", "", op.key)];
    case "row":
      return [
        {
          text: `INSERT INTO cutover.rows (collection, key, replica, value, updated_at, seq) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (collection, key, replica) DO UPDATE SET value = $4, updated_at = $5, seq = $6`,
          values: [op.collection, op.key, replica, op.json, op.at, seq],
        },
      ];
    case "row_delete":
      // A pruned row goes for every replica: pruning is by age, the same everywhere.
      return [
        { text: "DELETE FROM cutover.rows WHERE collection = $1 AND key = $2", values: [op.collection, op.key] },
        tombstone(seq, "row", op.collection, op.key),
      ];
    case "audit": {
      const e = op.e;
      return [
        {
          text: `INSERT INTO cutover.audit (id, at, actor, action, subject, reason, detail, seq)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
          values: [
            e.id,
            e.at,
            e.actor,
            e.action,
            e.subject,
            e.reason,
            e.detail === undefined ? null : JSON.stringify(e.detail),
            seq,
          ],
        },
      ];
    }
  }
}

function tombstone(seq: number, kind: string, collection: string, key: string): pg.QueryConfig {
  return {
    text: "INSERT INTO cutover.deleted (seq, kind, collection, key) VALUES ($1, $2, $3, $4)",
    values: [seq, kind, collection, key],
  };
}

/** An audit row as read back. */
export interface AuditRow {
  id: string;
  at: string;
  actor: string;
  action: string;
  subject: string;
  reason: string;
  detail: string | null;
}

export function auditOf(r: AuditRow): AuditEntry & { id: number } {
  return {
    ...r,
    id: Number(r.id),
    at: Number(r.at),
    detail: r.detail === null ? undefined : (JSON.parse(r.detail) as unknown),
  };
}
