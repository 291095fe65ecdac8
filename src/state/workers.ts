/**
 * One cluster worker process serving the data plane, as status reports it. Node-free and
 * import-free: the dashboard reads it through src/admin/wire.ts.
 */
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
