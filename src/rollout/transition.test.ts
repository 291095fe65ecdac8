import assert from "node:assert/strict";
import { test } from "node:test";
import type { Verdict } from "./judge.js";
import {
  HISTORY_LIMIT,
  judgeStage,
  planFromConfig,
  startRollout,
  transition,
  type Effect,
  type RolloutPlan,
  type RolloutState,
} from "./transition.js";

const PLAN: RolloutPlan = {
  routes: ["GET /items", "POST /users"],
  stages: ["shadow", 5, 25, 100],
  warmupMs: 30_000,
  onTimeout: "hold",
  promote: "auto",
  webhook: true,
};

const verdict = (state: RolloutState, outcome: Verdict["outcome"], over: Partial<Verdict> = {}): Verdict => ({
  outcome,
  stage: { index: state.stageIndex, value: state.plan.stages[state.stageIndex] ?? 0 },
  at: state.stageStartedAt + 60_000,
  reasons: [`${outcome} because of the numbers`],
  checks: [],
  minRequests: 100,
  candidateRequests: 50,
  elapsedMs: 30_000,
  timedOut: false,
  examples: ["req-1"],
  ...over,
});

const types = (effects: Effect[]): string[] => effects.map((e) => e.type);
const tick = (state: RolloutState, outcome: Verdict["outcome"], over: Partial<Verdict> = {}) => {
  const v = verdict(state, outcome, over);
  return transition(state, { type: "tick", at: v.at, verdict: v });
};

test("start enters the first stage: shadow mirrors at weight 0", () => {
  const { state, effects } = startRollout(PLAN, { id: "r1", at: 1000 });
  assert.equal(state.status, "running");
  assert.equal(state.weight, 0);
  assert.equal(state.mirroring, true);
  assert.equal(state.warmupUntil, 31_000);
  assert.deepEqual(types(effects), ["set_weight", "start_mirror", "reset_window", "audit", "webhook"]);
  assert.deepEqual(effects[2], { type: "reset_window", from: 31_000 });
  assert.deepEqual(judgeStage(state, 5000), {
    index: 0,
    value: "shadow",
    count: 4,
    startedAt: 1000,
    warmupUntil: 31_000,
    pausedMs: 0,
  });
});

test("promote verdicts walk the stages; entering 100% completes", () => {
  let { state } = startRollout(PLAN, { id: "r1", at: 0 });
  let out = tick(state, "promote");
  state = out.state;
  assert.equal(state.stageIndex, 1);
  assert.equal(state.weight, 5);
  assert.deepEqual(types(out.effects), ["stop_mirror", "set_weight", "reset_window", "audit", "webhook"]);
  assert.deepEqual(out.effects[1], { type: "set_weight", routes: PLAN.routes, weight: 5 });
  const audit = out.effects.find((e) => e.type === "audit");
  assert.equal(audit?.type === "audit" && audit.record.action, "promote");
  assert.equal(audit?.type === "audit" && audit.record.numbers.min_requests, 100);
  state = tick(state, "promote").state;
  out = tick(state, "promote");
  assert.equal(out.state.status, "completed");
  assert.equal(out.state.weight, 100);
  assert.deepEqual(
    out.state.history.map((h) => h.action),
    ["start", "promote", "promote", "promote", "complete"],
  );
});

test("hold changes nothing; a stale verdict (for another stage) is ignored", () => {
  const { state } = startRollout(PLAN, { id: "r1", at: 0 });
  const held = tick(state, "hold");
  assert.deepEqual(held.effects, []);
  assert.equal(held.state.lastVerdict?.outcome, "hold");
  const stale = transition(state, {
    type: "tick",
    at: 5,
    verdict: { ...verdict(state, "rollback"), stage: { index: 3, value: 100 } },
  });
  assert.equal(stale.state, state);
  assert.deepEqual(stale.effects, []);
});

test("rollback sets weight 0 first, stops mirroring and ends candidate streams", () => {
  let { state } = startRollout(PLAN, { id: "r1", at: 0 });
  const inShadow = tick(state, "rollback");
  assert.deepEqual(types(inShadow.effects), ["set_weight", "stop_mirror", "end_candidate_streams", "audit", "webhook"]);
  state = tick(state, "promote").state;
  const out = tick(state, "rollback");
  assert.deepEqual(out.effects[0], { type: "set_weight", routes: PLAN.routes, weight: 0 });
  assert.equal(out.state.status, "rolled_back");
  assert.equal(out.state.weight, 0);
  const rec = out.effects.find((e) => e.type === "webhook");
  assert.ok(rec?.type === "webhook" && rec.payload.actor === "judge" && rec.payload.examples[0] === "req-1");
});

test("illegal manual actions return CUTOVER_ERR_ROLLOUT_ILLEGAL_TRANSITION and the same state", () => {
  const { state } = startRollout(PLAN, { id: "r1", at: 0 });
  const m = { at: 1, actor: "alice", reason: "test" };
  const resumed = transition(state, { type: "resume", ...m });
  assert.equal(resumed.error?.code, "CUTOVER_ERR_ROLLOUT_ILLEGAL_TRANSITION");
  assert.equal(resumed.state, state);
  assert.deepEqual(resumed.effects, []);
  const rolled = transition(state, { type: "rollback", ...m }).state;
  for (const type of ["promote", "pause", "rollback"] as const) {
    assert.equal(transition(rolled, { type, ...m }).error?.code, "CUTOVER_ERR_ROLLOUT_ILLEGAL_TRANSITION", type);
  }
  const paused = transition(state, { type: "pause", ...m }).state;
  assert.match(
    transition(paused, { type: "promote", ...m }).error?.message ?? "",
    /cannot promote a rollout that is paused/,
  );
  // Ticks outside `running` are routine: ignored, not errors.
  assert.equal(tick(rolled, "promote").error, undefined);
});

