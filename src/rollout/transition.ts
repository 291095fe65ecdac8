import type { RolloutConfig } from "../config/schema.js";
import { CutoverError } from "../errors/index.js";
import type { JudgeStage, Verdict } from "./judge.js";
import type { Action, DecisionRecord, RolloutStatus, Stage, StageRef } from "./wire.js";

/**
 * The rollout state machine: `transition(state, event) → { state, effects }`, pure and
 * table-driven (TABLE below). The caller applies the effects (weights, mirroring, window reset,
 * audit log, webhook, WebSocket closes) and persists the state; nothing here reads a clock.
 *
 * Semantics (after Flagger's phases and Argo's Successful/Inconclusive/Failed, research §8):
 * - `tick` carries the judge's verdict for the current stage. rollback → weight 0 at once;
 *   promote → next stage (promote: auto) or "awaiting promotion" (promote: manual); hold →
 *   nothing, except a one-time audit when the stage times out. Verdicts for another stage
 *   (computed before a promotion landed) are ignored.
 * - Entering the last stage at 100% completes the rollout: with no legacy traffic left there
 *   is nothing to compare. A last stage below 100% is judged; its promote completes.
 * - `pause` stops promotion, not safety: a rollback verdict while paused still rolls back.
 *   Time spent paused does not count towards the stage's durations.
 * - `resume` after a rollback restarts from the first stage (fresh window, fresh warm-up):
 *   evidence gathered before the rollback described a candidate that was then rolled back,
 *   so none of it is reused. Coverage tallies live in the window and survive.
 * - `rollback` is also allowed after completion: legacy is still there, so it is instant.
 * - Illegal manual actions return `error` (CUTOVER_ERR_ROLLOUT_ILLEGAL_TRANSITION) and the
 *   unchanged state; ticks and timeouts outside `running` are ignored, not errors.
 */

export type { Action, DecisionRecord, RolloutStatus, Stage, StageRef } from "./wire.js";

export interface RolloutPlan {
  routes: string[];
  stages: Stage[];
  warmupMs: number;
  onTimeout: "hold" | "rollback";
  promote: "auto" | "manual";
  /** Emit `webhook` effects (a webhook URL is configured). */
  webhook: boolean;
}

export function planFromConfig(cfg: RolloutConfig, routes: readonly string[]): RolloutPlan {
  return {
    routes: [...routes],
    stages: [...cfg.stages],
    warmupMs: cfg.warmup,
    onTimeout: cfg.on_timeout,
    promote: cfg.promote,
    webhook: cfg.webhook !== undefined,
  };
}

export interface VerdictSummary {
  outcome: Verdict["outcome"];
  at: number;
  reasons: string[];
  minRequests: number;
  candidateRequests: number;
  etaMs?: number;
}

export interface RolloutState {
  version: 1;
  id: string;
  plan: RolloutPlan;
  stageIndex: number;
  status: RolloutStatus;
  /** Candidate weight (percent) implied by the stage and status. */
  weight: number;
  mirroring: boolean;
  startedAt: number;
  stageStartedAt: number;
  warmupUntil: number;
  pausedAt: number | null;
  /** Paused time accumulated in the current stage. */
  pausedMs: number;
  awaitingPromotion: boolean;
  timedOut: boolean;
  lastVerdict: VerdictSummary | null;
  /** The latest HISTORY_LIMIT decisions (the audit log keeps all of them). */
  history: DecisionRecord[];
  updatedAt: number;
}

export const HISTORY_LIMIT = 50;

export type ManualEvent = {
  type: "promote" | "pause" | "resume" | "rollback";
  at: number;
  actor: string;
  reason: string;
};
export type RolloutEvent =
  { type: "tick"; at: number; verdict: Verdict } | ManualEvent | { type: "timeout"; at: number };

