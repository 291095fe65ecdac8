import type { AdminHost } from "./host.js";
import { rolloutView } from "./rollout-view.js";
import type { RolloutView } from "../rollout/wire.js";
import type { Status } from "./wire.js";

export type { RouteStatus, Status, UpstreamStatus } from "./wire.js";

export const VERSION = "0.1.0";

/** buildStatus is what `cutover status` and GET /api/status show. */
export function buildStatus(gw: AdminHost): Status<RolloutView> {
  const rt = gw.runtime;
  return {
    version: VERSION,
    uptime_s: Math.round((Date.now() - rt.startedAt) / 1000),
    listen: gw.url,
    routes: rt.table.routes.map((r) => ({
      name: r.name,
      path: r.config.match.path,
      methods: r.config.match.methods ?? null,
      weight: rt.weight(r),
      rewrite: r.config.rewrite ?? null,
      mirror: r.config.mirror !== undefined,
      requests: rt.metrics.counts(r.id),
    })),
    upstreams: rt.allUpstreams().map((u) => {
      return {
        name: u.name,
        url: u.url.href,
        state: u.state,
        consecutive_failures: u.consecutiveFailures,
        last_error: u.lastError ? { at: new Date(u.lastError.at).toISOString(), code: u.lastError.code } : null,
        connections: gw.plane.connections(u.name),
        mirror_connections: gw.plane.connections(u.name, "mirror"),
      };
    }),
    open_upgrades: gw.plane.openUpgrades(),
    workers: gw.plane.workers(),
    state: [...gw.parity.stateView(), ...(gw.coverage?.stateView() ?? [])],
    mirror_breakers: gw.plane.mirrorBreakers(),
    rollout: rolloutView(gw),
    store: rt.store.info(),
    replicas: gw.replicas?.status() ?? null,
  };
}
