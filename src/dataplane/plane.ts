import type { Server } from "node:http";
import type { Socket } from "node:net";
import type { UpstreamName } from "../config/schema.js";
import { Mirror, type ComparisonSink } from "../mirror/mirror.js";
import type { RecordingTap } from "../recording/tap.js";
import { listen, serverUrl } from "../net/listen.js";
import { rawError, writeRawResponse } from "../proxy/upgrade.js";
import { OpenStreams } from "../realtime/streams.js";
import type { Route } from "../route/table.js";
import type { Plane, PoolCounts, PoolKind } from "../state/plane.js";
import type { Runtime } from "../state/runtime.js";
import type { ServedSink } from "../state/served.js";
import type { WorkerStatus } from "../state/workers.js";
import type { BreakerView } from "../state/breakers.js";
import { Classifier } from "./classify.js";
import { createHandler } from "./http.js";
import { CertificateReloader, createServer } from "../tls/tls.js";
import { ConnectionLimits } from "./limits.js";
import { Upgrades } from "./upgrades.js";

export type { Plane, PoolCounts } from "../state/plane.js";

/**
 * DataPlane is the client-facing listener and everything on its request path: classify (the same
 * step for HTTP and upgrades), mirror, forward or tunnel. It reads a Runtime and emits exactly two
 * things across its boundary: one served record per request (to a ServedSink) and finished
 * mirrored exchanges (to a ComparisonSink). It runs the same in one process, where the sinks are
 * the recorder and the comparison pipeline, and in each cluster worker, where they are the IPC
 * batches to the primary.
 */
export class DataPlane implements Plane {
  readonly server: Server;
  readonly upgrades: Upgrades;
  readonly mirror: Mirror;
  /** Open SSE responses and WebSocket tunnels with their placement, ended when a weight change moves their users. */
  readonly streams = new OpenStreams();
  private readonly state = { draining: false };
  private readonly sockets = new Set<Socket>();
  /** Reloads the TLS certificate (with `tls:` only). */
  readonly certs: CertificateReloader | undefined;

  constructor(
    readonly rt: Runtime,
    comparisons: ComparisonSink,
    served: ServedSink,
    /** The recording's tap, or in a cluster worker what ships its exchanges to the primary. */
    recording?: Pick<RecordingTap, "probe">,
  ) {
    const config = rt.config;
    // The judge clusters by user only during a rollout; otherwise nobody reads the hash.
    const hashUsers = config.rollout !== undefined;
    const classifier = new Classifier(rt);
    this.upgrades = new Upgrades(rt, classifier, served, hashUsers, this.streams);
    // Lowering a route's weight moves the users above the new line back to legacy: their candidate
    // streams end (SSE cleanly between events, WebSockets with 1001) so clients reconnect to legacy.
    rt.weightListeners.push((route, weight) => this.streams.endMoved(route.id, weight));
    this.mirror = new Mirror(rt, comparisons);
    const mirrors = config.routes.some((r) => r.mirror) || config.rollout !== undefined;
    this.server = createServer(
      {
        maxHeaderSize: config.limits.max_header_size,
        keepAliveTimeout: config.timeouts.idle,
        noDelay: true,
        // Slowloris: the headers must arrive within client_headers (408). A whole-request deadline
        // would cut slow uploads, so the body has an idle timeout instead (client_body, http.ts).
        headersTimeout: config.timeouts.client_headers,
        requestTimeout: 0,
        connectionsCheckingInterval: Math.min(1000, Math.max(100, config.timeouts.client_headers / 4)),
      },
      config.tls,
      createHandler(
        rt,
        classifier,
        mirrors ? this.mirror : undefined,
        served,
        this.state,
        hashUsers,
        this.streams,
        recording?.probe(rt.table.routes),
      ),
    );
    this.certs = config.tls && new CertificateReloader(this.server, config.tls, rt.log);
    // One more than the limit, so a request past it is seen (and refused) instead of truncated.
    this.server.maxHeadersCount = config.limits.max_headers + 1;
    const limits = new ConnectionLimits(config.limits.max_connections, config.limits.max_connections_per_ip);
    this.server.on("connection", (s: Socket) => {
      const refused = limits.admit(s);
      if (refused) {
        rt.metrics.connectionsRefused.labels(refused).inc();
        s.once("finish", () => s.destroy());
        return rawError(s, "CUTOVER_ERR_TOO_MANY_CONNECTIONS");
      }
      this.sockets.add(s);
      rt.metrics.openConnections.inc();
      s.once("close", () => {
        limits.release(s);
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
    return serverUrl(this.server);
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

  mirrorBreakers(): BreakerView[] {
    return this.mirror.breakers.views();
  }

  connections(upstream: UpstreamName, pool: PoolKind = "live"): PoolCounts {
    const u = this.rt.allUpstreams().find((x) => x.name === upstream);
    const s = pool === "live" ? u?.pool.stats : u?.mirrorStats;
    return { connected: s?.connected ?? 0, free: s?.free ?? 0, pending: s?.pending ?? 0, running: s?.running ?? 0 };
  }

  setShadow(routes: readonly Route[], on: boolean): void {
    this.mirror.setShadow(routes, on);
  }

  endCandidateStreams(routeIds: ReadonlySet<number>): void {
    this.streams.endCandidate(routeIds);
  }

  /**
   * drain: no new connections, `Connection: close` on answers in flight, WebSockets closed with
   * 1001, SSE streams ended between events, and after `timeouts.shutdown` whatever is left is cut.
   */
  async drain(): Promise<void> {
    this.state.draining = true;
    this.certs?.close();
    this.upgrades.goAwayAll();
    this.streams.endAll();
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
