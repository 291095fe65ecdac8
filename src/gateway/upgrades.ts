import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { requestHeaders } from "../proxy/headers.js";
import { rawError, upgrade, type Tunnel } from "../proxy/upgrade.js";
import { RouteTable } from "../route/table.js";
import { decide } from "../split/decide.js";
import { userKey } from "../split/keys.js";
import { clientIp, nextRequestId } from "./handler.js";
import type { Runtime } from "./runtime.js";

/**
 * Upgrades routes WebSocket upgrade requests like any other request (route, bucket, override)
 * and keeps the open tunnels, so a rollback can close the candidate's and shutdown can close all.
 */
export class Upgrades {
  readonly tunnels = new Set<Tunnel>();

  constructor(private readonly rt: Runtime) {
    // Lowering a route's weight moves users above the new line back to legacy; their open
    // candidate WebSockets are closed with 1001 so clients reconnect and land on legacy.
    rt.weightListeners.push((route, weight, previous) => {
      if (weight >= previous) return;
      for (const t of this.tunnels) if (t.target === "candidate" && t.routeId === route.id) t.goAway();
    });
  }

  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const rt = this.rt;
    const cfg = rt.config;
    socket.on("error", () => socket.destroy());
    const url = req.url ?? "";
    if (url.charCodeAt(0) !== 47) return rawError(socket, "CUTOVER_ERR_NOT_A_PROXY");
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const rm = rt.table.match(req.method ?? "GET", path);
    if (!rm) return rawError(socket, "CUTOVER_ERR_NO_ROUTE");
    const ip = clientIp(req, cfg.trust_proxy);
    const override = cfg.override.enabled ? req.headers[cfg.override.header.toLowerCase()] : undefined;
    const secretOk = cfg.override.secret === undefined || req.headers["x-cutover-secret"] === cfg.override.secret;
    const target =
      (override === "legacy" || override === "candidate") && secretOk
        ? override
        : decide({
            key: userKey(rt.keys, req.headers, cfg.bucketing.fallback === "ip" ? ip : ""),
            salt: cfg.bucketing.salt,
            weight: rt.weight(rm.route),
            candidateHealthy: rt.upstreams.candidate.healthy,
            random: Math.random,
          }).target;
    const upstream = rt.upstream(target);
    const started = performance.now();
    upgrade({
      upstream,
      target,
      routeId: rm.route.id,
      path: upstream.basePath + RouteTable.rewritePath(rm, target, path) + (q === -1 ? "" : url.slice(q)),
      headers: requestHeaders(req.rawHeaders, req.headers, {
        clientIp: ip,
        proto: "http",
        host: req.headers.host,
        trustProxy: cfg.trust_proxy,
      }),
      socket,
      head,
      headersTimeout: cfg.timeouts.headers,
      requestId: nextRequestId(),
      onTunnel: (t) => {
        this.tunnels.add(t);
        rt.metrics.openUpgrades.labels(target).inc();
      },
      onTunnelClosed: (t) => {
        if (this.tunnels.delete(t)) rt.metrics.openUpgrades.labels(target).dec();
      },
      onDone: (status, code) => {
        if (code) rt.metrics.upstreamErrors.labels(upstream.name, code).inc();
        rt.metrics.record(rm.route.id, target, status, (performance.now() - started) / 1000);
      },
    });
  }

  /** closeCandidate sends 1001 to every candidate WebSocket on these routes. */
  closeCandidate(routeIds: ReadonlySet<number>): void {
    for (const t of this.tunnels) if (t.target === "candidate" && routeIds.has(t.routeId)) t.goAway();
  }

  goAwayAll(): void {
    for (const t of this.tunnels) t.goAway(500);
  }
}