export type Effect =
  | { type: "set_weight"; routes: string[]; weight: number }
  | { type: "start_mirror"; routes: string[] }
  | { type: "stop_mirror"; routes: string[] }
  /** Start a new window; samples before `from` (the warm-up's end) do not count: Window.reset({ from }). */
  | { type: "reset_window"; from: number }
  | { type: "end_candidate_streams"; routes: string[] }
  | { type: "audit"; record: DecisionRecord }
  | { type: "webhook"; payload: DecisionRecord };

export interface TransitionResult {
  state: RolloutState;
  effects: Effect[];
  error?: CutoverError;
}

const weightOf = (s: Stage | undefined): number => (s === undefined || s === "shadow" ? 0 : s);
const ref = (st: RolloutState): StageRef => {
  const stage = st.plan.stages[st.stageIndex] ?? 0;
  return { index: st.stageIndex, stage, weight: st.weight };
};

/** Starts a rollout at its first stage. */
export function startRollout(
  plan: RolloutPlan,
  opts: { id: string; at: number; actor?: string; reason?: string },
): TransitionResult {
  if (plan.stages.length === 0) {
    throw new CutoverError("CUTOVER_ERR_ROLLOUT_ILLEGAL_TRANSITION", "a rollout needs at least one stage");
  }
  const state: RolloutState = {
    version: 1,
    id: opts.id,
    plan,
    stageIndex: 0,
    status: "running",
    weight: 0,
    mirroring: false,
    startedAt: opts.at,
    stageStartedAt: opts.at,
    warmupUntil: opts.at,
    pausedAt: null,
    pausedMs: 0,
    awaitingPromotion: false,
    timedOut: false,
    lastVerdict: null,
    history: [],
    updatedAt: opts.at,
  };
  const reason = opts.reason ?? "rollout started";
  return enterStage(state, 0, { at: opts.at, actor: opts.actor ?? "operator", reason, action: "start" });
}

/** The stage description the judge needs, from the state. */
export function judgeStage(state: RolloutState, now: number): JudgeStage {
  return {
    index: state.stageIndex,
    value: state.plan.stages[state.stageIndex] ?? 0,
    count: state.plan.stages.length,
    startedAt: state.stageStartedAt,
    warmupUntil: state.warmupUntil,
    pausedMs: state.pausedMs + (state.pausedAt !== null ? Math.max(0, now - state.pausedAt) : 0),
  };
}

type Handler = (st: RolloutState, ev: RolloutEvent) => TransitionResult;
const ignore: Handler = (st) => ({ state: st, effects: [] });

const TABLE: Record<RolloutStatus, Partial<Record<RolloutEvent["type"], Handler>>> = {
  running: { tick: onTick, promote: manualPromote, pause, rollback: manualRollback, timeout: onTimeout },
  paused: { tick: onPausedTick, resume, rollback: manualRollback, timeout: ignore },
  rolled_back: { tick: ignore, resume: restart, timeout: ignore },
  completed: { tick: ignore, rollback: manualRollback, timeout: ignore },
};

export function transition(state: RolloutState, event: RolloutEvent): TransitionResult {
  const handler = TABLE[state.status][event.type];
  if (!handler) {
    return {
      state,
      effects: [],
      error: new CutoverError(
        "CUTOVER_ERR_ROLLOUT_ILLEGAL_TRANSITION",
        `cannot ${event.type} a rollout that is ${state.status.replace("_", " ")}`,
      ),
    };
  }
  return handler(state, event);
}

// --- handlers -------------------------------------------------------------------------------------

function onTick(st: RolloutState, ev: RolloutEvent): TransitionResult {
  if (ev.type !== "tick" || stale(st, ev.verdict)) return ignore(st, ev);
  const v = ev.verdict;
  const next: RolloutState = { ...st, lastVerdict: summarize(v), updatedAt: ev.at };
  const at = ev.at;
  const evidence = { reasons: v.reasons, numbers: verdictNumbers(v), examples: v.examples };
  const why = v.reasons[0] ?? v.outcome;
  if (v.outcome === "rollback") return rollbackTo(next, { at, actor: "judge", reason: why, evidence });
  if (v.outcome === "promote") {
    if (st.plan.promote === "auto") return advance(next, { at, actor: "judge", reason: why, evidence });
    if (st.awaitingPromotion) return { state: next, effects: [] };
    const reason = "the judge would promote; waiting for a manual promote";
    return decide(
      { ...next, awaitingPromotion: true },
      { at, action: "awaiting_promotion", actor: "judge", reason, evidence },
    );
  }
  const held = { ...next, awaitingPromotion: false };
  if (!v.timedOut || st.timedOut) return { state: held, effects: [] };
  return decide({ ...held, timedOut: true }, { at, action: "timeout", actor: "judge", reason: why, evidence });
}

