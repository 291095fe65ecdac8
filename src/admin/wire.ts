/**
 * The admin API's JSON shapes for status and live series. No imports, so the dashboard (built
 * apart from src/, without Node types) imports these types too and the two cannot drift.
 */

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
}

/** One cluster worker process serving the data plane. */
export interface WorkerStatus {
  /** Slot number, stable across restarts of the slot's process. */
  slot: number;
  pid: number;
  state: "starting" | "serving" | "draining" | "exited";
  /** Times this slot's process was restarted after it died. */
  restarts: number;
  /** Requests this slot's processes have served. */
  served: number;
  /** Milliseconds since its last report (reports come every ~50 ms while it serves). */
  last_report_ms: number | null;
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
  rollout: R;
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
