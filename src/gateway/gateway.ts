import { randomBytes } from "node:crypto";
import { availableParallelism } from "node:os";
import type { Logger } from "pino";
import { registerCoverageApi } from "../admin/coverage.js";
import { registerFindingsApi, registerLiveApi } from "../admin/findings.js";
import type { AdminHost } from "../admin/host.js";
import { Live } from "../admin/live.js";
import { registerRolloutApi } from "../admin/rollout.js";
import { AdminServer } from "../admin/server.js";
import { buildStatus } from "../admin/status.js";
import { ClusterPlane } from "../cluster/primary.js";
import { Parity } from "../compare/parity.js";
import { endpointTemplates } from "../inventory/endpoints.js";
import { readEndpointSources } from "../inventory/read.js";
import { RecordingTap } from "../recording/tap.js";
import type { Config } from "../config/schema.js";
import { DataPlane } from "../dataplane/plane.js";
import { CutoverError } from "../errors/index.js";
import { HealthChecker } from "../health/checker.js";
import { createLogger } from "../log.js";
import { openStore } from "../store/open.js";
import { PostgresStore } from "../store/postgres.js";
import { attachReplicas, replicaStoreOptions, settleSalt, type ReplicaHandle } from "../replicas/attach.js";
import { RolloutController } from "../rollout/controller.js";
import type { Plane } from "../state/plane.js";
import { Runtime } from "../state/runtime.js";
import { SqliteStore } from "../store/sqlite.js";
import type { Store } from "../store/store.js";
import { CoverageTap } from "./coverage.js";
import { Recorder } from "./recorder.js";
import { isLoopbackHost } from "../config/admin-checks.js";
import { parseListen } from "../config/units.js";

/** The store document holding the bucket salt generated for this install. */
export const SALT_DOC = "bucket_salt";

export { listen } from "../net/listen.js";

export interface GatewayOptions {
  store?: Store;
  log?: Logger;
  /** Overrides the config's `workers`. */
  workers?: number;
}

/** workerCount resolves `workers: auto` to one per core. */
export function workerCount(w: Config["workers"]): number {
  return w === "auto" ? availableParallelism() : w;
}

/**
 * Gateway is one running cutover: the control plane (admin listener, health checks, rollout and
 * judge, parity, live series, the store) and a data plane serving clients: in this process, or
 * in cluster workers (`workers > 1`) that this process keeps in step. `start()` listens;
 * `stop()` drains in-flight requests first.
 */
export class Gateway implements AdminHost {
  readonly runtime: Runtime;
  readonly admin: AdminServer;
  readonly parity: Parity;
  /** Coverage per endpoint: served, mirrored, compared, differing. */
  readonly coverage: CoverageTap;
  /** Records mirrored exchanges to HAR when `record:` is configured. */
  readonly recording: RecordingTap | undefined;
  readonly rollout: RolloutController | undefined;
  readonly live: Live;
  /** Whatever serves clients; the control plane talks to it only through this interface. */
  readonly plane: Plane;
  readonly config: Config;
  /** Set when the store is PostgreSQL: this gateway is one replica of several. */
  readonly replicas: ReplicaHandle | undefined;
  private readonly health: HealthChecker;
  private stopping: Promise<void> | undefined;
  /** A salt generated at this start, stored once both listeners are bound. */
  private newSalt: string | undefined;

