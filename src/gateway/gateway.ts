import { availableParallelism } from "node:os";
import type { Logger } from "pino";
import { AdminServer } from "../admin/server.js";
import type { Config } from "../config/schema.js";
import { CutoverError } from "../errors/index.js";
import { HealthChecker } from "../health/checker.js";
import { createLogger } from "../log.js";
import type { Store } from "../store/store.js";
import { SqliteStore } from "../store/sqlite.js";
import { type RequestHooks } from "./handler.js";
import { Runtime } from "./runtime.js";
import { Parity } from "../mirror/parity.js";
import { registerFindingsApi } from "../admin/findings.js";
import { registerRolloutApi } from "../admin/rollout.js";
import { RolloutController } from "../rollout/controller.js";
import { Live } from "../admin/live.js";
import { buildStatus } from "../admin/status.js";
import { registerLiveApi } from "../admin/findings.js";
import { DataPlane, type Plane } from "./data-plane.js";
import { servedOf, type Served } from "./served.js";
import { ClusterPlane } from "../cluster/primary.js";

export { listen } from "./listen.js";

export interface GatewayOptions {
  store?: Store;
  log?: Logger;
  /** Extra request hooks (single-process mode only: they run on the request path). */
  hooks?: RequestHooks;
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
export class Gateway {
  readonly runtime: Runtime;
  readonly admin: AdminServer;
  readonly parity: Parity;
  readonly rollout: RolloutController | undefined;
  readonly live: Live;
  /** Whatever serves clients; the control plane talks to it only through this interface. */
  readonly plane: Plane;
  private readonly health: HealthChecker;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: Config,
    opts: GatewayOptions = {},
  ) {
    const log = opts.log ?? createLogger(config.log.level);
    const store = opts.store ?? new SqliteStore(config.store.path);
    const workers = opts.workers ?? workerCount(config.workers);
    if (workers > 1 && opts.hooks)
      throw new CutoverError("CUTOVER_ERR_INTERNAL", "request hooks run in this process: they need workers: 1");
    this.runtime = new Runtime(config, store, log, workers > 1 ? "primary" : "single");
    this.health = new HealthChecker(this.runtime.allUpstreams());
    this.parity = new Parity(config, store, this.runtime.metrics, log);
    const live = (this.live = new Live(() => ({
      status: buildStatus(this),
      findings: { compared: this.parity.compared, routes: this.parity.findings.routes() },
    })));

    if (workers > 1) {
      this.plane = new ClusterPlane(this.runtime, workers, {
        served: (s) => this.served(s),
        compare: (req, l, c, s) => this.parity.compare(req, l, c, s),
      });
    } else {
      const outer = opts.hooks;
      const hooks: RequestHooks = {
        ...outer,
        afterResponse: (facts, r, target, ms) => {
          live.record(target, r.status, ms);
          if (this.rollout?.coversId(facts.rm.route.id)) this.rollout.recordServed(servedOf(facts, r, target, ms));
          outer?.afterResponse?.(facts, r, target, ms);
        },
      };
      this.plane = new DataPlane(this.runtime, this.parity, hooks);
    }

    this.admin = new AdminServer(this);
    registerFindingsApi(this.admin, this);
    this.rollout = config.rollout
      ? new RolloutController(this.runtime, config.rollout, {
          setShadow: (routes, on) => this.plane.setShadow(routes, on),
          closeCandidateWebSockets: (routes) => this.plane.closeCandidate(new Set(routes.map((r) => r.id))),
        })
      : undefined;
    registerRolloutApi(this.admin, this);
    registerLiveApi(this.admin, live);
    const rollout = this.rollout;
    if (rollout)
      this.parity.listeners.push((req, mismatch, candidate) => rollout.recordMirrored(req, mismatch, candidate));
  }

  /** served takes one answered request reported by a cluster worker. */
  private served(s: Served): void {
    this.runtime.metrics.record(s.route, s.target, s.metricStatus, s.ms / 1000);
    this.live.record(s.target, s.status, s.ms);
    this.rollout?.recordServed(s);
  }

  /** start listens on the data-plane and admin addresses; returns the bound URLs. */
  async start(): Promise<{ url: string; adminUrl: string }> {
    // Comparisons queued before the worker has loaded would only pile up behind it.
    await this.parity.ready();
    const url = await this.plane.listen(this.config.listen);
    const adminUrl = await this.admin.start();
    this.health.start();
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
      // Last: what drained (served requests, comparisons) is in the window it persists.
      this.rollout?.stop();
      this.runtime.store.close();
    })();
    return this.stopping;
  }
}
