import type { Gateway } from "../gateway/gateway.js";
import { requireRollout } from "../rollout/controller.js";
import type { ManualEvent } from "../rollout/transition.js";
import type { RolloutView } from "../rollout/wire.js";
import type { AdminRequest, AdminServer } from "./server.js";

/** The rollout as the CLI and dashboard see it: state, the latest full verdict, recent decisions. */
export function rolloutView(gw: Gateway): RolloutView {
  const c = gw.rollout;
  if (!c) return { configured: false };
  const s = c.state;
  return {
    configured: true,
    id: s.id,
    status: s.status,
    stage: { index: s.stageIndex, value: s.plan.stages[s.stageIndex] ?? null, count: s.plan.stages.length },
    stages: s.plan.stages,
    weight: s.weight,
    mirroring: s.mirroring,
    routes: s.plan.routes,
    started_at: s.startedAt,
    stage_started_at: s.stageStartedAt,
    warmup_until: s.warmupUntil,
    awaiting_promotion: s.awaitingPromotion,
    promote: s.plan.promote,
    verdict: c.lastVerdict,
    coverage: Object.fromEntries(c.window.coverage()),
    history: s.history,
  };
}

const reasonOf = (r: AdminRequest, fallback: string): string => {
  const b = r.body as { reason?: unknown } | undefined;
  return typeof b?.reason === "string" && b.reason.trim() ? b.reason.trim() : fallback;
};

/** Rollout endpoints: view, manual actions, history (the audit log of decisions). */
export function registerRolloutApi(admin: AdminServer, gw: Gateway): void {
  admin.route("GET", "/api/rollout", () => rolloutView(gw));
  for (const action of ["promote", "pause", "resume", "rollback"] as const satisfies readonly ManualEvent["type"][]) {
    admin.route("POST", `/api/rollout/${action}`, (r) => {
      requireRollout(gw.rollout).manual(action, r.actor, reasonOf(r, `manual ${action}`));
      return rolloutView(gw);
    });
  }
  admin.route("GET", "/api/rollout/history", (r) => {
    const c = requireRollout(gw.rollout);
    return gw.runtime.store.auditLog({ limit: Number(r.query.get("limit") ?? 200), subject: c.state.id });
  });
}