function onPausedTick(st: RolloutState, ev: RolloutEvent): TransitionResult {
  if (ev.type !== "tick" || stale(st, ev.verdict)) return ignore(st, ev);
  const v = ev.verdict;
  const next = { ...st, lastVerdict: summarize(v), updatedAt: ev.at };
  if (v.outcome !== "rollback") return { state: next, effects: [] };
  const evidence = { reasons: v.reasons, numbers: verdictNumbers(v), examples: v.examples };
  return rollbackTo(next, { at: ev.at, actor: "judge", reason: v.reasons[0] ?? "guardrail tripped", evidence });
}

function manualPromote(st: RolloutState, ev: RolloutEvent): TransitionResult {
  return advance(st, ev as ManualEvent);
}

function manualRollback(st: RolloutState, ev: RolloutEvent): TransitionResult {
  return rollbackTo(st, ev as ManualEvent);
}

function pause(st: RolloutState, ev: RolloutEvent): TransitionResult {
  const m = ev as ManualEvent;
  return decide({ ...st, status: "paused", pausedAt: m.at, updatedAt: m.at }, { ...m, action: "pause", from: ref(st) });
}

function resume(st: RolloutState, ev: RolloutEvent): TransitionResult {
  const m = ev as ManualEvent;
  const pausedMs = st.pausedMs + (st.pausedAt !== null ? Math.max(0, m.at - st.pausedAt) : 0);
  const next: RolloutState = { ...st, status: "running", pausedAt: null, pausedMs, updatedAt: m.at };
  return decide(next, { ...m, action: "resume", from: ref(st) });
}

function restart(st: RolloutState, ev: RolloutEvent): TransitionResult {
  const m = ev as ManualEvent;
  const reason = `${m.reason} (restarting from the first stage)`;
  return enterStage({ ...st, status: "running" }, 0, { ...m, action: "restart", reason });
}

function onTimeout(st: RolloutState, ev: RolloutEvent): TransitionResult {
  const at = ev.at;
  if (st.plan.onTimeout === "rollback") {
    return rollbackTo(st, { at, actor: "timeout", reason: "the stage reached max_duration (on_timeout: rollback)" });
  }
  if (st.timedOut) return ignore(st, ev);
  const reason = "the stage reached max_duration; holding (on_timeout: hold)";
  return decide({ ...st, timedOut: true, updatedAt: at }, { at, action: "timeout", actor: "timeout", reason });
}

// --- building blocks ------------------------------------------------------------------------------

interface Decision {
  at: number;
  actor: string;
  reason: string;
  action?: Action;
  /** The stage the decision was taken in (default: the new state's). */
  from?: StageRef;
  evidence?: { reasons?: string[]; numbers?: Record<string, number>; examples?: string[] };
  /** Operational effects, applied before the audit record and webhook. */
  effects?: Effect[];
}

function advance(st: RolloutState, d: Decision): TransitionResult {
  const nextIndex = st.stageIndex + 1;
  if (nextIndex < st.plan.stages.length) return enterStage(st, nextIndex, { ...d, action: "promote" });
  const done: RolloutState = { ...st, status: "completed", awaitingPromotion: false, updatedAt: d.at };
  return decide(done, { ...d, action: "complete", from: ref(st) });
}

