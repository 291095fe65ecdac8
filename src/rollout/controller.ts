import { request } from "undici";
import type { RolloutConfig } from "../config/schema.js";
import type { CapturedResponse } from "../diff/types.js";
import { CutoverError } from "../errors/index.js";
import type { Runtime } from "../state/runtime.js";
import { userHash, type Served } from "../state/served.js";
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

  constructor(
    private readonly rt: Runtime,
    private readonly cfg: RolloutConfig,
    private readonly host: RolloutHost,
  ) {
    this.routes = cfg.routes ? cfg.routes.map((r) => rt.route(r)) : [...rt.table.routes];
    this.names = new Set(this.routes.map((r) => r.name));
    this.ids = new Set(this.routes.map((r) => r.id));
    const saved = rt.store.getDoc(STATE_DOC) as RolloutState | undefined;
    const savedWindow = rt.store.getDoc(WINDOW_DOC) as WindowSnapshot | undefined;
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
    if (this.pendingStart) this.apply(this.pendingStart);
    this.pendingStart = undefined;
    this.started = true;
    this.timer = setInterval(() => this.tick(), this.cfg.interval).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    if (this.started) this.persist();
  }

  covers(route: Route): boolean {
    return this.names.has(route.name);
  }

  /** tick evaluates the window and moves the rollout when the verdict says so. */
  tick(now = Date.now()): Verdict {
    const verdict = judge({
      window: this.window,
      stage: judgeStage(this.state, now),
      now,
      config: this.cfg,
      routes: [...this.names],
      ...(this.inventory ? { inventory: this.inventory() } : {}),
    });
    this.lastVerdict = verdict;
    this.apply(transition(this.state, { type: "tick", at: now, verdict }));
    return verdict;
  }

  /** manual applies an operator's promote / pause / resume / rollback, or throws a coded error. */
  manual(type: ManualEvent["type"], actor: string, reason: string): RolloutState {
    const res = transition(this.state, { type, at: Date.now(), actor, reason });
    if (res.error) throw res.error;
    this.apply(res);
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

  /** Records one mirrored comparison: the candidate's mirrored answer and whether it matched. */
  recordMirrored(req: MirroredRequest, mismatch: boolean, candidate: CapturedResponse, endpoint?: string): void {
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
      at,
      id: req.id,
      ...(endpoint !== undefined ? { endpoint } : {}),
    });
    this.window.recordParity({
      route: req.route.name,
      mismatch,
      at,
      id: req.id,
      ...(endpoint !== undefined ? { endpoint } : {}),
    });
  }

  private apply(res: TransitionResult): void {
    if (res.error) throw res.error;
    this.state = res.state;
    this.persist();
    for (const e of res.effects) this.effect(e);
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
          detail: e.record,
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
    this.rt.store.putDoc(WINDOW_DOC, this.window.snapshot());
  }
}

function sameRoutes(saved: readonly string[], routes: readonly Route[]): boolean {
  return saved.length === routes.length && routes.every((r) => saved.includes(r.name));
}

export function requireRollout(c: RolloutController | undefined): RolloutController {
  if (!c) throw new CutoverError("CUTOVER_ERR_ROLLOUT_NOT_CONFIGURED", "add a rollout: section to the config");
  return c;
}
