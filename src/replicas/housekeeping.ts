import type { PostgresStore } from "../store/postgres.js";

/** The leader removes evidence of other stages this old. */
const STALE_EVIDENCE_S = 60;
/** …and the rows of replicas not seen for this long (their evidence of the current stage stays). */
const GONE_FOR_GOOD_S = 3600;

/** One replica's published evidence of a stage. */
export interface StageEvidence {
  snapshot: unknown;
  served: unknown;
}

/**
 * housekeep is the leader's share of the upkeep, once a heartbeat: it removes evidence of earlier
 * stages and replicas gone for good, prunes the deletion records every listed replica has read
 * past (each heartbeat publishes how far it read: `seen_seq`), and reads the other replicas'
 * evidence of `stage`. Only the current stage's evidence is judged — a dead replica's row of this
 * stage too: its requests happened.
 */
export async function housekeep(
  store: PostgresStore,
  self: string,
  stage: string,
): Promise<{ evidence: StageEvidence[]; pruned: number }> {
  await store.query(
    `DELETE FROM cutover.evidence WHERE stage <> $1 AND at < clock_timestamp() - interval '${STALE_EVIDENCE_S} seconds'`,
    [stage],
  );
  await store.query(
    `DELETE FROM cutover.replicas WHERE seen_at < clock_timestamp() - interval '${GONE_FOR_GOOD_S} seconds'`,
  );
  // A replica that reports no change number (an older cutover) holds pruning back entirely.
  const low = await store.query<{ m: string | null }>(
    "SELECT min(COALESCE((info::json->>'seen_seq')::bigint, 0)) AS m FROM cutover.replicas",
  );
  const m = Math.min(Number(low[0]?.m ?? 0), store.seen);
  const pruned = m > 0 ? await store.pruneTombstones(m + 1) : 0;
  const rows = await store.query<{ snapshot: string; served: string }>(
    "SELECT snapshot, served FROM cutover.evidence WHERE replica <> $1 AND stage = $2",
    [self, stage],
  );
  return {
    evidence: rows.map((e) => ({
      snapshot: JSON.parse(e.snapshot) as unknown,
      served: JSON.parse(e.served) as unknown,
    })),
    pruned,
  };
}
