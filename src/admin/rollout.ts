import { intParam } from "./params.js";
import type { AdminHost } from "./host.js";
import { requireRollout } from "../rollout/controller.js";
import type { ManualEvent } from "../rollout/transition.js";
import { rolloutView } from "./rollout-view.js";
import type { AdminRequest, AdminServer } from "./server.js";

const reasonOf = (r: AdminRequest, fallback: string): string => {
  const b = r.body as { reason?: unknown } | undefined;
  return typeof b?.reason === "string" && b.reason.trim() ? b.reason.trim() : fallback;
};

/** Rollout endpoints: view, manual actions, history (the audit log of decisions). */
export function registerRolloutApi(admin: AdminServer, gw: AdminHost): void {
  admin.route("GET", "/api/rollout", () => rolloutView(gw));
  for (const action of ["promote", "pause", "resume", "rollback"] as const satisfies readonly ManualEvent["type"][]) {
    admin.route("POST", `/api/rollout/${action}`, async (r) => {
      await requireRollout(gw.rollout).manual(action, r.actor, reasonOf(r, `manual ${action}`));
      return rolloutView(gw);
    });
  }
  admin.route("GET", "/api/rollout/history", (r) => {
    const c = requireRollout(gw.rollout);
    return gw.runtime.store.auditLog({ limit: intParam(r.query, "limit", 200, 1, 1000), subject: c.state.id });
  });
}
