import cluster, { type Worker } from "node:cluster";
import { fileURLToPath } from "node:url";
import { AggregatorRegistry } from "prom-client";
import type { UpstreamName } from "../config/schema.js";
import { CutoverError } from "../errors/index.js";
import { reviveResponse } from "../compare/transfer.js";
import type { Metrics } from "../metrics/registry.js";
import type { ComparisonSink } from "../mirror/mirror.js";
import type { Plane, PoolCounts, PoolKind } from "../state/plane.js";
import type { Runtime } from "../state/runtime.js";
import type { ServedSink } from "../state/served.js";
import type { WorkerStatus } from "../state/workers.js";
import type { BreakerView } from "../state/breakers.js";
import type { RecordingTap } from "../recording/tap.js";
import type { Route } from "../route/table.js";
import { RecordIntake } from "./recording.js";
import { reviveCopy } from "./record-wire.js";
import { TurnBroker } from "./correlation-primary.js";
import { unbatch, type FromWorker, type ToWorker, type WirePair, type WorkerStats } from "./protocol.js";

/** Where the primary sends the workers' reports: the same sinks an in-process data plane feeds. */
export interface ClusterHost {
  served: ServedSink;
  comparisons: ComparisonSink;
  /** The recording (with `record:`): the workers' probes send it what they captured. */
  recording?: RecordingTap | undefined;
}

/** A worker that has not said it is listening after this long failed to start. */
const START_TIMEOUT_MS = 15_000;
/** Workers asked for their metrics at scrape time answer within this, or are left out of that scrape. */
const METRICS_TIMEOUT_MS = 1000;
/** A slot whose process died this many times within a minute is left empty (and logged as such). */
const MAX_RESTARTS_PER_MIN = 10;

interface Slot {
  slot: number;
  worker: Worker | undefined;
  state: WorkerStatus["state"];
  restarts: number[];
  restartCount: number;
  served: number;
  lastReport: number | undefined;
  stats: WorkerStats | undefined;
}

const WORKER_MAIN = fileURLToPath(new URL("./worker-main.js", import.meta.url));

/**
 * ClusterPlane serves the data plane from `n` worker processes that share the listener (Node's
 * cluster module), while this process stays the control plane. It sends each worker the current
 * weights, upstream health and shadow routes at start and on every change; takes their batched
 * reports (served requests, mirrored pairs, pool stats) into the host; restarts a worker that
 * dies; and sums their Prometheus registries with its own at scrape time.
 */
export class ClusterPlane implements Plane {
  private readonly slots: Slot[];
  private readonly shadow = new Set<number>();
  private address = "";
  private draining = false;
  private metricsSeq = 0;
  private readonly metricsWaiters = new Map<number, (m: unknown[]) => void>();
  private readonly records: RecordIntake | undefined;
  /** Live correlation across the workers: each user's maps and turn order (correlation-primary.ts). */
  readonly turns: TurnBroker;

  constructor(
    private readonly rt: Runtime,
    n: number,
    private readonly host: ClusterHost,
  ) {
    this.slots = Array.from({ length: n }, (_, slot) => ({
      slot,
      worker: undefined,
      state: "starting" as const,
      restarts: [],
      restartCount: 0,
      served: 0,
      lastReport: undefined,
      stats: undefined,
    }));
    this.records = host.recording && new RecordIntake(host.recording, n);
    const lim = rt.config.diff.limits;
    this.turns = new TurnBroker({ users: lim.correlation_users, values: lim.correlation_values }, (slot, n, state) => {
      const w = this.slots[slot]?.worker;
      if (w) this.send(w, { t: "turn_grant", n, state });
    });
    rt.weightListeners.push(() => this.broadcast({ t: "weights", weights: [...rt.weights] }));
    for (const u of rt.allUpstreams())
      u.onChange((c) => this.broadcast({ t: "health", upstream: u.name, state: c.to }));
  }

  get url(): string {
    return this.address;
  }

