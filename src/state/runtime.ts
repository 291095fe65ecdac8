import type { Logger } from "pino";
import type { Config, RouteConfig, Target } from "../config/schema.js";
import { CutoverError } from "../errors/index.js";
import { Metrics } from "../metrics/registry.js";
import { Upstream } from "../proxy/upstream.js";
import { RouteTable, type Route } from "../route/table.js";
import { compileKeys, type KeySource } from "../split/keys.js";
import type { AuditEntry, Store } from "../store/store.js";

/**
 * Where this Runtime runs: `single` is the whole gateway in one process; in cluster mode the
 * `primary` holds the state (store, weights, health) and each `worker` serves traffic with a copy
 * it is sent, reporting back instead of writing.
 */
export type Role = "single" | "primary" | "worker";

export interface Upstreams {
  legacy: Upstream;
  candidate: Upstream;
  secondary: Upstream | undefined;
}

/**
 * Runtime is the gateway's live state for one config: the route table, each route's current
 * candidate weight, the upstreams and their health, metrics and the store. The request path
 * reads it; the admin API and the rollout controller change it.
 */
export class Runtime {
  readonly table: RouteTable<RouteConfig>;
  readonly weights: Float64Array;
  readonly upstreams: Upstreams;
  readonly keys: KeySource[];
  readonly metrics = new Metrics();
  readonly startedAt = Date.now();
  /** Called after weights change, e.g. so candidate streams of moved users end. */
  readonly weightListeners: ((route: Route, weight: number, previous: number) => void)[] = [];
  /**
   * Several replicas on one database: setWeights stores the change and every replica (this one
   * too) applies it at its effective time via applyNamedWeights, so all switch at the same moment;
   * only a decrease (toward legacy) also applies on this replica at once.
   */
  deferWeights = false;

  constructor(
    readonly config: Config,
    readonly store: Store,
    readonly log: Logger,
    role: Role = "single",
  ) {
    this.table = new RouteTable<RouteConfig>(config.routes);
    this.keys = compileKeys(config.bucketing.keys);
    const opts = {
      connectTimeout: config.timeouts.connect,
      keepAlive: 60_000,
      mirrorConnections: config.diff.max_concurrency,
    };
    const sec = config.upstreams["legacy-secondary"];
    this.upstreams = {
      legacy: new Upstream("legacy", config.upstreams.legacy, opts),
      candidate: new Upstream("candidate", config.upstreams.candidate, opts),
      secondary: sec ? new Upstream("legacy-secondary", sec, opts) : undefined,
    };
    this.metrics.setRoutes(this.table.routes.map((r) => r.name));
    if (role === "worker") this.metrics.omitControlPlane();

    // Weights set at runtime (admin API, rollout) survive restarts; the config gives the start.
    // A worker is sent the primary's weights and health instead, and never writes to the store.
    const saved = store.getWeights();
    this.weights = Float64Array.from(this.table.routes, (r) => saved.get(r.name) ?? r.config.candidate_weight);
    if (role === "worker") return;
    for (const r of this.table.routes) this.metrics.routeWeight.labels(r.name).set(this.weights[r.id] ?? 0);

    for (const u of this.allUpstreams()) {
      this.metrics.upstreamHealthy.labels(u.name).set(1);
      u.onChange((c) => {
        this.metrics.upstreamHealthy.labels(u.name).set(c.to === "unhealthy" ? 0 : 1);
        if (c.from === "unknown" && c.to === "healthy") return;
        this.log[c.to === "unhealthy" ? "warn" : "info"](
          { upstream: c.upstream, from: c.from, to: c.to, reason: c.reason },
          "upstream health changed",
        );
        this.store.audit({
          at: Date.now(),
          actor: "health",
          action: `upstream_${c.to}`,
          subject: c.upstream,
          reason: c.reason,
        });
      });
    }
  }

  allUpstreams(): Upstream[] {
    const { legacy, candidate, secondary } = this.upstreams;
    return secondary ? [legacy, candidate, secondary] : [legacy, candidate];
  }

  upstream(target: Target): Upstream {
    return target === "legacy" ? this.upstreams.legacy : this.upstreams.candidate;
  }

  route(name: string): Route<RouteConfig> {
    const r = this.table.get(name) ?? this.table.routes.find((x) => x.config.match.path === name);
    if (!r)
      throw new CutoverError(
        "CUTOVER_ERR_UNKNOWN_ROUTE",
        `"${name}"; routes: ${this.table.routes.map((x) => x.name).join(", ")}`,
      );
    return r;
  }

  weight(route: Route): number {
    return this.weights[route.id] ?? 0;
  }

  /**
   * setWeights changes candidate weights for several routes at once, persisted with one audit
   * entry before the request path sees the change.
   */
  setWeights(
    changes: ReadonlyMap<Route, number>,
    audit: Omit<AuditEntry, "at" | "subject"> & { subject?: string },
  ): void {
    for (const w of changes.values()) {
      if (!(w >= 0 && w <= 100))
        throw new CutoverError("CUTOVER_ERR_ADMIN_BAD_REQUEST", `weight ${w} is not within 0–100`);
    }
    const byName = new Map([...changes].map(([r, w]) => [r.name, Math.round(w * 100) / 100]));
    const previous = new Map([...changes.keys()].map((r) => [r.name, this.weight(r)]));
    this.store.setWeights(byName, {
      ...audit,
      at: Date.now(),
      subject: audit.subject ?? [...byName.keys()].join(", "),
      detail: {
        ...(audit.detail as object | undefined),
        weights: Object.fromEntries(byName),
        previous: Object.fromEntries(previous),
      },
    });
    this.log.info({ weights: Object.fromEntries(byName), actor: audit.actor, reason: audit.reason }, "weights changed");
    if (!this.deferWeights) this.applyNamedWeights(byName);
    else {
      // Several replicas: a move toward legacy (a rollback above all) takes effect here at once,
      // even while the database is unreachable; the fleet-wide switch follows at the effective time.
      const down = new Map([...byName].filter(([name, w]) => w < (previous.get(name) ?? 0)));
      if (down.size) this.applyNamedWeights(down);
    }
  }

  /** applyNamedWeights puts stored weights (by route name) on the request path. */
  applyNamedWeights(byName: ReadonlyMap<string, number>): void {
    for (const [name, w] of byName) {
      const r = this.table.get(name);
      if (!r) continue;
      const prev = this.weights[r.id] ?? 0;
      this.weights[r.id] = w;
      this.metrics.routeWeight.labels(r.name).set(w);
      for (const fn of this.weightListeners) fn(r, w, prev);
    }
  }

  /** adoptWeights applies weights decided elsewhere (a cluster worker, told by its primary). */
  adoptWeights(weights: readonly number[]): void {
    for (const r of this.table.routes) {
      const w = weights[r.id];
      const prev = this.weights[r.id] ?? 0;
      if (w === undefined || w === prev) continue;
      this.weights[r.id] = w;
      for (const fn of this.weightListeners) fn(r, w, prev);
    }
  }

  /** rollbackAll sends every route to legacy at once. */
  rollbackAll(actor: string, reason: string): void {
    this.setWeights(new Map(this.table.routes.map((r) => [r, 0])), { actor, action: "rollback", subject: "*", reason });
  }
}
