import type pg from "pg";
import { newerSchema } from "./store.js";

/**
 * Ordered migrations of the PostgreSQL store; the index + 1 is the schema version kept in
 * `cutover.meta`, with the same meaning as the SQLite store's (sqlite.ts MIGRATIONS). Everything
 * lives in the `cutover` schema so it sits beside the application's own tables untouched.
 * Audit ids come from a sequence in blocks of AUDIT_ID_BLOCK, so ids are known without a round trip.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE cutover.weights (route TEXT PRIMARY KEY, weight DOUBLE PRECISION NOT NULL,
                                 updated_at BIGINT NOT NULL, updated_by TEXT NOT NULL);
   CREATE TABLE cutover.audit (id BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                               subject TEXT NOT NULL, reason TEXT NOT NULL, detail TEXT);
   CREATE INDEX audit_subject ON cutover.audit (subject, id);
   CREATE SEQUENCE cutover.audit_ids INCREMENT BY 10000;
   CREATE TABLE cutover.docs (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at BIGINT NOT NULL);`,
  `CREATE TABLE cutover.rows (collection TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                             updated_at BIGINT NOT NULL, PRIMARY KEY (collection, key));`,
  // Several replicas: every write carries the change number (seq) of its transaction and the
  // replica that made it; deletions leave a tombstone; row collections keep one row per replica
  // (merged on read); a weight applies at its effective time (database clock, ms).
  `ALTER TABLE cutover.weights ADD COLUMN seq BIGINT NOT NULL DEFAULT 0, ADD COLUMN replica TEXT NOT NULL DEFAULT '',
                               ADD COLUMN effective_at BIGINT NOT NULL DEFAULT 0;
   ALTER TABLE cutover.docs ADD COLUMN seq BIGINT NOT NULL DEFAULT 0, ADD COLUMN replica TEXT NOT NULL DEFAULT '';
   ALTER TABLE cutover.audit ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
   ALTER TABLE cutover.rows ADD COLUMN seq BIGINT NOT NULL DEFAULT 0, ADD COLUMN replica TEXT NOT NULL DEFAULT '',
                            DROP CONSTRAINT rows_pkey, ADD PRIMARY KEY (collection, key, replica);
   CREATE INDEX weights_seq ON cutover.weights (seq);
   CREATE INDEX docs_seq ON cutover.docs (seq);
   CREATE INDEX audit_seq ON cutover.audit (seq);
   CREATE INDEX rows_seq ON cutover.rows (seq);
   CREATE TABLE cutover.deleted (seq BIGINT NOT NULL, kind TEXT NOT NULL, collection TEXT NOT NULL, key TEXT NOT NULL);
   CREATE INDEX deleted_seq ON cutover.deleted (seq);
   INSERT INTO cutover.meta (key, value) VALUES ('change_seq', '0');
   CREATE TABLE cutover.replicas (id TEXT PRIMARY KEY, started_at TIMESTAMPTZ NOT NULL, seen_at TIMESTAMPTZ NOT NULL,
                                  info TEXT NOT NULL);
   CREATE TABLE cutover.lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, epoch BIGINT NOT NULL,
                               expires_at TIMESTAMPTZ NOT NULL);
   CREATE TABLE cutover.evidence (replica TEXT PRIMARY KEY, rollout TEXT NOT NULL, stage TEXT NOT NULL,
                                  snapshot TEXT NOT NULL, served TEXT NOT NULL, at TIMESTAMPTZ NOT NULL);`,
];

/** The NOTIFY channel: the payload is "<seq> <replica> <what changed>"; listeners then read rows with a newer seq. */
export const CHANGES_CHANNEL = "cutover_changes";

export const AUDIT_ID_BLOCK = 10_000;

/** Any 64-bit key: serialises concurrent migrations from several gateways starting at once. */
const MIGRATE_LOCK = 7_347_110_245;

/**
 * migratePg brings the schema to the newest version in one transaction (a transaction-scoped
 * advisory lock, which transaction-mode poolers keep too) and refuses a newer schema.
 */
export async function migratePg(client: pg.ClientBase, location: string): Promise<{ from: number; to: number }> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATE_LOCK]);
    await client.query("CREATE SCHEMA IF NOT EXISTS cutover");
    await client.query("CREATE TABLE IF NOT EXISTS cutover.meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    const row = await client.query<{ value: string }>("SELECT value FROM cutover.meta WHERE key = 'schema_version'");
    const from = row.rows[0] ? Number(row.rows[0].value) : 0;
    if (from > PG_MIGRATIONS.length) throw newerSchema(location, from, PG_MIGRATIONS.length);
    for (let v = from; v < PG_MIGRATIONS.length; v++) await client.query(PG_MIGRATIONS[v] as string);
    await client.query(
      `INSERT INTO cutover.meta (key, value) VALUES ('schema_version', $1)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [String(PG_MIGRATIONS.length)],
    );
    await client.query("COMMIT");
    return { from, to: PG_MIGRATIONS.length };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** redactUrl is a database URL safe to show: no password. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.href;
  } catch {
    return "postgres://(unparsable URL)";
  }
}
