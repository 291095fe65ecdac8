import { randomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Parity } from "../compare/parity.js";
import type { Config } from "../config/schema.js";
import { FindingsAggregator } from "../findings/index.js";
import { requireRollout, type Judgeship, type RolloutController } from "../rollout/controller.js";
import type { WindowSnapshot } from "../rollout/window.js";
import type { Runtime } from "../state/runtime.js";
import type { PostgresOptions, PostgresStore } from "../store/postgres.js";
import { COVERAGE_MERGERS } from "./coverage-merge.js";
import { FINDINGS, FINDINGS_MERGERS, mergedFindingsRows } from "./findings-merge.js";
import { ANSWERS, Forwarding, REQUESTS, type ForwardedAction } from "./forward.js";
import { replicaId, Replicas } from "./replicas.js";
import type { ReplicasStatus } from "./wire.js";

/** How long a merged findings view is reused before it is built again. */
const VIEW_MS = 1000;
/** How long a self-notification may take before notifications are declared undelivered. */
const PROBE_MS = 2000;
/** Added to two leases: how long a forwarded rollout action waits for a leader to apply it. */
const FORWARD_SLACK_MS = 2000;

/** The PostgreSQL store options for a replica: its id, the weight delay, and how findings and coverage rows merge. */
export function replicaStoreOptions(c: Config["replicas"]): PostgresOptions {
  return {
    replica: replicaId(c.id),
    applyDelayMs: c.apply_delay,
    mergers: { ...FINDINGS_MERGERS, ...COVERAGE_MERGERS },
  };
}

/**
 * settleSalt makes every replica bucket with the same salt: the first to start stores a random one
 * (insert if absent, in one statement), and every replica reads back whichever was stored first.
 * Two replicas starting at once would otherwise each generate and use their own.
 */
export async function settleSalt(store: PostgresStore, doc: string): Promise<void> {
  if (typeof store.getDoc(doc) === "string") return;
  await store.query(
    `INSERT INTO cutover.docs (key, value, updated_at, seq, replica) VALUES ($1, $2, $3, 0, '')
     ON CONFLICT (key) DO NOTHING`,
    [doc, JSON.stringify(randomBytes(16).toString("hex")), Date.now()],
  );
  await store.reload();
}

/** What the gateway exposes of its replica (status, the merged findings view). */
export interface ReplicaHandle {
  readonly replicas: Replicas;
  readonly judgeship: Judgeship;
  status(): ReplicasStatus;
  /** Leaves the fleet: forwarded actions still waiting fail, then heartbeat and listener stop. */
  stop(): Promise<void>;
  /** Every replica's findings merged (rebuilt at most once a second). */
  findings(): FindingsAggregator;
}

/** The parts of a gateway the replica machinery drives; `rollout` is read late (it is built after). */
export interface ReplicaGateway {
  readonly runtime: Runtime;
  readonly parity: Parity;
  readonly rollout: RolloutController | undefined;
}

/**
 * attachReplicas makes a gateway on PostgreSQL one replica of several: weights apply at their
 * effective time, the rollout follows the leader (or judges, fenced), accepted findings reach
 * this replica's parity, and its evidence is published.
 */
export function attachReplicas(
  gw: ReplicaGateway,
  store: PostgresStore,
  c: Config["replicas"],
  log: Logger,
): ReplicaHandle {
  const rt = gw.runtime;
  rt.deferWeights = true;
  let view: { at: number; agg: FindingsAggregator } | undefined;
  // A forwarded action waits for a leader at most two leases and a bit (a takeover fits in it).
  const forwarding = new Forwarding(store, store.replica, 2 * c.lease + FORWARD_SLACK_MS, () => replicas.dbNow());
  const fence = (fn: () => void): void => store.fenced(replicas.epoch, fn);
  const apply = (a: ForwardedAction): void => {
    const ro = requireRollout(gw.rollout);
    log.info({ action: a.type, actor: a.actor, via: a.via }, "rollout action forwarded by another replica");
    ro.applyManual(a.type, a.actor, a.reason);
  };
  const replicas = new Replicas(
    store,
    { id: store.replica, leaseMs: c.lease, pollMs: c.poll, applyDelayMs: store.applyDelayMs, probeMs: PROBE_MS },
    {
      applyWeights: (w) => rt.applyNamedWeights(w),
      changed: (ch) => {
        if (ch.docs.includes("rollout") && !replicas.leading()) gw.rollout?.follow();
        if (ch.rows.includes(FINDINGS)) {
          view = undefined;
          adoptAccepts(gw.parity, store);
        }
        if (ch.rows.includes(REQUESTS) && replicas.leading()) forwarding.serve(apply, fence);
        if (ch.rows.includes(ANSWERS)) forwarding.answersChanged();
      },
      leadership: (leading) => {
        gw.rollout?.leadership(leading);
        if (leading) forwarding.serve(apply, fence);
      },
      evidence: () => gw.rollout?.evidence(),
    },
    log,
  );
  store.onFenced = () => replicas.deposed();
  const judgeship: Judgeship = {
    leading: () => replicas.leading(),
    fenced: (fn) => store.fenced(replicas.epoch, fn),
    evidence: (stage) => replicas.evidence(stage).map((e) => e.snapshot as WindowSnapshot),
    decider: () => ({ replica: replicas.id, epoch: replicas.epoch }),
    forward: (a) => forwarding.request(a),
  };
  return {
    replicas,
    judgeship,
    status: () => replicas.status(),
    stop: () => {
      forwarding.close();
      return replicas.stop();
    },
    findings: () => {
      if (!view || Date.now() - view.at > VIEW_MS)
        view = {
          at: Date.now(),
          agg: FindingsAggregator.fromRows(mergedFindingsRows(store), gw.parity.findings.options),
        };
      return view.agg;
    },
  };
}

/** Acceptances made through another replica apply to this replica's findings too (the judge's parity skips them). */
function adoptAccepts(parity: Parity, store: PostgresStore): void {
  for (const { value } of store.getRows(FINDINGS)) {
    const f = value as { id: string; accepted?: { reason: string; by: string; at: number } };
    const local = f.accepted ? parity.findings.get(f.id) : undefined;
    if (f.accepted && local && (!local.accepted || local.accepted.at < f.accepted.at))
      parity.findings.accept(f.id, f.accepted.reason, f.accepted.by, f.accepted.at);
  }
}
