/**
 * One mirror circuit breaker (src/mirror/breaker.ts) as status reports it. Node-free and
 * import-free: the dashboard reads it through src/admin/wire.ts.
 */
export interface BreakerView {
  route: string;
  upstream: string;
  /** closed: mirrored as configured; open: skipped until the next probe; half_open: one probe in flight. */
  state: "closed" | "open" | "half_open";
  consecutive_failures: number;
  /** Failed exchanges seen (each was compared and reported), since start. */
  failures: number;
  /** Exchanges not sent because the breaker was open, since start. */
  skipped: number;
  /** Times the breaker opened, since start. */
  opened: number;
  /** Probes sent while half-open, since start. */
  probes: number;
  /** The current (or last) open period, ms. */
  open_ms: number;
  /** When open: ms until the next probe may go. */
  probe_in_ms: number | null;
  last_failure: { at: string; reason: string } | null;
  /** Cluster worker slot it lives in; absent when this process serves the data plane. */
  worker?: number;
}
