import type { UpstreamName } from "../config/schema.js";
import type { Route } from "../route/table.js";
import type { BreakerView } from "./breakers.js";
import type { WorkerStatus } from "./workers.js";

/** An upstream's connection-pool counts (undici Pool stats). */
export interface PoolCounts {
  connected: number;
  free: number;
  pending: number;
  running: number;
}

/** Each upstream has a pool for live traffic and, once something is mirrored to it, one for mirrors. */
export type PoolKind = "live" | "mirror";

/**
 * Plane is what the control plane (admin API, rollout, judge) needs from whatever serves client
 * traffic: one DataPlane in this process (src/dataplane/plane.ts), or a fleet of them in cluster
 * workers (src/cluster/primary.ts).
 */
export interface Plane {
  listen(address: string): Promise<string>;
  readonly url: string;
  /** WebSocket tunnels open now. */
  openUpgrades(): number;
  /** Mirrored exchanges in flight or queued that have not reached the comparison yet. */
  mirrorsPending(): number;
  /** Cluster worker processes; empty for the in-process data plane. */
  workers(): WorkerStatus[];
  /** Mirror circuit breakers, per route and mirrored upstream (in cluster mode, per worker). */
  mirrorBreakers(): BreakerView[];
  /** Connection-pool counts for one upstream's live or mirror pool, summed over whatever serves. */
  connections(upstream: UpstreamName, pool?: PoolKind): PoolCounts;
  /** Turn a rollout's shadow mirroring of these routes on or off. */
  setShadow(routes: readonly Route[], on: boolean): void;
  /** End candidate streams on these routes: WebSockets with 1001, SSE responses cleanly between events. */
  endCandidateStreams(routeIds: ReadonlySet<number>): void;
  /** Stop accepting, let in-flight requests finish (up to `timeouts.shutdown`), close the rest. */
  drain(): Promise<void>;
}
