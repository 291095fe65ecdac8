import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import type { Dispatcher } from "undici";
import { BREAKER_DEFAULTS, SAFE_METHODS, type MirrorConfig } from "../config/schema.js";
import type { CapturedResponse } from "../diff/types.js";
import { upstreamPath, type RequestFacts } from "../state/facts.js";
import type { Runtime } from "../state/runtime.js";
import type { ResponseObserver } from "../proxy/forward.js";
import { reusedConnection, type Upstream } from "../proxy/upstream.js";
import { staleConnection } from "../proxy/errors.js";
import type { Route } from "../route/table.js";
import { outcomeOf } from "./breaker.js";
import { Breakers, type Admission } from "./breakers.js";
import { Capture, CaptureHandler } from "./capture.js";
import {
  correlatedRequest,
  turnWithin,
  LiveCorrelation,
  type CorrelatedSide,
  type CorrelationNote,
  type TurnSource,
} from "./correlation.js";
import { ComparisonQueue } from "./queue.js";

/** The request side of one mirrored exchange, as the comparison needs it. */
export interface MirroredRequest {
  id: string;
  at: number;
  method: string;
  path: string;
  query: string;
  route: Route;
  headers: Record<string, string | string[] | undefined>;
  /** The bucket key the split used (the user), if any. */
  key: string | undefined;
  /** With `writes: isolated`: the values substituted and the answer paths they explain (correlation.ts). */
  correlation?: CorrelationNote;
  /** Set when the recording keeps this exchange: its request body copy, or null (no body). */
  record?: RecordedBodyCopy | null;
}

/** A request body as copied for the recording (recording/probe.ts). */
export interface RecordedBodyCopy {
  body(): Buffer;
  /** Cut at record.max_body, or not all arrived. */
  truncated(): boolean;
}

/** Where finished exchanges go: the parity pipeline (diff, noise, findings, store). */
export interface ComparisonSink {
  /** True when compare() only hands the work to another thread: then it is called at once, unqueued. */
  readonly offThread?: boolean;
  compare(
    req: MirroredRequest,
    legacy: CapturedResponse,
    candidate: CapturedResponse,
    secondary: CapturedResponse | undefined,
  ): void;
}

export type SkipReason =
  | "concurrency"
  | "body_too_large"
  | "candidate_unhealthy"
  | "breaker_open"
  | "method"
  | "busy"
  | "error"
  | "correlation_wait";

/** Bodies captured per side for comparison; larger answers are compared on their first bytes. */
export const CAPTURE_CAP = 1 << 20;
/** A correlated exchange may hold its user's turn this much longer than `mirror.timeout` (legacy's answer, learning). */
export const TURN_SLACK_MS = 2000;

/** What the shadow stage of a rollout mirrors on routes without their own `mirror:` settings. */
const SHADOW_MIRROR: MirrorConfig = {
  percent: 100,
  writes: "none",
  max_body: 1 << 20,
  timeout: 5000,
  breaker: BREAKER_DEFAULTS,
};

/**
 * Mirror copies requests on routes with `mirror:` to the candidate (and legacy-secondary) while
 * legacy serves the client. The copy starts with the legacy request, runs detached from the client
 * (no shared abort) on the upstream's own mirror pool, and is bounded: a concurrency cap, a body
 * cap, a deadline for the whole exchange (`timeout`) and a capture cap past which the upstream's
 * answer is not read; every request served unmirrored is counted by reason so parity rates are
 * never silently biased, and every exchange cut short is counted too. A circuit breaker per route
 * and mirrored upstream (breaker.ts) stops paying for an upstream that keeps failing.
 */
export class Mirror {
  inflight = 0;
  private readonly acc: Float64Array;
  /** Routes a rollout's shadow stage mirrors, whatever their own config says. */
  private readonly shadow = new Set<number>();
  readonly queue: ComparisonQueue;
  readonly breakers: Breakers;
  /**
   * Per-user learned ids for routes mirrored with `writes: isolated` (correlation.ts): this data
   * plane's own, or a cluster's primary's (correlateThrough).
   */
  correlation: TurnSource;

  constructor(
    private readonly rt: Runtime,
    private readonly sink: ComparisonSink,
  ) {
    this.acc = new Float64Array(rt.table.routes.length);
    this.breakers = new Breakers(rt.metrics, rt.log);
    this.queue = new ComparisonQueue(Math.max(256, rt.config.diff.max_concurrency * 16), (route: string) =>
      rt.metrics.mirrorSkipped.labels(route, "busy").inc(),
    );
    const lim = rt.config.diff.limits;
    this.correlation = new LiveCorrelation({ users: lim.correlation_users, values: lim.correlation_values });
  }

