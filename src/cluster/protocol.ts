/**
 * The messages between a cluster's primary (control plane) and its workers (data plane), sent
 * over the cluster IPC channel with `serialization: "advanced"` (structured clone, so typed
 * arrays and bodies travel without JSON). Pure data, no I/O.
 */
import type { Config, UpstreamName } from "../config/schema.js";
import type { BreakerView } from "../state/breakers.js";
import type { PoolCounts } from "../state/plane.js";
import type { Served, ServedSink } from "../state/served.js";
import type { WireResponse } from "../compare/transfer.js";
import type { HealthState } from "../proxy/upstream.js";
import type { RecordsMessage, WireBodyCopy } from "./record-wire.js";
import type { CorrelationNote, CorrelationState } from "../mirror/correlation.js";

export interface WorkerInit {
  t: "init";
  slot: number;
  config: Config;
  weights: number[];
  health: Partial<Record<UpstreamName, HealthState>>;
  shadow: number[];
}

export type ToWorker =
  | WorkerInit
  | { t: "weights"; weights: number[] }
  | { t: "health"; upstream: UpstreamName; state: HealthState }
  | { t: "shadow"; routes: number[]; on: boolean }
  | { t: "end_candidate_streams"; routes: number[] }
  | { t: "metrics"; id: number }
  | { t: "drain" }
  | TurnToWorker;

/**
 * Live correlation across workers (correlation-primary.ts, correlation-worker.ts): the primary
 * grants a user's turn `n` with the user's mappings when the user's previous turn has ended;
 * undefined state: refused (caps), the exchange goes uncorrelated.
 */
export type TurnToWorker = { t: "turn_grant"; n: number; state: CorrelationState | undefined };
/** A worker asks for a user's turn (user: userHash of the bucket key), then ends it with the mappings it holds now. */
export type TurnFromWorker =
  | { t: "turn_begin"; n: number; user: string; ms: number }
  | { t: "turn_end"; n: number; state: CorrelationState | undefined };

/** A mirrored request as a worker reports it: the route by id, the rest as captured. */
export interface WirePair {
  req: {
    id: string;
    at: number;
    method: string;
    path: string;
    query: string;
    route: number;
    headers: Record<string, string | string[] | undefined>;
    key: string | undefined;
    /** When the recording keeps it (the worker's probe chose): its request body copy, null without a body. */
    record?: WireBodyCopy | null | undefined;
    /** What correlation substituted, for the comparison on the primary. */
    correlation?: CorrelationNote;
  };
  legacy: WireResponse;
  candidate: WireResponse;
  secondary: WireResponse | undefined;
}

/** What a worker's data plane looks like right now; sent with every report. */
export interface WorkerStats {
  upgrades: number;
  mirrorsPending: number;
  /** Live pools by upstream name; mirror pools as `<upstream>:mirror`. */
  pools: Partial<Record<UpstreamName | `${UpstreamName}:mirror`, PoolCounts>>;
  /** The worker's mirror circuit breakers. */
  breakers?: BreakerView[];
}

export type FromWorker =
  /** The worker's message listener is attached (an ES module loads asynchronously; earlier messages would be lost). */
  | { t: "ready" }
  | { t: "listening"; url: string }
  | { t: "failed"; code: string; message: string }
  | { t: "report"; served: ServedBatch; pairs: WirePair[]; stats: WorkerStats }
  | { t: "passive"; upstream: UpstreamName; to: HealthState; reason: string }
  | { t: "metrics"; id: number; metrics: unknown[] }
  /** Exchanges the worker's recording probe captured (record-wire.ts). */
  | RecordsMessage
  | TurnFromWorker;

/**
 * ServedBatch is many Served records in columns: one Float64Array for the numbers (cloned as one
 * block), the distinct request lines ("METHOD /path") of the batch, each sent once and referred
 * to by index (a hot endpoint costs one string per batch, not one per request), and two string
 * arrays, which stay empty unless a rollout needs users and ids.
 */
export interface ServedBatch {
  n: number;
  nums: Float64Array;
  lines: string[];
  users: string[];
  ids: string[];
}

const FIELDS = 7;

export class ServedBatcher implements ServedSink {
  private nums = new Float64Array(FIELDS * 256);
  private lines: string[] = [];
  private lineIndex = new Map<string, number>();
  private users: string[] = [];
  private ids: string[] = [];
  n = 0;

  constructor(private readonly withUsers: boolean) {}

  served(s: Served): void {
    if ((this.n + 1) * FIELDS > this.nums.length) {
      const bigger = new Float64Array(this.nums.length * 2);
      bigger.set(this.nums);
      this.nums = bigger;
    }
    const o = this.n * FIELDS;
    const a = this.nums;
    a[o] = s.route;
    a[o + 1] = s.target === "legacy" ? 0 : 1;
    a[o + 2] = s.status;
    a[o + 3] = s.metricStatus;
    a[o + 4] = s.failed ? 1 : 0;
    a[o + 5] = s.ms;
    const line = `${s.method} ${s.path}`;
    let li = this.lineIndex.get(line);
    if (li === undefined) {
      li = this.lines.length;
      this.lines.push(line);
      this.lineIndex.set(line, li);
    }
    a[o + 6] = li;
    if (this.withUsers) {
      this.users.push(s.user);
      this.ids.push(s.id);
    }
    this.n++;
  }

  /** take returns the batch so far (exactly sized) and starts a new one. */
  take(): ServedBatch {
    const batch = {
      n: this.n,
      nums: this.nums.slice(0, this.n * FIELDS),
      lines: this.lines,
      users: this.users,
      ids: this.ids,
    };
    this.n = 0;
    this.lines = [];
    this.lineIndex = new Map();
    this.users = [];
    this.ids = [];
    return batch;
  }
}

/** unbatch hands each record of a batch to `sink`, in order. */
export function unbatch(b: ServedBatch, sink: ServedSink): void {
  const a = b.nums;
  for (let i = 0; i < b.n; i++) {
    const o = i * FIELDS;
    const line = b.lines[a[o + 6] ?? 0] ?? "";
    const sp = line.indexOf(" ");
    sink.served({
      route: a[o] ?? 0,
      method: line.slice(0, Math.max(0, sp)),
      path: line.slice(sp + 1),
      target: a[o + 1] === 1 ? "candidate" : "legacy",
      status: a[o + 2] ?? 0,
      metricStatus: a[o + 3] ?? 0,
      failed: a[o + 4] === 1,
      ms: a[o + 5] ?? 0,
      user: b.users[i] ?? "",
      id: b.ids[i] ?? "",
    });
  }
}
