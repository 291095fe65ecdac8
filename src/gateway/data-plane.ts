import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { WorkerStatus } from "../admin/wire.js";
import type { UpstreamName } from "../config/schema.js";
import { Mirror, type ComparisonSink } from "../mirror/mirror.js";
import { rawError, writeRawResponse } from "../proxy/upgrade.js";
import type { Route } from "../route/table.js";
import { listen } from "./listen.js";
import { createHandler, type RequestHooks } from "./handler.js";
import type { Runtime } from "./runtime.js";
import { Upgrades } from "./upgrades.js";

/** An upstream's connection-pool counts (undici Pool stats). */
export interface PoolCounts {
  connected: number;
  free: number;
  pending: number;
  running: number;
}

/**
 * Plane is what the control plane (admin API, rollout, judge) needs from whatever serves client
 * traffic: one DataPlane in this process, or a fleet of them in cluster workers.
 */
export interface Plane {
  listen(address: string): Promise<string>;
  readonly url: string;
  /** WebSocket tunnels open now. */
  openUpgrades(): number;
  /** Mirrored exchanges in flight or queued that have not reached the comparison yet. */
  mirrorsPending(): number;
  /** Cluster worker processes; empty for the in-process data plane. */
  workers(): WorkerStatus[];
  /** Connection-pool counts for one upstream, summed over whatever serves. */
  connections(upstream: UpstreamName): PoolCounts;
  /** Turn a rollout's shadow mirroring of these routes on or off. */
  setShadow(routes: readonly Route[], on: boolean): void;
  /** Close candidate WebSockets on these routes with 1001. */
  closeCandidate(routeIds: ReadonlySet<number>): void;
  /** Stop accepting, let in-flight requests finish (up to `timeouts.shutdown`), close the rest. */
  drain(): Promise<void>;
}

/**
 * DataPlane is the client-facing listener and everything on its request path: validate, route,
 * split, forward, mirror and tunnel upgrades. It reads a Runtime and reports through hooks and a
 * comparison sink, so it runs the same in one process or in each cluster worker.
 */
export class DataPlane implements Plane {
  readonly server: Server;
  readonly upgrades: Upgrades;
  readonly mirror: Mirror;
  private readonly state = { draining: false };
  private readonly sockets = new Set<Socket>();

  constructor(
    readonly rt: Runtime,
    sink: ComparisonSink,
    hooks: RequestHooks,
  ) {
    const config = rt.config;
    this.upgrades = new Upgrades(rt);
    this.mirror = new Mirror(rt, sink);
    const h: RequestHooks = { ...hooks };
    if (config.routes.some((r) => r.mirror) || config.rollout) {
      h.beforeForward = (req, facts, headers) =>
        this.mirror.begin(req, facts, headers) ?? hooks.beforeForward?.(req, facts, headers);
    }
    this.server = createServer(
      {
        maxHeaderSize: config.limits.max_header_size,
        keepAliveTimeout: config.timeouts.idle,
        noDelay: true,
        // Node's 60 s default would cut slow uploads; the per-upstream timeouts guard the rest.
        requestTimeout: 0,
      },
      createHandler(rt, h, this.state),
    );
    this.server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      rt.metrics.openConnections.inc();
      s.once("close", () => {
        this.sockets.delete(s);
        rt.metrics.openConnections.dec();
      });
    });
    this.server.on("upgrade", (req, socket, head) => this.upgrades.handle(req, socket, head));
    // CONNECT asks for a tunnel to anywhere: cutover only reaches its configured upstreams.
    this.server.on("connect", (_req, socket) => rawError(socket, "CUTOVER_ERR_NOT_A_PROXY"));
    this.server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      if (err.code === "HPE_HEADER_OVERFLOW") return rawError(socket, "CUTOVER_ERR_HEADERS_TOO_LARGE");
      if (err.code === "ERR_HTTP_REQUEST_TIMEOUT")
        return writeRawResponse(socket, 408, "Request Timeout", { connection: "close", "content-length": "0" });
      rawError(socket, "CUTOVER_ERR_BAD_REQUEST");
    });
  }

  listen(address: string): Promise<string> {
    return listen(this.server, address);
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
  }

  openUpgrades(): number {
    return this.upgrades.tunnels.size;
  }

  mirrorsPending(): number {
    return this.mirror.inflight + this.mirror.queue.size;
  }

  workers(): WorkerStatus[] {
    return [];
  }

  connections(upstream: UpstreamName): PoolCounts {
    const u = this.rt.allUpstreams().find((x) => x.name === upstream);
    const s = u?.pool.stats;
    return { connected: s?.connected ?? 0, free: s?.free ?? 0, pending: s?.pending ?? 0, running: s?.running ?? 0 };
  }

  setShadow(routes: readonly Route[], on: boolean): void {
    this.mirror.setShadow(routes, on);
  }

  closeCandidate(routeIds: ReadonlySet<number>): void {
    this.upgrades.closeCandidate(routeIds);
  }

  /**
   * drain: no new connections, `Connection: close` on answers in flight, WebSockets closed with
   * 1001, and after `timeouts.shutdown` whatever is left is cut.
   */
  async drain(): Promise<void> {
    this.state.draining = true;
    this.upgrades.goAwayAll();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // Connections become idle as their last answer finishes; close each one as soon as it is.
    this.server.closeIdleConnections();
    const sweep = setInterval(() => this.server.closeIdleConnections(), 25);
    const timer = setTimeout(() => this.server.closeAllConnections(), this.rt.config.timeouts.shutdown);
    await closed;
    clearInterval(sweep);
    clearTimeout(timer);
    for (const s of this.sockets) s.destroy();
  }
}
