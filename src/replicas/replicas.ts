import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { PostgresStore, StoreChanges } from "../store/postgres.js";
import { ChangeFeed } from "./change-feed.js";
import { housekeep, type StageEvidence } from "./housekeeping.js";
import { readLease, releaseLease, tryLease } from "./lease.js";
import type { ReplicasStatus, ReplicaRow } from "./wire.js";

export type { ReplicasStatus, ReplicaRow } from "./wire.js";

export interface ReplicaOptions {
  id: string;
  /** How long a judge lease lasts without renewal (renewed every third of it). */
  leaseMs: number;
  /** Polling interval when notifications are not delivered (a transaction pooler). */
  pollMs: number;
  /** How ahead of its commit a weight change takes effect everywhere (see PostgresStore). */
  applyDelayMs: number;
  /** How long the self-notification may take before LISTEN is declared not working. */
  probeMs: number;
}

/** What the replica machinery asks of the gateway. */
export interface ReplicaHooks {
  /** Weights that reached their effective time: apply them to the request path now. */
  applyWeights(weights: ReadonlyMap<string, number>): void;
  /** What other replicas changed (document keys, row collections). */
  changed(c: StoreChanges): void;
  /** This replica became the judge (true) or stopped being it (false). */
  leadership(leading: boolean, epoch: number): void;
  /** This replica's evidence for the current stage, published about every second. */
  evidence(): { stage: string; snapshot: unknown; served: unknown } | undefined;
}

const HEARTBEAT_MS = 1000;
/** With LISTEN working, a slow poll still catches a notification lost in a reconnect. */
const SAFETY_POLL_MS = 5000;
/** A replica not seen for this long is shown as gone. */
const GONE_MS = 10_000;

