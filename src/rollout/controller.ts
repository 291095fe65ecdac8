import { request } from "undici";
import type { RolloutConfig } from "../config/schema.js";
import type { CapturedResponse } from "../diff/types.js";
import { CutoverError } from "../errors/index.js";
import type { Runtime } from "../state/runtime.js";
import { userHash, type Served } from "../state/served.js";
import type { ParityOutcome } from "../compare/parity.js";
import type { MirroredRequest } from "../mirror/mirror.js";
import type { Route } from "../route/table.js";
import { judge, type Verdict } from "./judge.js";
import {
  judgeStage,
  planFromConfig,
  startRollout,
  transition,
  type Effect,
  type ManualEvent,
  type RolloutState,
  type TransitionResult,
} from "./transition.js";
import { Window, type WindowSnapshot } from "./window.js";

const STATE_DOC = "rollout";
const WINDOW_DOC = "rollout_window";

/** Hooks the controller needs from the gateway, so it stays testable and free of listener code. */
export interface RolloutHost {
  /** Turn mirroring of these routes on (shadow stage) or off. */
  setShadow(routes: readonly Route[], on: boolean): void;
  /** End candidate streams on these routes: WebSockets with 1001, SSE responses cleanly between events. */
  endCandidateStreams(routes: readonly Route[]): void;
  /** Several replicas on one database: who judges, and the other replicas' evidence. Unset: this process alone. */
  judgeship?: Judgeship;
  /** Mirrored requests to the candidate each route's mirror breaker skipped since start (the data plane counts). */
  mirrorSkips?(): ReadonlyMap<string, number>;
}

/**
 * Judgeship is what the controller needs from leader election: only the leader judges and
 * applies effects, every write of a decision is fenced by its epoch, and it judges the evidence
 * of every replica merged.
 */
export interface Judgeship {
  /** Whether this replica may judge now. */
  leading(): boolean;
  /** Runs `fn` with every store write in it fenced by the leader's epoch. */
  fenced(fn: () => void): void;
  /** The window snapshots other replicas published for a stage (see stageKey). */
  evidence(stage: string): WindowSnapshot[];
  /** Who decided, for the audit detail of decisions. */
  decider(): { replica: string; epoch: number };
  /** Asks the leader to apply a manual action (this replica does not judge); resolves once it did. */
  forward(action: { type: ManualEvent["type"]; actor: string; reason: string }): Promise<void>;
}

/** The key of one stage window, the same on every replica: rollout, stage, when the stage began. */
export function stageKey(s: RolloutState): string {
  return `${s.id}/${s.stageIndex}/${s.stageStartedAt}`;
}

/**
 * RolloutController is the I/O around the pure rollout core: it records every request of the
 * rollout's routes into the judge's window, evaluates on an interval, feeds the verdict to
 * `transition`, persists the new state and window first, then applies the effects (weights,
 * mirroring, audit, webhook). After `kill -9` it resumes the same stage with the same buckets.
 */
export class RolloutController {
  state: RolloutState;
  window: Window;
  lastVerdict: Verdict | null = null;
  /** Inventory endpoints of the rollout's routes (the coverage gate names those never exercised). */
  inventory: (() => readonly string[]) | undefined;
  readonly routes: Route[];
  private readonly names: Set<string>;
  private readonly ids: Set<number>;
  private timer: NodeJS.Timeout | undefined;
  private pendingStart: ReturnType<typeof startRollout> | undefined;
  private started = false;
  /** The breaker skip counts when the current stage was first seen: the stage's skips are counted from them. */
  private skipBase: { stage: string; counts: ReadonlyMap<string, number> } | undefined;

  constructor(
    private readonly rt: Runtime,
    private readonly cfg: RolloutConfig,
    private readonly host: RolloutHost,
  ) {
    this.routes = cfg.routes ? cfg.routes.map((r) => rt.route(r)) : [...rt.table.routes];
    this.names = new Set(this.routes.map((r) => r.name));
    this.ids = new Set(this.routes.map((r) => r.id));
    const saved = rt.store.getDoc(STATE_DOC) as RolloutState | undefined;
    // Several replicas: the stored window is the evidence rows every replica publishes (merged when judging).
    const savedWindow = host.judgeship ? undefined : (rt.store.getDoc(WINDOW_DOC) as WindowSnapshot | undefined);
    this.window = savedWindow ? Window.fromSnapshot(savedWindow) : new Window();
    if (saved?.version === 1 && sameRoutes(saved.plan.routes, this.routes)) {
      // Resume: the stage, timers and weights are the stored ones; the salt is the config's.
      this.state = { ...saved, plan: planFromConfig(cfg, [...this.names]) };
      this.host.setShadow(this.routes, this.state.mirroring);
      rt.log.info({ stage: this.state.stageIndex, status: this.state.status }, "rollout resumed");
    } else {
      const res = startRollout(planFromConfig(cfg, [...this.names]), {
        id: `rollout-${Date.now().toString(36)}`,
        at: Date.now(),
        actor: "config",
      });
      this.state = res.state;
      // Applied (stored, weights set, audited) by start(), once the gateway's listeners are bound:
      // a start that fails must leave the store as it was.
      this.pendingStart = res;
    }
  }