  constructor(given: Config, opts: GatewayOptions = {}) {
    const log = opts.log ?? createLogger(given.log.level);
    if (!opts.store && given.store.kind !== "sqlite")
      throw new CutoverError("CUTOVER_ERR_INTERNAL", "a PostgreSQL store is opened asynchronously: use Gateway.open");
    const store = opts.store ?? new SqliteStore(given.store.kind === "sqlite" ? given.store.path : "");
    // Unset salt: this install's own, generated once and kept in the store (a public default
    // would let anyone pick bucket keys that land on the candidate).
    let salt = given.bucketing.salt;
    if (salt === "") {
      const stored = store.getDoc(SALT_DOC);
      if (typeof stored === "string" && stored !== "") salt = stored;
      else salt = this.newSalt = randomBytes(16).toString("hex");
    }
    const config = (this.config = { ...given, bucketing: { ...given.bucketing, salt } });
    const workers = opts.workers ?? workerCount(config.workers);
    this.runtime = new Runtime(config, store, log, workers > 1 ? "primary" : "single");
    this.health = new HealthChecker(this.runtime.allUpstreams());
    this.parity = new Parity(config, store, this.runtime.metrics, log);
    // The live stream sends the route summaries that changed each second (O(changes)); a new
    // subscriber gets them all once.
    const liveChanges = this.parity.findings.track();
    const live = (this.live = new Live(
      () => ({
        status: buildStatus(this),
        findings: { compared: this.parity.compared, routes: this.parity.findings.changedRoutes(liveChanges) },
      }),
      () => ({ compared: this.parity.compared, routes: this.parity.findings.routes() }),
      (kind, seconds) => this.runtime.metrics.dashboardPush.observe({ kind }, seconds),
    ));

    // One recorder in both modes: the data plane's served records reach it in-process, or through
    // the cluster workers' reports.
    const coverage = (this.coverage = new CoverageTap(this.runtime, this.parity));
    const recorder = new Recorder(this.runtime.metrics, live, coverage);
    this.recording = config.record ? new RecordingTap(this.parity, config.record, config) : undefined;
    const comparisons = coverage.sink(this.recording ?? this.parity);
    this.plane =
      workers > 1
        ? new ClusterPlane(this.runtime, workers, { served: recorder, comparisons, recording: this.recording })
        : new DataPlane(this.runtime, comparisons, recorder, this.recording);
    // Live correlation's counts: this process's maps, or the cluster primary's (shared by its workers).
    const plane = this.plane;
    const correlation =
      plane instanceof ClusterPlane ? plane.turns : plane instanceof DataPlane ? plane.mirror.correlation : undefined;
    if (correlation) this.parity.stateSources.push(() => correlation.state());
    const recording = this.recording;
    if (recording) this.parity.stateSources.push(() => recording.state());

    this.admin = new AdminServer(this);
    registerFindingsApi(this.admin, this);
    registerCoverageApi(this.admin, this);
    this.replicas = store instanceof PostgresStore ? attachReplicas(this, store, config.replicas, log) : undefined;
    const replicas = this.replicas;
    if (replicas) coverage.share(() => replicas.findings());
    this.rollout = config.rollout
      ? new RolloutController(this.runtime, config.rollout, {
          setShadow: (routes, on) => this.plane.setShadow(routes, on),
          endCandidateStreams: (routes) => this.plane.endCandidateStreams(new Set(routes.map((r) => r.id))),
          mirrorSkips: () => {
            const by = new Map<string, number>();
            for (const b of this.plane.mirrorBreakers())
              if (b.upstream === "candidate") by.set(b.route, (by.get(b.route) ?? 0) + b.skipped);
            return by;
          },
          ...(this.replicas ? { judgeship: this.replicas.judgeship } : {}),
        })
      : undefined;
    recorder.rollout = this.rollout;
    if (this.rollout) {
      const names = new Set(this.rollout.routes.map((r) => r.name));
      this.rollout.inventory = () => coverage.inventory(names);
    }
    registerRolloutApi(this.admin, this);
    registerLiveApi(this.admin, live);
    const rollout = this.rollout;
    if (rollout)
      this.parity.listeners.push((req, outcome, candidate, endpoint) =>
        rollout.recordMirrored(req, outcome, candidate, endpoint),
      );
  }

  /** open opens the configured store (loading a PostgreSQL one into memory), then builds the gateway. */
  static async open(config: Config, opts: GatewayOptions = {}): Promise<Gateway> {
    const log = opts.log ?? createLogger(config.log.level);
    const store = opts.store ?? (await openStore(config.store, log, replicaStoreOptions(config.replicas)));
    try {
      if (store instanceof PostgresStore && config.bucketing.salt === "") await settleSalt(store, SALT_DOC);
      return new Gateway(config, { ...opts, log, store });
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  /** start listens on the data-plane and admin addresses; returns the bound URLs. */
  async start(): Promise<{ url: string; adminUrl: string }> {
    // Comparisons queued before the worker has loaded would only pile up behind it.
    await this.parity.ready();
    if (this.config.endpoints.length) {
      const { endpoints, errors } = await readEndpointSources(this.config.endpoints);
      for (const e of errors) this.runtime.log.warn({ err: e }, "endpoints: source skipped");
      const templates = endpointTemplates(endpoints);
      this.parity.useEndpoints(templates);
      this.coverage.useInventory(templates);
    }
    const url = await this.plane.listen(this.config.listen);
    let adminUrl: string;
    try {
      adminUrl = await this.admin.start();
    } catch (err) {
      await this.plane.drain();
      throw err;
    }
    // Nothing is written to the store before both listeners are bound.
    if (this.newSalt !== undefined) this.runtime.store.putDoc(SALT_DOC, this.newSalt);
    this.newSalt = undefined;
    if (!isLoopbackHost(parseListen(this.config.admin.listen).host))
      this.runtime.log.warn(
        { admin: adminUrl },
        "admin API listens on a non-loopback address (admin.expose: true): keep it behind a firewall or a TLS proxy",
      );
    this.health.start();
    // Joins the other replicas (heartbeat, changes, the judge's lease) before the rollout starts.
    await this.replicas?.replicas.start();
    this.rollout?.start();
    this.runtime.log.info({ url, admin: adminUrl }, "cutover listening");
    return { url, adminUrl };
  }

  get url(): string {
    return this.plane.url;
  }

  /** The Prometheus exposition: this process's registry, plus every cluster worker's. */
  renderMetrics(): Promise<string> {
    return this.plane instanceof ClusterPlane
      ? this.plane.renderMetrics(this.runtime.metrics)
      : this.runtime.metrics.render();
  }

  /**
   * stop drains: no new connections, `Connection: close` on answers in flight, WebSockets closed
   * with 1001, and after `timeouts.shutdown` whatever is left is cut.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.health.stop();
      this.live.close();
      await this.plane.drain();
      await this.admin.stop();
      await Promise.all(this.runtime.allUpstreams().map((u) => u.close()));
      await this.parity.close();
      this.coverage.close();
      await this.recording?.close().catch((err: unknown) => this.runtime.log.error({ err }, "recording"));
      // Last: what drained (served requests, comparisons) is in the window it persists.
      this.rollout?.stop();
      await this.replicas?.stop();
      await this.runtime.store.close();
    })();
    return this.stopping;
  }
}