  /**
   * Called before legacy is dispatched. Returns an observer that captures legacy's answer and, for
   * requests with a body, the stream legacy must read instead of `req`; or undefined (not mirrored).
   */
  begin(
    req: IncomingMessage,
    facts: RequestFacts,
  ): { observer: ResponseObserver; body?: PassThrough; request: MirroredRequest } | undefined {
    const route = facts.rm.route;
    const cfg = route.config.mirror ?? (this.shadow.has(route.id) ? SHADOW_MIRROR : undefined);
    if (!cfg || facts.decision.target !== "legacy") return undefined;
    const method = facts.method;
    const headers = facts.headers;
    if (!(cfg.methods ?? SAFE_METHODS).includes(method)) return undefined;
    // Deterministic sampling: exactly `percent` of matching requests, evenly spread.
    const i = route.id;
    this.acc[i] = (this.acc[i] ?? 0) + cfg.percent;
    if ((this.acc[i] ?? 0) < 100) return undefined;
    this.acc[i] = (this.acc[i] ?? 0) - 100;

    if (!this.rt.upstreams.candidate.healthy) return this.skip(route, "candidate_unhealthy");
    if (this.inflight >= this.rt.config.diff.max_concurrency) return this.skip(route, "concurrency");
    const len = req.headers["content-length"];
    if (len !== undefined && Number(len) > cfg.max_body) return this.skip(route, "body_too_large");
    const pass = this.breakers.admit(route, "candidate", cfg.breaker);
    if (pass === undefined) return this.skip(route, "breaker_open");

    this.inflight++;
    const startedAt = facts.startedAt;
    const second = cfg.secondary !== false ? this.rt.upstreams.secondary : undefined;
    const secondPass = second && this.breakers.admit(route, second.name, cfg.breaker);
    const secondary = secondPass ? second : undefined;
    let pending = secondary ? 3 : 2;
    const request: MirroredRequest = {
      id: facts.id,
      at: Date.now(),
      method,
      path: facts.path,
      query: facts.query,
      route,
      headers: req.headers,
      key: facts.key,
    };
    // The candidate on its own datastore mints its own ids: correlate them per user.
    const turn =
      cfg.writes === "isolated" && cfg.correlate !== false && facts.key !== undefined
        ? this.correlation.turn(facts.key, facts.id, cfg.timeout + TURN_SLACK_MS)
        : undefined;
    // The wait for the user's previous exchange is bounded by `timeout` too; past it the exchange
    // lapses: not compared (it would show the candidate failing), counted as skipped.
    const ready = turn && turnWithin(turn, cfg.timeout);
    let lapsed = false;
    const finished = (): void => {
      if (--pending > 0) return;
      this.inflight--;
      if (lapsed) {
        turn?.cancel();
        this.skip(route, "correlation_wait");
        return;
      }
      const l = legacy.result();
      const c = candidate.result();
      const s = secondaryCap?.result();
      this.judge(route, cfg, "candidate", pass, c, l, bodies?.cut.body === true);
      if (secondary && secondPass && s)
        this.judge(route, cfg, secondary.name, secondPass, s, l, bodies?.cut.body === true);
      if (turn) {
        // Learned on a later turn of the event loop, never in the client's answer's callback.
        setImmediate(() => {
          request.correlation = turn.finish(l, c, s);
          deliver(l, c, s);
        });
        return;
      }
      deliver(l, c, s);
    };
    const deliver = (l: CapturedResponse, c: CapturedResponse, s: CapturedResponse | undefined): void => {
      // The comparison never runs on the client's time: on a worker thread, or queued and drained
      // in small slices when it runs here.
      if (this.sink.offThread) this.sink.compare(request, l, c, s);
      else this.queue.push(() => this.sink.compare(request, l, c, s), route.name);
    };
    const legacy = new Capture(startedAt, CAPTURE_CAP, finished);
    const candidate = new Capture(startedAt, CAPTURE_CAP, finished);
    const secondaryCap = secondary ? new Capture(startedAt, CAPTURE_CAP, finished) : undefined;

    const bodies = facts.hasBody ? this.tee(req, cfg, secondary ? 2 : 1) : undefined;
    const sendTo = (up: Upstream, side: CorrelatedSide, body: PassThrough | null, cap: Capture): void => {
      const path = upstreamPath(facts, side === "candidate" ? "candidate" : "legacy", up.basePath);
      const route = facts.rm.route.name;
      if (!turn || !ready) return this.send(up, route, method, path, headers, body, cfg, cap);
      // Detached: waits for the user's previous exchange to be learned and for the whole body.
      correlatedRequest(turn, ready, side, path, headers, body).then(
        (r) => {
          if (r === "lapsed") lapsed = true;
          if (!r || r === "lapsed") return cap.onError("CUTOVER_ERR_INTERNAL");
          cap.rebase(performance.now());
          this.send(up, route, method, r.path, r.headers, r.body, cfg, cap);
        },
        () => cap.onError("CUTOVER_ERR_INTERNAL"),
      );
    };
    sendTo(this.rt.upstreams.candidate, "candidate", bodies?.copies[0] ?? null, candidate);
    if (secondary && secondaryCap) sendTo(secondary, "secondary", bodies?.copies[1] ?? null, secondaryCap);
    return bodies ? { observer: legacy, body: bodies.primary, request } : { observer: legacy, request };
  }