  /** start applies a new rollout's first stage, then evaluates every `interval`. */
  start(): void {
    const j = this.host.judgeship;
    // A follower leaves starting the rollout to the leader (see leadership()).
    if (this.pendingStart && (!j || j.leading())) this.decide(this.pendingStart);
    if (!j || j.leading()) this.pendingStart = undefined;
    this.started = true;
    this.timer = setInterval(() => this.tick(), this.cfg.interval).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.started && (!this.host.judgeship || this.host.judgeship.leading())) this.decide(undefined);
  }

  /**
   * follow adopts the rollout state the leader stored (this replica follows): the stage, mirroring
   * and, when the stage changed, a fresh window from the same warm-up end as the leader's.
   */
  follow(): void {
    const saved = this.rt.store.getDoc(STATE_DOC) as RolloutState | undefined;
    if (saved?.version !== 1 || !sameRoutes(saved.plan.routes, this.routes)) return;
    const prev = this.state;
    this.state = { ...saved, plan: planFromConfig(this.cfg, [...this.names]) };
    this.pendingStart = undefined;
    if (stageKey(prev) !== stageKey(this.state)) this.window.reset({ from: this.state.warmupUntil });
    if (prev.mirroring !== this.state.mirroring) this.host.setShadow(this.routes, this.state.mirroring);
  }

  /** leadership: this replica became the judge (resume the stored stage, or start) or stopped being it. */
  leadership(leading: boolean): void {
    if (!leading) return;
    this.follow();
    // Not started yet: start() applies it once the listeners are bound.
    if (!this.started) return;
    if (this.pendingStart) this.decide(this.pendingStart);
    this.pendingStart = undefined;
    this.rt.log.info({ rollout: this.state.id, stage: this.state.stageIndex }, "rollout judged here from this stage");
  }

  /** What this replica publishes for the leader: its window and served counts for the current stage. */
  evidence(): { stage: string; snapshot: WindowSnapshot; served: Record<string, number> } {
    const served: Record<string, number> = {};
    for (const ch of ["legacy", "candidate", "legacy:mirror", "candidate:mirror"] as const)
      served[ch] = this.window.total(ch);
    this.noteMirrorSkips();
    return { stage: stageKey(this.state), snapshot: this.window.snapshot(), served };
  }

  /** Copies the stage's mirror-breaker skips into the window (judged as the mirror_breaker gate). */
  private noteMirrorSkips(): void {
    const now = this.host.mirrorSkips?.();
    if (!now) return;
    const stage = stageKey(this.state);
    if (this.skipBase?.stage !== stage) this.skipBase = { stage, counts: new Map(now) };
    const base = this.skipBase.counts;
    for (const r of this.names) this.window.setMirrorSkips(r, (now.get(r) ?? 0) - (base.get(r) ?? 0));
  }

  covers(route: Route): boolean {
    return this.names.has(route.name);
  }

  /** tick evaluates the window and moves the rollout when the verdict says so. */
  tick(now = Date.now()): Verdict | null {
    const j = this.host.judgeship;
    if (j && !j.leading()) return null;
    this.noteMirrorSkips();
    const others = j?.evidence(stageKey(this.state)) ?? [];
    const verdict = judge({
      window: others.length ? Window.fromSnapshots([this.window.snapshot(), ...others]) : this.window,
      stage: judgeStage(this.state, now),
      now,
      config: this.cfg,
      routes: [...this.names],
      ...(this.inventory ? { inventory: this.inventory() } : {}),
    });
    this.lastVerdict = verdict;
    this.decide(transition(this.state, { type: "tick", at: now, verdict }));
    return verdict;
  }

  /**
   * manual applies an operator's promote / pause / resume / rollback, or rejects with a coded error.
   * Several replicas: a replica that does not judge has the leader apply it (and then shows the
   * state the leader stored).
   */
  async manual(type: ManualEvent["type"], actor: string, reason: string): Promise<RolloutState> {
    const j = this.host.judgeship;
    if (j && !j.leading()) {
      await j.forward({ type, actor, reason });
      return this.state;
    }
    return this.applyManual(type, actor, reason);
  }

  /** applyManual is manual on the replica that judges (or the only one): applied now, or a coded error thrown. */
  applyManual(type: ManualEvent["type"], actor: string, reason: string): RolloutState {
    const j = this.host.judgeship;
    if (j && !j.leading())
      throw new CutoverError("CUTOVER_ERR_NOT_LEADER", `this replica stopped judging the rollout before ${type}`);
    const res = transition(this.state, { type, at: Date.now(), actor, reason });
    if (res.error) throw res.error;
    this.decide(res);
    return this.state;
  }

  /** Whether the route with this id is part of the rollout (its requests feed the window). */
  coversId(routeId: number): boolean {
    return this.ids.has(routeId);
  }

  /** Records one served request (after the response completed), with its endpoint ("METHOD /template"). */
  recordServed(s: Served, endpoint?: string): void {
    const route = this.rt.table.routes[s.route];
    if (!route || !this.ids.has(route.id)) return;
    this.window.record({
      route: route.name,
      target: s.target,
      user: s.user,
      status: s.status,
      latencyMs: s.ms,
      error: s.status >= 500 || s.failed,
      mirrored: false,
      at: Date.now(),
      id: s.id,
      ...(endpoint !== undefined ? { endpoint } : {}),
    });
  }

  /** Records one mirrored comparison: the candidate's mirrored answer and, once decided, whether it matched. */
  recordMirrored(req: MirroredRequest, outcome: ParityOutcome, candidate: CapturedResponse, endpoint?: string): void {
    if (!this.names.has(req.route.name)) return;
    const at = Date.now();
    this.window.record({
      route: req.route.name,
      target: "candidate",
      user: userHash(req.key, req.id),
      status: candidate.error ? 502 : candidate.status,
      latencyMs: Number.isFinite(candidate.timing.totalMs) ? candidate.timing.totalMs : 0,
      error: candidate.error !== undefined || candidate.status >= 500,
      mirrored: true,
      ...(candidate.error !== undefined ? { unanswered: true } : {}),
      at,
      id: req.id,
      ...(endpoint !== undefined ? { endpoint } : {}),
    });
    if (outcome === "undecided") return;
    this.window.recordParity({
      route: req.route.name,
      mismatch: outcome === "differs",
      at,
      id: req.id,
      ...(endpoint !== undefined ? { endpoint } : {}),
    });
  }

  /** decide applies a transition (or only persists, when undefined): fenced by the epoch when several replicas run. */
  private decide(res: TransitionResult | undefined): void {
    if (res?.error) throw res.error;
    const j = this.host.judgeship;
    const run = (): void => {
      if (res) this.state = res.state;
      this.persist();
      for (const e of res?.effects ?? []) this.effect(e);
    };
    if (j) j.fenced(run);
    else run();
  }

  private effect(e: Effect): void {
    const rt = this.rt;
    const routes = (names: readonly string[]): Route[] => names.map((n) => rt.route(n));
    switch (e.type) {
      case "set_weight":
        rt.setWeights(new Map(routes(e.routes).map((r) => [r, e.weight])), {
          actor: "rollout",
          action: "set_weight",
          reason: `rollout ${this.state.id} stage ${this.state.stageIndex} (${this.state.status})`,
        });
        break;
      case "start_mirror":
        this.host.setShadow(routes(e.routes), true);
        break;
      case "stop_mirror":
        this.host.setShadow(routes(e.routes), false);
        break;
      case "reset_window":
        // Samples before the warm-up ends never count, even ones in flight across the change.
        this.window.reset({ from: e.from });
        break;
      case "end_candidate_streams":
        this.host.endCandidateStreams(routes(e.routes));
        break;
      case "audit":
        rt.store.audit({
          at: e.record.at,
          actor: e.record.actor,
          action: e.record.action,
          subject: e.record.rollout,
          reason: e.record.reason,
          detail: this.host.judgeship ? { ...e.record, decided_by: this.host.judgeship.decider() } : e.record,
        });
        rt.log.info({ action: e.record.action, reason: e.record.reason, to: e.record.to }, "rollout decision");
        break;
      case "webhook":
        void this.webhook(e.payload);
        break;
    }
  }

  private async webhook(payload: unknown): Promise<void> {
    if (!this.cfg.webhook) return;
    try {
      const res = await request(this.cfg.webhook, {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "cutover" },
        body: JSON.stringify(payload),
        headersTimeout: 5000,
        bodyTimeout: 5000,
      });
      await res.body.dump();
      if (res.statusCode >= 300) this.rt.log.warn({ status: res.statusCode }, "rollout webhook refused the event");
    } catch (err) {
      this.rt.log.warn({ err: (err as Error).message }, "rollout webhook failed");
    }
  }

  private persist(): void {
    this.rt.store.putDoc(STATE_DOC, this.state);
    if (!this.host.judgeship) this.rt.store.putDoc(WINDOW_DOC, this.window.snapshot());
  }
}

function sameRoutes(saved: readonly string[], routes: readonly Route[]): boolean {
  return saved.length === routes.length && routes.every((r) => saved.includes(r.name));
}

export function requireRollout(c: RolloutController | undefined): RolloutController {
  if (!c) throw new CutoverError("CUTOVER_ERR_ROLLOUT_NOT_CONFIGURED", "add a rollout: section to the config");
  return c;
}
