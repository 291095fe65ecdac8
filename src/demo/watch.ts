import type { Gateway } from "../gateway/gateway.js";
import type { DemoBackend } from "./backends.js";

/** How much of /api/orders the candidate fails in the regression scenario. */
const FAIL_RATE = 0.3;

/**
 * watchRollout prints each rollout decision as it happens and, in the regression scenario, makes
 * the candidate fail 30 % of /api/orders (about 18 % of the rolled-out route, well past the demo's
 * 5pt error margin) once it serves 10 % of users — so the judge's rollback can be watched live.
 * A failure rate near the margin would be a coin toss between rollback and hold, by design.
 */
export function watchRollout(
  gw: Gateway,
  o: { json: boolean; print: (data: unknown, text: string) => void; scenario: string; backend: DemoBackend },
): { stop(): void } {
  let seen = gw.rollout?.state.history.length ?? 0;
  let broke = false;
  const timer = setInterval(() => {
    const c = gw.rollout;
    if (!c) return;
    const s = c.state;
    for (const d of s.history.slice(seen)) {
      const stage = d.to.stage === "shadow" ? "shadow" : `${d.to.stage}%`;
      const by = d.actor === "judge" ? "(judge)" : `(${d.actor})`;
      o.print(
        { event: "rollout", ...d },
        `rollout ${d.action.padEnd(9)} stage ${stage.padEnd(6)} weight ${String(d.to.weight).padStart(3)}%  ${by} ${d.reason}`,
      );
    }
    seen = s.history.length;
    if (o.scenario === "regression" && !broke && s.weight >= 10) {
      broke = true;
      o.backend.failRate = FAIL_RATE;
      o.print(
        { event: "candidate_degraded", fail_rate: FAIL_RATE },
        `!! the candidate starts failing ${FAIL_RATE * 100} % of /api/orders`,
      );
    }
  }, 250);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
