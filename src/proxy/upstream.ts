import { Client, Pool, type Dispatcher } from "undici";
import type { UpstreamConfig, UpstreamName } from "../config/schema.js";

/** Health as the split sees it. `unknown` (before the first probe) counts as healthy. */
export type HealthState = "healthy" | "unhealthy" | "unknown";

export interface HealthChange {
  upstream: UpstreamName;
  from: HealthState;
  to: HealthState;
  reason: string;
}

const kReused = Symbol("cutover.reused");

/**
 * ConnectionClient is one pooled connection that marks each request it takes with whether the
 * connection had already carried one (`reusedConnection`): only a request on a kept-alive
 * connection can meet the keep-alive race, and only then is sending it again safe to reason about.
 */
class ConnectionClient extends Client {
  private carried = 0;

  constructor(origin: URL | string, opts: Client.Options) {
    super(origin, opts);
    this.on("disconnect", () => (this.carried = 0));
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    (opts as { [kReused]?: boolean })[kReused] = this.carried++ > 0;
    return super.dispatch(opts, handler);
  }
}

/** connectionPool: an undici Pool whose connections mark reuse (the upstreams' pools; replay's Agent `factory`). */
export function connectionPool(origin: URL | string, opts: Pool.Options): Pool {
  return new Pool(origin, { ...opts, factory: (o, co) => new ConnectionClient(o, co) });
}

/** reusedConnection: whether the request dispatched with these options went out on a kept-alive connection. */
export function reusedConnection(opts: Dispatcher.DispatchOptions): boolean {
  return (opts as { [kReused]?: boolean })[kReused] === true;
}

/**
 * Upstream is one configured backend: its keep-alive connection pool and its health, fed by
 * active probes (src/health/) and by passive observation of live requests here.
 */
export class Upstream {
  readonly name: UpstreamName;
  readonly url: URL;
  readonly origin: string;
  /** Path prefix from the configured URL, prepended to every forwarded path ("" when none). */
  readonly basePath: string;
  readonly pool: Pool;
  readonly config: UpstreamConfig;
  /** Live requests dispatched and not yet finished (the live pool's queue starts above `connections`). */
  inflight = 0;
  state: HealthState = "unknown";
  lastError: { at: number; code: string } | undefined;
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;
  private unhealthySince = 0;
  private readonly listeners: ((c: HealthChange) => void)[] = [];

  private mirrors: Pool | undefined;

  constructor(
    name: UpstreamName,
    config: UpstreamConfig,
    private readonly opts: { connectTimeout: number; keepAlive: number; mirrorConnections: number },
  ) {
    this.name = name;
    this.config = config;
    this.url = new URL(config.url);
    this.origin = this.url.origin;
    this.basePath = this.url.pathname === "/" ? "" : this.url.pathname.replace(/\/$/, "");
    this.pool = this.newPool(config.connections);
  }

  /**
   * mirrorPool carries mirrored requests only, made on first use: a pool of its own, so a slow or
   * stuck mirror can never hold a connection that live traffic to this upstream needs. Its size is
   * `diff.max_concurrency`, the most mirrored exchanges in flight, so mirrors never queue in it.
   */
  get mirrorPool(): Pool {
    this.mirrors ??= this.newPool(this.opts.mirrorConnections);
    return this.mirrors;
  }

  /** mirrorStats is the mirror pool's counts, or undefined while nothing was mirrored here. */
  get mirrorStats(): Pool["stats"] | undefined {
    return this.mirrors?.stats;
  }

  private newPool(connections: number): Pool {
    return connectionPool(this.origin, {
      connections,
      keepAliveTimeout: this.opts.keepAlive,
      keepAliveMaxTimeout: Math.max(this.opts.keepAlive, 600_000),
      connect: { timeout: this.opts.connectTimeout },
      // Each upstream request is one client request; pipelining would couple unrelated clients.
      pipelining: 1,
    });
  }

  get healthy(): boolean {
    if (this.state !== "unhealthy") return true;
    // Without active probes nothing would ever mark it healthy again: after a cool-down let live
    // traffic try (half-open), and the next success closes the circuit.
    if (!this.config.health && Date.now() - this.unhealthySince > 10_000) return true;
    return false;
  }

  onChange(fn: (c: HealthChange) => void): void {
    this.listeners.push(fn);
  }

  /** A live request or probe failed at the transport level (refused, reset, timed out). */
  failure(code: string): void {
    this.lastError = { at: Date.now(), code };
    this.consecutiveSuccesses = 0;
    this.consecutiveFailures++;
    const limit = this.config.health?.unhealthy_after ?? 3;
    if (this.state !== "unhealthy" && this.consecutiveFailures >= limit) {
      this.set("unhealthy", `${this.consecutiveFailures} consecutive failures (last: ${code})`);
    }
  }

  /** A live request got a response, or a probe passed. `probe` successes alone can restore health. */
  success(probe: boolean): void {
    this.consecutiveFailures = 0;
    if (this.state === "unhealthy" && !probe && this.config.health) return;
    this.consecutiveSuccesses++;
    const need = probe ? (this.config.health?.healthy_after ?? 1) : 1;
    if (this.state !== "healthy" && this.consecutiveSuccesses >= need) {
      this.set("healthy", probe ? `${this.consecutiveSuccesses} consecutive passing probes` : "live request succeeded");
    }
  }

  /** adopt takes a state decided elsewhere (a cluster worker, told by its primary) without telling listeners. */
  adopt(to: HealthState): void {
    if (to === this.state) return;
    if (to === "unhealthy") this.unhealthySince = Date.now();
    else this.consecutiveFailures = 0;
    this.state = to;
  }

  /** set changes the state and tells the listeners (audit, metrics, cluster workers). */
  set(to: HealthState, reason: string): void {
    const from = this.state;
    this.state = to;
    if (to === "unhealthy") this.unhealthySince = Date.now();
    for (const fn of this.listeners) fn({ upstream: this.name, from, to, reason });
  }

  async close(): Promise<void> {
    // Mirrors in flight end by their deadline at the latest.
    await Promise.all([this.pool.close().catch(() => undefined), this.mirrors?.close().catch(() => undefined)]);
  }

  async destroy(): Promise<void> {
    await Promise.all([this.pool.destroy().catch(() => undefined), this.mirrors?.destroy().catch(() => undefined)]);
  }
}