  /** judge feeds one side of a finished exchange to its upstream's breaker. */
  private judge(
    route: Route,
    cfg: MirrorConfig,
    upstream: string,
    pass: Admission,
    side: CapturedResponse,
    legacy: CapturedResponse,
    bodyCut: boolean,
  ): void {
    this.breakers.report(route, upstream, cfg.breaker, pass, outcomeOf(side, legacy.truncated, bodyCut));
  }

  private send(
    upstream: Upstream,
    route: string,
    method: string,
    path: string,
    headers: string[],
    body: PassThrough | Buffer | null,
    cfg: MirrorConfig,
    capture: Capture,
    deadline = performance.now() + cfg.timeout,
    retried = false,
  ): void {
    // Sent once more (before the deadline) when a kept-alive connection closed under a body-less GET:
    // otherwise the keep-alive race would be filed as the candidate resetting.
    const opts: Dispatcher.DispatchOptions = {
      origin: upstream.origin,
      method: method,
      path,
      headers: [...headers, "x-cutover-mirror", "1"],
      body,
      headersTimeout: cfg.timeout,
      bodyTimeout: cfg.timeout,
      idempotent: false,
    };
    const retry = (err: Error): boolean => {
      const stale = staleConnection(method, body !== null, reusedConnection(opts), err);
      if (retried || !stale || performance.now() >= deadline) return false;
      this.rt.metrics.upstreamRetries.labels(upstream.name, "mirror").inc();
      this.send(upstream, route, method, path, headers, body, cfg, capture, deadline, true);
      return true;
    };
    // A mirror must never hurt the client: even a synchronous failure only fails the comparison.
    try {
      // Its own pool (never the live one) and a deadline for the whole exchange.
      upstream.mirrorPool.dispatch(
        opts,
        new CaptureHandler(
          capture,
          Math.max(1, deadline - performance.now()),
          (why) => this.rt.metrics.mirrorAborted.labels(route, upstream.name, why).inc(),
          retry,
        ),
      );
    } catch {
      capture.onError("CUTOVER_ERR_INTERNAL");
    }
  }

  /**
   * tee copies the client's body to the mirror streams as it arrives. Legacy reads `req` as usual;
   * the copies never apply backpressure to it, and a body that grows past max_body (chunked, no
   * Content-Length) aborts the copies instead of growing memory.
   */
  private tee(
    req: IncomingMessage,
    cfg: MirrorConfig,
    n: number,
  ): { primary: PassThrough; copies: PassThrough[]; cut: { body: boolean } } {
    // Legacy reads through a pipe, which buffers whatever arrives before undici starts reading and
    // keeps the client's backpressure; the copies ride along on the same 'data' events.
    const primary = new PassThrough();
    req.pipe(primary);
    const outs = Array.from({ length: n }, () => new PassThrough({ highWaterMark: cfg.max_body + 1 }));
    let seen = 0;
    // The copies cut here end their exchanges for the client's reasons, not the upstream's.
    const cut = { body: false };
    req.on("data", (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > cfg.max_body) cut.body = true;
      for (const o of outs) {
        if (seen > cfg.max_body) o.destroy(new Error("mirrored body larger than max_body"));
        else if (!o.destroyed) o.write(chunk);
      }
    });
    req.on("end", () => {
      for (const o of outs) if (!o.destroyed) o.end();
    });
    req.on("error", () => {
      cut.body = true;
      for (const o of outs) o.destroy();
    });
    return { primary, copies: outs, cut };
  }

  /** setShadow turns mirroring on or off for routes in a rollout's shadow stage. */
  setShadow(routes: readonly Route[], on: boolean): void {
    for (const r of routes) {
      if (on) this.shadow.add(r.id);
      else this.shadow.delete(r.id);
    }
  }

  private skip(route: Route, reason: SkipReason): undefined {
    // Counted so parity rates can be read against what was actually compared.
    this.rt.metrics.mirrorSkipped.labels(route.name, reason).inc();
    return undefined;
  }
}