function enterStage(st: RolloutState, index: number, d: Decision): TransitionResult {
  const stage = st.plan.stages[index];
  const weight = weightOf(stage);
  const routes = st.plan.routes;
  const mirroring = stage === "shadow";
  const effects: Effect[] = [];
  if (st.mirroring && !mirroring) effects.push({ type: "stop_mirror", routes });
  effects.push({ type: "set_weight", routes, weight });
  if (mirroring && !st.mirroring) effects.push({ type: "start_mirror", routes });
  effects.push({ type: "reset_window", from: d.at + st.plan.warmupMs });
  const next: RolloutState = {
    ...st,
    stageIndex: index,
    weight,
    mirroring,
    stageStartedAt: d.at,
    warmupUntil: d.at + st.plan.warmupMs,
    pausedAt: null,
    pausedMs: 0,
    awaitingPromotion: false,
    timedOut: false,
    lastVerdict: null,
    updatedAt: d.at,
  };
  const out = decide(next, { ...d, from: ref(st), effects });
  // The last stage at 100% has no baseline left to judge against: the rollout is complete.
  if (index < st.plan.stages.length - 1 || weight < 100) return out;
  const reason = "the last stage serves every user from the candidate";
  const done = decide({ ...out.state, status: "completed" }, { at: d.at, actor: d.actor, reason, action: "complete" });
  return { state: done.state, effects: [...out.effects, ...done.effects] };
}

function rollbackTo(st: RolloutState, d: Decision): TransitionResult {
  const routes = st.plan.routes;
  // Weight 0 first: it is the effect that protects users; the rest is bookkeeping.
  const effects: Effect[] = [{ type: "set_weight", routes, weight: 0 }];
  if (st.mirroring) effects.push({ type: "stop_mirror", routes });
  effects.push({ type: "end_candidate_streams", routes });
  const next: RolloutState = {
    ...st,
    status: "rolled_back",
    weight: 0,
    mirroring: false,
    pausedAt: null,
    awaitingPromotion: false,
    updatedAt: d.at,
  };
  return decide(next, { ...d, action: "rollback", from: ref(st), effects });
}

/** Appends the decision to history and emits audit (+ webhook) after the operational effects. */
function decide(st: RolloutState, d: Decision): TransitionResult {
  const rec: DecisionRecord = {
    rollout: st.id,
    at: d.at,
    action: d.action ?? "start",
    actor: d.actor,
    from: d.from ?? ref(st),
    to: ref(st),
    status: st.status,
    reason: d.reason,
    reasons: d.evidence?.reasons ?? [d.reason],
    numbers: d.evidence?.numbers ?? {},
    examples: d.evidence?.examples ?? [],
  };
  const state = { ...st, history: [...st.history, rec].slice(-HISTORY_LIMIT) };
  const effects: Effect[] = [...(d.effects ?? []), { type: "audit", record: rec }];
  if (st.plan.webhook) effects.push({ type: "webhook", payload: rec });
  return { state, effects };
}

function stale(st: RolloutState, v: Verdict): boolean {
  return v.stage.index !== st.stageIndex || v.at < st.stageStartedAt;
}

function summarize(v: Verdict): VerdictSummary {
  const s: VerdictSummary = {
    outcome: v.outcome,
    at: v.at,
    reasons: v.reasons.slice(0, 3),
    minRequests: v.minRequests,
    candidateRequests: v.candidateRequests,
  };
  if (v.eta) s.etaMs = v.eta.ms;
  return s;
}

/** The numbers of the checks that decided: tripped guardrails for a rollback, gates otherwise. */
function verdictNumbers(v: Verdict): Record<string, number> {
  const out: Record<string, number> = {
    min_requests: v.minRequests,
    candidate_requests: v.candidateRequests,
    elapsed_ms: v.elapsedMs,
  };
  for (const c of v.checks) {
    const decisive = v.outcome === "rollback" ? c.kind === "guardrail" && c.status === "fail" : c.gating;
    if (!decisive) continue;
    for (const [k, n] of Object.entries(c.numbers)) out[`${c.name}${c.route ? `[${c.route}]` : ""}.${k}`] = n;
  }
  return out;
}
