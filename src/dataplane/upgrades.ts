import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { rawError, upgrade, type Tunnel } from "../proxy/upgrade.js";
import type { OpenStreams } from "../realtime/streams.js";
import type { Runtime } from "../state/runtime.js";
import { userHash, type ServedSink } from "../state/served.js";
import { isRefusal, upstreamPath, type Classifier } from "./classify.js";

/**
 * Upgrades is the upgrade branch of the request path: the same classify step as HTTP (validation,
 * route, override or bucket, rewrite, headers), then a tunnel instead of a streamed answer. It
 * keeps the open tunnels and registers each with its placement in the data plane's OpenStreams,
 * so a weight change closes those of the users it moves and shutdown closes all, and
 * emits one served record per upgrade request (101 and the handshake time when accepted).
 */
export class Upgrades {
  readonly tunnels = new Set<Tunnel>();

  constructor(
    private readonly rt: Runtime,
    private readonly classifier: Classifier,
    private readonly sink: ServedSink,
    private readonly hashUsers: boolean,
    private readonly streams: OpenStreams,
  ) {}

  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const rt = this.rt;
    socket.on("error", () => socket.destroy());
    const facts = this.classifier.classify(req, true);
    if (isRefusal(facts)) return rawError(socket, facts.code);
    const target = facts.decision.target;
    const upstream = rt.upstream(target);
    const route = facts.rm.route;
    let removeStream: (() => void) | undefined;
    upgrade({
      upstream,
      method: facts.method,
      protocol: facts.upgrade ?? "websocket",
      target,
      routeId: route.id,
      path: upstreamPath(facts, target, upstream.basePath),
      headers: facts.headers,
      socket,
      head,
      headersTimeout: rt.config.timeouts.headers,
      requestId: facts.id,
      onTunnel: (t) => {
        this.tunnels.add(t);
        removeStream = this.streams.add(route.id, facts.decision, () => t.goAway());
        rt.metrics.openUpgrades.labels(target).inc();
      },
      onTunnelClosed: (t) => {
        removeStream?.();
        if (!this.tunnels.delete(t)) return;
        rt.metrics.openUpgrades.labels(target).dec();
        rt.metrics.upgradeClosed.labels(route.name, target, String(t.closeCode)).inc();
        rt.metrics.upgradeDuration.labels(route.name, target).observe((performance.now() - t.openedAt) / 1000);
      },
      onDone: (status, code) => {
        if (code) rt.metrics.upstreamErrors.labels(upstream.name, code).inc();
        this.sink.served({
          route: route.id,
          method: facts.method,
          path: facts.path,
          target,
          status,
          metricStatus: status,
          failed: code !== undefined,
          ms: performance.now() - facts.startedAt,
          user: this.hashUsers ? userHash(facts.key, facts.id) : "",
          id: facts.id,
        });
      },
    });
  }

  goAwayAll(): void {
    for (const t of this.tunnels) t.goAway(500);
  }
}
