import type { RolloutView } from "../rollout/wire.js";
import type { AdminHost } from "./host.js";

/** The rollout as the CLI and dashboard see it: state, the latest full verdict, recent decisions. */
export function rolloutView(gw: AdminHost): RolloutView {
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
