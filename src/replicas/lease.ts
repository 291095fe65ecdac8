import type { PostgresStore } from "../store/postgres.js";

/**
 * The judge's lease: one row, timed by the database clock (`clock_timestamp()`), so replica clocks
 * never matter, and plain statements, so it works through transaction-mode poolers (a session
 * advisory lock would not). Taking it over from another holder increments the fencing epoch;
 * renewing it keeps the epoch.
 */
const ACQUIRE = `
INSERT INTO cutover.lease (name, holder, epoch, expires_at)
VALUES ('judge', $1, 1, clock_timestamp() + $2 * interval '1 millisecond')
ON CONFLICT (name) DO UPDATE SET
  holder = EXCLUDED.holder,
  epoch = CASE WHEN cutover.lease.holder = EXCLUDED.holder THEN cutover.lease.epoch ELSE cutover.lease.epoch + 1 END,
  expires_at = EXCLUDED.expires_at
WHERE cutover.lease.holder = EXCLUDED.holder OR cutover.lease.expires_at < clock_timestamp()
RETURNING epoch`;

export interface LeaseView {
  holder: string;
  epoch: number;
  /** Whether the holder's lease has not expired (database clock). */
  live: boolean;
}

/** tryLease takes or renews the lease for `id`; returns the epoch held, or undefined when another holds it. */
export async function tryLease(store: PostgresStore, id: string, ttlMs: number): Promise<number | undefined> {
  const r = await store.query<{ epoch: string }>(ACQUIRE, [id, ttlMs]);
  return r[0] ? Number(r[0].epoch) : undefined;
}

/** The lease as it is now. */
export async function readLease(store: PostgresStore): Promise<LeaseView | undefined> {
  const r = await store.query<{ holder: string; epoch: string; live: boolean }>(
    "SELECT holder, epoch, expires_at > clock_timestamp() AS live FROM cutover.lease WHERE name = 'judge'",
  );
  return r[0] ? { holder: r[0].holder, epoch: Number(r[0].epoch), live: r[0].live } : undefined;
}

/** releaseLease ends this replica's lease at once (a clean stop), so another takes over without waiting. */
export async function releaseLease(store: PostgresStore, id: string): Promise<void> {
  await store.query("UPDATE cutover.lease SET expires_at = clock_timestamp() WHERE name = 'judge' AND holder = $1", [
    id,
  ]);
}