test("resume after a rollback restarts from the first stage", () => {
  let { state } = startRollout(PLAN, { id: "r1", at: 0 });
  state = tick(state, "promote").state;
  state = tick(state, "promote").state;
  state = transition(state, { type: "rollback", at: 500_000, actor: "bob", reason: "5xx spike" }).state;
  const out = transition(state, { type: "resume", at: 600_000, actor: "bob", reason: "fixed" });
  assert.equal(out.state.status, "running");
  assert.equal(out.state.stageIndex, 0);
  assert.equal(out.state.stageStartedAt, 600_000);
  assert.deepEqual(types(out.effects), ["set_weight", "start_mirror", "reset_window", "audit", "webhook"]);
  assert.match(out.state.history.at(-1)?.reason ?? "", /restarting from the first stage/);
});

test("pause stops promotion, not safety; paused time is excluded from the stage clock", () => {
  let { state } = startRollout(PLAN, { id: "r1", at: 0 });
  state = transition(state, { type: "pause", at: 10_000, actor: "alice", reason: "lunch" }).state;
  assert.equal(state.status, "paused");
  assert.deepEqual(tick(state, "promote").effects, []);
  assert.equal(judgeStage(state, 70_000).pausedMs, 60_000);
  state = transition(state, { type: "resume", at: 70_000, actor: "alice", reason: "back" }).state;
  assert.equal(state.pausedMs, 60_000);
  state = transition(state, { type: "pause", at: 80_000, actor: "alice", reason: "again" }).state;
  const out = tick(state, "rollback");
  assert.equal(out.state.status, "rolled_back");
  assert.equal(out.effects[0]?.type, "set_weight");
});

test("manual promote mode waits for the operator; timeouts are audited once or roll back", () => {
  let { state } = startRollout({ ...PLAN, promote: "manual" }, { id: "r1", at: 0 });
  const waiting = tick(state, "promote");
  assert.equal(waiting.state.stageIndex, 0);
  assert.ok(waiting.state.awaitingPromotion);
  assert.deepEqual(types(waiting.effects), ["audit", "webhook"]);
  assert.deepEqual(tick(waiting.state, "promote").effects, [], "audited once");
  state = transition(waiting.state, { type: "promote", at: 90_000, actor: "carol", reason: "looks good" }).state;
  assert.equal(state.stageIndex, 1);
  assert.equal(state.history.at(-1)?.actor, "carol");
  const timedOut = tick(state, "hold", { timedOut: true });
  assert.ok(timedOut.state.timedOut);
  assert.equal(timedOut.state.history.at(-1)?.action, "timeout");
  assert.deepEqual(tick(timedOut.state, "hold", { timedOut: true }).effects, []);
  const hard = startRollout({ ...PLAN, onTimeout: "rollback" }, { id: "r2", at: 0 }).state;
  assert.equal(transition(hard, { type: "timeout", at: 3_600_000 }).state.status, "rolled_back");
});

test("a completed rollout can still be rolled back at once; history is bounded", () => {
  let { state } = startRollout({ ...PLAN, stages: [5, 100] }, { id: "r1", at: 0 });
  state = tick(state, "promote").state;
  assert.equal(state.status, "completed");
  const out = transition(state, { type: "rollback", at: 9e6, actor: "dave", reason: "late bug" });
  assert.equal(out.state.status, "rolled_back");
  assert.deepEqual(out.effects[0], { type: "set_weight", routes: PLAN.routes, weight: 0 });
  state = transition(out.state, { type: "resume", at: 1, actor: "x", reason: "y" }).state;
  for (let i = 0; i < HISTORY_LIMIT; i++) {
    state = transition(state, { type: "pause", at: 2 * i, actor: "x", reason: "y" }).state;
    state = transition(state, { type: "resume", at: 2 * i + 1, actor: "x", reason: "y" }).state;
  }
  assert.equal(state.history.length, HISTORY_LIMIT);
  assert.equal(state.history.at(-1)?.action, "resume");
  assert.equal(JSON.stringify(state), JSON.stringify(JSON.parse(JSON.stringify(state))));
});

test("plans come from the rollout config", () => {
  const plan = planFromConfig(
    {
      stages: ["shadow", 1, 5],
      min_duration: 1,
      max_duration: 2,
      warmup: 30_000,
      interval: 5000,
      margins: { error_rate: 0.5, p95_latency: 20, parity: 0.1 },
      on_timeout: "rollback",
      promote: "manual",
      coverage_min_requests: 20,
    },
    ["a"],
  );
  assert.deepEqual(plan, {
    routes: ["a"],
    stages: ["shadow", 1, 5],
    warmupMs: 30_000,
    onTimeout: "rollback",
    promote: "manual",
    webhook: false,
  });
});
