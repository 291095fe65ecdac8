/**
 * The admin API's JSON shapes for status and live series. Node-free (its imports have no imports
 * either), so the dashboard (built apart from src/, without Node types) imports these types too and
 * the two cannot drift.
 */
import type { BreakerView } from "../state/breakers.js";
import type { WorkerStatus } from "../state/workers.js";
import type { ReplicasStatus } from "../replicas/wire.js";

export type { BreakerView } from "../state/breakers.js";
export type { WorkerStatus } from "../state/workers.js";

export interface Counts {
  total: number;
  errors: number;
}

export interface RouteStatus {
  name: string;
  path: string;
  methods: string[] | null;
  weight: number;
  rewrite: { legacy?: string; candidate?: string } | null;
  mirror: boolean;
  requests: { legacy: Counts; candidate: Counts };
}

export interface UpstreamStatus {
  name: string;
  url: string;
  state: string;
  consecutive_failures: number;
  last_error: { at: string; code: string } | null;
  connections: { connected: number; free: number; pending: number; running: number };
  /** The upstream's mirror pool (mirrored requests only, never live traffic). */
  mirror_connections: { connected: number; free: number; pending: number; running: number };
}

/** One bounded piece of control-plane state: what it holds, its cap, what the cap turned away. */
export interface StateStatus {
  /** findings, templates (route states; the rest fold into {other}), examples, noise_templates, differences (per exchange), endpoints (coverage rows; the rest fold into "(other endpoints)"). */
  kind: string;
  entries: number | null;
  limit: number;
  capped: number;
}

/** GET /api/status. `R` is the rollout view's type (see src/admin/rollout.ts). */
export interface Status<R = unknown> {
  version: string;
  uptime_s: number;
  listen: string;
  routes: RouteStatus[];
  upstreams: UpstreamStatus[];
  open_upgrades: number;
  /** Cluster workers serving the data plane; empty when this process serves it. */
  workers: WorkerStatus[];
  /** Bounded state (also the cutover_state_* metrics). */
  state: StateStatus[];
  /** Mirror circuit breakers, one per route and mirrored upstream once something was mirrored. */
  mirror_breakers: BreakerView[];
  rollout: R;
  /** The state store: which, where, its schema version, and writes not yet durable. */
  store: {
    kind: string;
    location: string;
    schema: { from: number; to: number };
    pending: number;
    dropped: number;
    last_error: string | null;
  };
  /** Several replicas on one PostgreSQL store: who they are, who judges, LISTEN or polling. Null with SQLite. */
  replicas: ReplicasStatus | null;
}

/** One second of traffic for one target. */
export interface SidePoint {
  rps: number;
  errors: number;
  error_rate: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface LivePoint {
  t: number;
  legacy: SidePoint;
  candidate: SidePoint;
}