/** replicaId is this process's id: the configured one, or host, pid and a random suffix. */
export function replicaId(configured: string | undefined): string {
  return configured ?? `${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
}

/**
 * Replicas keeps one gateway in step with the others on one PostgreSQL database: it listens for
 * change notifications (or polls, behind a transaction pooler), applies other replicas' changes,
 * heartbeats its row, publishes its evidence, and holds or follows the judge's lease.
 */
export class Replicas {
  private readonly feed: ChangeFeed;
  private lease = { epoch: 0, validUntil: 0, holder: "" };
  /** Database clock minus local clock (ms), from the heartbeat round trips. */
  private offsetMs = 0;
  private bestRtt = Infinity;
  private timers: NodeJS.Timeout[] = [];
  /** Periodic round trips under way (stop() waits for them). */
  private readonly running = new Set<Promise<void>>();
  private pendingWeights = new Map<string, NodeJS.Timeout>();
  private syncing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastSync = 0;
  private lastError = 0;
  private rows: ReplicaRow[] = [];
  private evidenceCache = new Map<string, StageEvidence[]>();
  /** Deletion records this replica pruned while leading. */
  tombstonesPruned = 0;
  /** The stage this replica last published evidence for (stageKey). */
  private stage = "";

  constructor(
    readonly store: PostgresStore,
    readonly opts: ReplicaOptions,
    private readonly hooks: ReplicaHooks,
    private readonly log: Logger,
  ) {
    this.feed = new ChangeFeed(store, opts, () => this.kick(), log);
  }

  /** How this replica learns of changes: "listen" (notifications) or "poll", and why it polls. */
  get mode(): "listen" | "poll" {
    return this.feed.mode;
  }

  get modeReason(): string | null {
    return this.feed.modeReason;
  }

  get id(): string {
    return this.opts.id;
  }

  /** Now by the database's clock (estimated from the heartbeats): one clock for every replica. */
  dbNow(): number {
    return Date.now() + this.offsetMs;
  }

  /** Whether this replica may judge now: it holds the lease and its local deadline has not passed. */
  leading(): boolean {
    return this.lease.holder === this.id && Date.now() < this.lease.validUntil;
  }

  get epoch(): number {
    return this.lease.epoch;
  }

  async start(): Promise<void> {
    await this.feed.start();
    await this.sync();
    await this.renew();
    await this.heartbeat();
    const every = (ms: number, fn: () => Promise<void>): void => {
      const run = (): void => {
        const p = fn().catch((err: unknown) => this.failed(err));
        this.running.add(p);
        void p.finally(() => this.running.delete(p));
      };
      this.timers.push(setInterval(run, ms).unref());
    };
    every(HEARTBEAT_MS, () => this.heartbeat());
    every(Math.max(100, Math.floor(this.opts.leaseMs / 3)), () => this.renew());
    every(this.opts.pollMs, () => (this.mode === "poll" ? this.sync() : Promise.resolve()));
    every(SAFETY_POLL_MS, () => this.sync());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.feed.stop();
    for (const t of this.timers) clearInterval(t);
    for (const t of this.pendingWeights.values()) clearTimeout(t);
    // A renewal or heartbeat already under way must not take the lease or re-add the row after the release below.
    // (Bounded: a database that stopped answering does not hold the stop.)
    await Promise.race([Promise.all([...this.running]), new Promise((r) => setTimeout(r, 2000).unref())]);
    if (this.lease.holder === this.id) await releaseLease(this.store, this.id).catch(() => undefined);
    await this.store.query("DELETE FROM cutover.replicas WHERE id = $1", [this.id]).catch(() => undefined);
  }

  /** A newer leader refused this replica's fenced writes: stop judging, re-read the state. */
  deposed(): void {
    const was = this.lease.holder === this.id;
    this.lease = { ...this.lease, validUntil: 0, holder: "" };
    if (was) {
      this.log.warn(
        { replica: this.id, epoch: this.lease.epoch },
        "replicas: deposed as judge (fenced), stepping down",
      );
      this.hooks.leadership(false, this.lease.epoch);
    }
    void this.store.reload().catch((err: unknown) => this.failed(err));
  }

  /** Other replicas' published evidence for a stage (refreshed with the heartbeat while leading). */
  evidence(stage: string): { snapshot: unknown; served: unknown }[] {
    return this.evidenceCache.get(stage) ?? [];
  }

  status(): ReplicasStatus {
    const leader = this.rows.find((r) => r.leader);
    return {
      id: this.id,
      mode: this.mode,
      mode_reason: this.modeReason,
      leading: this.leading(),
      leader: leader?.id ?? null,
      epoch: this.lease.epoch,
      apply_delay_ms: this.opts.applyDelayMs,
      last_sync: this.lastSync ? new Date(this.lastSync).toISOString() : null,
      seen_seq: this.store.seen,
      tombstones_pruned: this.tombstonesPruned,
      replicas: this.rows,
    };
  }

  private kick(): void {
    if (this.syncing) {
      this.again = true;
      return;
    }
    void this.sync().catch((err: unknown) => this.failed(err));
  }

  /** sync reads what changed and hands it on; weights are applied at their effective time. */
  private async sync(): Promise<void> {
    if (this.stopped) return;
    if (this.syncing) return this.syncing;
    this.syncing = (async () => {
      do {
        this.again = false;
        const c = await this.store.refresh();
        this.lastSync = Date.now();
        this.schedule(c.weights);
        if (c.docs.length || c.rows.length || c.audit) this.hooks.changed(c);
      } while (this.rerun());
    })().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  /** Whether a notification arrived during the last refresh (read once more then). */
  private rerun(): boolean {
    return this.again && !this.stopped;
  }

  private schedule(weights: StoreChanges["weights"]): void {
    for (const w of weights) {
      clearTimeout(this.pendingWeights.get(w.route));
      const apply = (): void => {
        this.pendingWeights.delete(w.route);
        this.hooks.applyWeights(new Map([[w.route, w.weight]]));
      };
      const wait = w.effectiveAt - this.offsetMs - Date.now();
      if (wait <= 0) apply();
      else this.pendingWeights.set(w.route, setTimeout(apply, wait));
    }
  }

  private async renew(): Promise<void> {
    if (this.stopped) return;
    const t0 = Date.now();
    const epoch = await tryLease(this.store, this.id, this.opts.leaseMs);
    const was = this.leading();
    if (epoch !== undefined) {
      const changed = !was || epoch !== this.lease.epoch;
      // Conservative: valid from before the statement ran, so it ends before the database's expiry.
      this.lease = { holder: this.id, epoch, validUntil: t0 + this.opts.leaseMs };
      if (changed) {
        this.log.info({ replica: this.id, epoch }, "replicas: this replica judges the rollout (lease taken)");
        this.hooks.leadership(true, epoch);
      }
      return;
    }
    const l = await readLease(this.store);
    const stepped = this.lease.holder === this.id;
    this.lease = { holder: l?.holder ?? "", epoch: l?.epoch ?? 0, validUntil: 0 };
    if (stepped || was) {
      this.log.warn(
        { replica: this.id, leader: l?.holder, epoch: l?.epoch },
        "replicas: lost the judge lease, stepping down",
      );
      this.hooks.leadership(false, this.lease.epoch);
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    // seen_seq: how far this replica has read the changes (the leader prunes deletions below it).
    const info = {
      host: hostname(),
      pid: process.pid,
      mode: this.mode,
      last_sync: this.lastSync,
      seen_seq: this.store.seen,
    };
    const t0 = Date.now();
    const r = await this.store.query<{ now: string }>(
      `INSERT INTO cutover.replicas (id, started_at, seen_at, info) VALUES ($1, clock_timestamp(), clock_timestamp(), $2)
       ON CONFLICT (id) DO UPDATE SET seen_at = clock_timestamp(), info = $2
       RETURNING (extract(epoch from clock_timestamp()) * 1000)::bigint AS now`,
      [this.id, JSON.stringify(info)],
    );
    const t1 = Date.now();
    // The round trip with the least delay gives the best clock offset estimate.
    if (t1 - t0 <= this.bestRtt * 2 || this.bestRtt === Infinity) {
      this.bestRtt = Math.min(this.bestRtt, t1 - t0);
      this.offsetMs = Number(r[0]?.now ?? t1) - (t0 + t1) / 2;
    }
    await this.publish();
    await this.readFleet();
  }

  private async publish(): Promise<void> {
    const e = this.hooks.evidence();
    if (!e) return;
    this.stage = e.stage;
    await this.store.query(
      `INSERT INTO cutover.evidence (replica, rollout, stage, snapshot, served, at) VALUES ($1, '', $2, $3, $4, clock_timestamp())
       ON CONFLICT (replica) DO UPDATE SET stage = $2, snapshot = $3, served = $4, at = clock_timestamp()`,
      [this.id, e.stage, JSON.stringify(e.snapshot), JSON.stringify(e.served)],
    );
  }

  private async readFleet(): Promise<void> {
    const rows = await this.store.query<{
      id: string;
      info: string;
      seen: string;
      started: string;
      report: string | null;
      stage: string | null;
    }>(
      `SELECT r.id, r.info, (extract(epoch from r.seen_at) * 1000)::bigint AS seen,
              (extract(epoch from r.started_at) * 1000)::bigint AS started,
              (extract(epoch from e.at) * 1000)::bigint AS report, e.stage
       FROM cutover.replicas r LEFT JOIN cutover.evidence e ON e.replica = r.id ORDER BY r.started_at`,
    );
    const lease = await readLease(this.store);
    const now = Date.now() + this.offsetMs;
    this.rows = rows.map((r) => {
      const info = JSON.parse(r.info) as { host: string; pid: number; mode: string; seen_seq?: number };
      return {
        id: r.id,
        host: info.host,
        pid: info.pid,
        mode: info.mode,
        leader: lease?.live === true && lease.holder === r.id,
        started_at: new Date(Number(r.started)).toISOString(),
        seen_at: new Date(Number(r.seen)).toISOString(),
        last_report: r.report === null ? null : new Date(Number(r.report)).toISOString(),
        alive: now - Number(r.seen) < GONE_MS,
        seen_seq: info.seen_seq ?? null,
      };
    });
    if (this.leading()) {
      const { evidence, pruned } = await housekeep(this.store, this.id, this.stage);
      this.evidenceCache = new Map([[this.stage, evidence]]);
      this.tombstonesPruned += pruned;
    }
  }

  private failed(err: unknown): void {
    if (Date.now() - this.lastError < 10_000) return;
    this.lastError = Date.now();
    this.log.warn({ err: (err as Error).message, replica: this.id }, "replicas: PostgreSQL round trip failed");
  }
}
