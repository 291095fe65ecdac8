import type { CapturedResponse } from "../diff/types.js";
import { isCutoverError } from "../errors/index.js";
import { DataPlane } from "../dataplane/plane.js";
import { Runtime } from "../state/runtime.js";
import { createLogger } from "../log.js";
import { wireResponse } from "../compare/transfer.js";
import type { ComparisonSink, MirroredRequest } from "../mirror/mirror.js";
import { DetachedStore } from "../store/detached.js";
import { RecordShipper } from "./recording.js";
import { wireCopy } from "./record-wire.js";
import { RemoteTurns } from "./correlation-worker.js";
import { ServedBatcher, type FromWorker, type ToWorker, type WirePair, type WorkerInit } from "./protocol.js";

/** Reports (served requests, mirrored pairs, stats) go to the primary this often while serving. */
const REPORT_MS = 50;
/** A report goes at once when it holds this many mirrored pairs (their bodies are the bulk). */
const FLUSH_PAIRS = 32;
/** Reports sent and not yet written to the channel; beyond it new pairs are skipped as `busy`. */
const MAX_UNSENT = 16;

type Send = (m: FromWorker, done?: (err: Error | null) => void) => boolean;

/**
 * ClusterWorker is one data-plane process of a cluster: the same DataPlane as a single gateway,
 * with a Runtime that holds the primary's weights and health instead of a store. What the control
 * plane needs (served requests, mirrored pairs, passive health changes) goes to the primary in
 * batched reports; what the control plane decides (weights, health, shadow routes,
 * ending candidate streams, drain) comes back as messages.
 */
export class ClusterWorker {
  readonly rt: Runtime;
  readonly plane: DataPlane;
  /** Live correlation: each user's maps and turn order are the primary's. */
  readonly turns: RemoteTurns;
  private readonly served: ServedBatcher;
  /** The recording probe's exchanges on their way to the primary (with `record:`). */
  private readonly records: RecordShipper | undefined;
  private pairs: WirePair[] = [];
  private unsent = 0;
  private lastReport = 0;
  private lastUpgrades = 0;
  private readonly timer: NodeJS.Timeout;
  private draining: Promise<void> | undefined;

  constructor(
    init: WorkerInit,
    private readonly send: Send,
  ) {
    const config = init.config;
    const log = createLogger(config.log.level).child({ worker: init.slot });
    const rt = (this.rt = new Runtime(config, new DetachedStore(), log, "worker"));
    rt.adoptWeights(init.weights);
    for (const u of rt.allUpstreams()) {
      const h = init.health[u.name];
      if (h) u.adopt(h);
      // Passive health seen here (failures of live requests) is the primary's to decide and spread.
      u.onChange((c) => void this.send({ t: "passive", upstream: u.name, to: c.to, reason: c.reason }));
    }
    this.served = new ServedBatcher(config.rollout !== undefined);
    const sink: ComparisonSink = { offThread: true, compare: (req, l, c, s) => this.pair(req, l, c, s) };
    this.records = config.record && new RecordShipper(config.record, send);
    this.plane = new DataPlane(rt, sink, this.served, this.records);
    this.turns = new RemoteTurns(config.diff.limits.correlation_values, (m) => void this.send(m));
    this.plane.mirror.correlation = this.turns;
    this.plane.setShadow(
      init.shadow.flatMap((id) => rt.table.routes[id] ?? []),
      true,
    );
    this.timer = setInterval(() => this.report(), REPORT_MS);
  }

  /** Reports handed to the channel and not yet written. */
  get unsentReports(): number {
    return this.unsent + (this.records?.unsent ?? 0);
  }

  async listen(): Promise<void> {
    try {
      const url = await this.plane.listen(this.rt.config.listen);
      this.send({ t: "listening", url });
    } catch (err) {
      const code = isCutoverError(err) ? err.code : "CUTOVER_ERR_LISTEN";
      this.send({ t: "failed", code, message: (err as Error).message });
      throw err;
    }
  }

  handle(m: ToWorker): void {
    const rt = this.rt;
    switch (m.t) {
      case "weights":
        rt.adoptWeights(m.weights);
        break;
      case "health":
        rt.allUpstreams()
          .find((u) => u.name === m.upstream)
          ?.adopt(m.state);
        break;
      case "shadow":
        this.plane.setShadow(
          m.routes.flatMap((id) => rt.table.routes[id] ?? []),
          m.on,
        );
        break;
      case "end_candidate_streams":
        this.plane.endCandidateStreams(new Set(m.routes));
        break;
      case "metrics":
        void rt.metrics.registry.getMetricsAsJSON().then((metrics) => this.send({ t: "metrics", id: m.id, metrics }));
        break;
      case "drain":
        void this.drain();
        break;
      case "turn_grant":
        this.turns.grant(m.n, m.state);
        break;
      case "init":
        break;
    }
  }

  /** A finished mirrored exchange: queued for the next report, or skipped when the channel is backed up. */
  private pair(req: MirroredRequest, l: CapturedResponse, c: CapturedResponse, s: CapturedResponse | undefined): void {
    if (this.unsent >= MAX_UNSENT) {
      this.rt.metrics.mirrorSkipped.labels(req.route.name, "busy").inc();
      return;
    }
    this.pairs.push({
      req: { ...req, route: req.route.id, record: wireCopy(req.record) },
      legacy: wireResponse(l),
      candidate: wireResponse(c),
      secondary: s ? wireResponse(s) : undefined,
    });
    if (this.pairs.length >= FLUSH_PAIRS) this.report();
  }

  private report(): void {
    this.records?.flush();
    // Idle, a report still goes when the tunnel count changed, and every second anyway: the
    // primary shows its stats and that it is alive.
    const now = Date.now();
    const p = this.plane;
    const upgrades = p.openUpgrades();
    const quiet = this.served.n === 0 && this.pairs.length === 0 && upgrades === this.lastUpgrades;
    if (quiet && now - this.lastReport < 1000) return;
    this.lastReport = now;
    this.lastUpgrades = upgrades;
    const pools = Object.fromEntries(
      this.rt.allUpstreams().flatMap((u) => [
        [u.name, p.connections(u.name)],
        [`${u.name}:mirror`, p.connections(u.name, "mirror")],
      ]),
    );
    const pairs = this.pairs;
    this.pairs = [];
    this.unsent++;
    this.send(
      {
        t: "report",
        served: this.served.take(),
        pairs,
        stats: { upgrades, mirrorsPending: p.mirrorsPending(), pools, breakers: p.mirrorBreakers() },
      },
      () => this.unsent--,
    );
  }

  /** drain finishes in-flight requests and mirrored exchanges, sends the last report, closes the pools. */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      await this.plane.drain();
      for (let i = 0; i < 100 && this.plane.mirror.inflight > 0; i++) await new Promise((r) => setTimeout(r, 20));
      clearInterval(this.timer);
      // Recorded exchanges are handed over on a later turn (setImmediate): let the last ones arrive.
      await new Promise((r) => setImmediate(r));
      this.report();
      await Promise.all(this.rt.allUpstreams().map((u) => u.close()));
    })();
    return this.draining;
  }
}