  async listen(address: string): Promise<string> {
    cluster.setupPrimary({ exec: WORKER_MAIN, args: [], serialization: "advanced" });
    try {
      const urls = await Promise.all(this.slots.map((s) => this.spawn(s, address)));
      this.address = urls[0] ?? "";
      return this.address;
    } catch (err) {
      await this.drain();
      throw err;
    }
  }

  private spawn(s: Slot, address: string): Promise<string> {
    const rt = this.rt;
    const worker = cluster.fork();
    s.worker = worker;
    s.state = "starting";
    s.stats = undefined;
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        worker.process.kill("SIGKILL");
        reject(new CutoverError("CUTOVER_ERR_LISTEN", `${address}: worker ${s.slot} did not start`));
      }, START_TIMEOUT_MS);
      worker.on("message", (m: FromWorker) => {
        if (m.t === "ready") {
          this.send(worker, {
            t: "init",
            slot: s.slot,
            config: rt.config,
            weights: [...rt.weights],
            health: Object.fromEntries(rt.allUpstreams().map((u) => [u.name, u.state])),
            shadow: [...this.shadow],
          });
        } else if (m.t === "listening") {
          clearTimeout(timer);
          s.state = "serving";
          resolve(m.url);
        } else if (m.t === "failed") {
          clearTimeout(timer);
          reject(new CutoverError("CUTOVER_ERR_LISTEN", m.message));
        } else this.onMessage(s, m);
      });
      worker.on("exit", (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        const served = s.state === "serving";
        s.state = "exited";
        s.worker = undefined;
        this.records?.gone(s.slot);
        this.turns.dropWorker(s.slot);
        if (this.draining) return;
        const why = signal ?? `exit code ${code}`;
        reject(new CutoverError("CUTOVER_ERR_LISTEN", `${address}: worker ${s.slot} exited before listening (${why})`));
        // Only a worker that was serving is replaced; one that cannot start would fail again.
        if (served) this.restart(s, address, why);
        else if (this.address) this.rt.log.error({ worker: s.slot, why }, "cluster worker failed to start");
      });
    });
  }

  /** A worker died while serving: start another in its slot, unless the slot keeps dying. */
  private restart(s: Slot, address: string, why: string): void {
    const now = Date.now();
    s.restarts = s.restarts.filter((t) => now - t < 60_000);
    if (s.restarts.length >= MAX_RESTARTS_PER_MIN) {
      this.rt.log.error({ worker: s.slot, why }, "cluster worker keeps dying; slot left empty");
      return;
    }
    s.restarts.push(now);
    s.restartCount++;
    const delay = Math.min(5000, 100 * 2 ** (s.restarts.length - 1));
    this.rt.log.error({ worker: s.slot, why, restart_in_ms: delay }, "cluster worker died; restarting");
    setTimeout(() => {
      if (this.draining) return;
      this.spawn(s, address).catch((err: unknown) =>
        this.rt.log.error({ worker: s.slot, err: (err as Error).message }, "cluster worker failed to restart"),
      );
    }, delay).unref();
  }

  private onMessage(s: Slot, m: FromWorker): void {
    switch (m.t) {
      case "report":
        s.lastReport = Date.now();
        s.stats = m.stats;
        s.served += m.served.n;
        unbatch(m.served, this.host.served);
        for (const p of m.pairs) this.pair(p);
        break;
      case "passive": {
        // One worker's live requests failing is evidence for all: the primary decides and tells every worker.
        const u = this.rt.allUpstreams().find((x) => x.name === m.upstream);
        if (u && u.state !== m.to) u.set(m.to, `worker ${s.slot}: ${m.reason}`);
        break;
      }
      case "metrics":
        this.metricsWaiters.get(m.id)?.(m.metrics);
        break;
      case "records":
        this.records?.take(s.slot, m);
        break;
      case "turn_begin":
        this.turns.begin(s.slot, m.n, m.user, m.ms);
        break;
      case "turn_end":
        this.turns.end(s.slot, m.n, m.state);
        break;
      case "ready":
      case "listening":
      case "failed":
        break;
    }
  }

  private pair(p: WirePair): void {
    const route = this.rt.table.routes[p.req.route];
    if (!route) return;
    this.host.comparisons.compare(
      { ...p.req, route, record: reviveCopy(p.req.record) },
      reviveResponse(p.legacy),
      reviveResponse(p.candidate),
      p.secondary ? reviveResponse(p.secondary) : undefined,
    );
  }

  private send(w: Worker, m: ToWorker): void {
    if (w.isConnected()) w.send(m);
  }

  private broadcast(m: ToWorker): void {
    for (const s of this.slots) if (s.worker && s.state !== "exited") this.send(s.worker, m);
  }

  openUpgrades(): number {
    return this.slots.reduce((n, s) => n + (s.stats?.upgrades ?? 0), 0);
  }

  mirrorsPending(): number {
    return this.slots.reduce((n, s) => n + (s.stats?.mirrorsPending ?? 0), 0);
  }

  connections(upstream: UpstreamName, pool: PoolKind = "live"): PoolCounts {
    const sum: PoolCounts = { connected: 0, free: 0, pending: 0, running: 0 };
    for (const s of this.slots) {
      const p = s.stats?.pools[pool === "live" ? upstream : (`${upstream}:mirror` as const)];
      if (!p) continue;
      sum.connected += p.connected;
      sum.free += p.free;
      sum.pending += p.pending;
      sum.running += p.running;
    }
    return sum;
  }

  mirrorBreakers(): BreakerView[] {
    return this.slots.flatMap((s) => (s.stats?.breakers ?? []).map((b) => ({ ...b, worker: s.slot })));
  }

  workers(): WorkerStatus[] {
    const now = Date.now();
    return this.slots.map((s) => ({
      slot: s.slot,
      pid: s.worker?.process.pid ?? 0,
      state: s.state,
      restarts: s.restartCount,
      served: s.served,
      last_report_ms: s.lastReport === undefined ? null : now - s.lastReport,
    }));
  }

  setShadow(routes: readonly Route[], on: boolean): void {
    for (const r of routes) {
      if (on) this.shadow.add(r.id);
      else this.shadow.delete(r.id);
    }
    this.broadcast({ t: "shadow", routes: routes.map((r) => r.id), on });
  }

  endCandidateStreams(routeIds: ReadonlySet<number>): void {
    this.broadcast({ t: "end_candidate_streams", routes: [...routeIds] });
  }

  /** renderMetrics sums every serving worker's registry with the primary's (`own`). */
  async renderMetrics(own: Metrics): Promise<string> {
    const asked = this.slots.flatMap((s) => (s.worker && s.state === "serving" ? [s.worker] : []));
    const answers = await Promise.all(asked.map((w) => this.askMetrics(w)));
    const all = [await own.registry.getMetricsAsJSON(), ...answers.filter((a) => a !== undefined)];
    return AggregatorRegistry.aggregate(all).metrics();
  }

  private askMetrics(w: Worker): Promise<unknown[] | undefined> {
    const id = ++this.metricsSeq;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.metricsWaiters.delete(id);
        resolve(undefined);
      }, METRICS_TIMEOUT_MS);
      this.metricsWaiters.set(id, (m) => {
        clearTimeout(timer);
        this.metricsWaiters.delete(id);
        resolve(m);
      });
      this.send(w, { t: "metrics", id });
    });
  }

  /** drain tells every worker to drain and waits for them to exit (killing any that outstay the shutdown timeout). */
  async drain(): Promise<void> {
    this.draining = true;
    const live = this.slots.flatMap((s) => (s.worker ? [{ s, w: s.worker }] : []));
    await Promise.all(
      live.map(
        ({ s, w }) =>
          new Promise<void>((resolve) => {
            s.state = "draining";
            const timer = setTimeout(() => w.process.kill("SIGKILL"), this.rt.config.timeouts.shutdown + 5000);
            w.once("exit", () => {
              clearTimeout(timer);
              resolve();
            });
            this.send(w, { t: "drain" });
          }),
      ),
    );
  }
}
