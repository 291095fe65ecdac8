import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Target } from "../config/schema.js";
import type { ErrorCode } from "../errors/index.js";
import {
  forward,
  sendError,
  type ForwardRequest,
  type ForwardResult,
  type ResponseObserver,
} from "../proxy/forward.js";
import type { Upstream } from "../proxy/upstream.js";
import { requestHeaders } from "../proxy/headers.js";
import { RouteTable, type RouteMatch } from "../route/table.js";
import { decide, type SplitDecision } from "../split/decide.js";
import { userKey } from "../split/keys.js";
import type { Runtime } from "./runtime.js";
import { metricStatus } from "./served.js";

/** Per-request facts the mirror and the recorder need, computed once. */
export interface RequestFacts {
  id: string;
  rm: RouteMatch;
  path: string;
  query: string;
  key: string | undefined;
  decision: SplitDecision;
  startedAt: number;
}

/** Hooks around the plain forward: mirroring and per-request recording attach here. */
export interface RequestHooks {
  /**
   * Before forwarding: may return an observer of the served answer (to capture legacy for a diff)
   * and a replacement for the request body stream (when the body is teed to a mirror).
   */
  beforeForward?(
    req: IncomingMessage,
    facts: RequestFacts,
    headers: string[],
  ): { observer?: ResponseObserver; body?: Readable } | undefined;
  /** After the response completed (or failed). */
  afterResponse?(facts: RequestFacts, result: ForwardResult, target: Target, ms: number): void;
}

const ID_PREFIX = Math.floor(Math.random() * 36 ** 4)
  .toString(36)
  .padStart(4, "0");
let idCounter = 0;
export function nextRequestId(): string {
  return `${ID_PREFIX}-${(++idCounter).toString(36)}`;
}

const OVERRIDE_SECRET_HEADER = "x-cutover-secret";

/** clientIp is the socket's peer, or the first X-Forwarded-For entry when the config trusts it. */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = req.headers["x-forwarded-for"];
    const first = typeof xff === "string" ? xff.split(",")[0]?.trim() : undefined;
    if (first) return first;
  }
  const a = req.socket.remoteAddress ?? "";
  return a.startsWith("::ffff:") ? a.slice(7) : a;
}

/** hasDotSegment is true for paths whose meaning changes after normalisation (`/a/../b`). */
function hasDotSegment(path: string): boolean {
  if (!path.includes(".") && !path.includes("%2")) return false;
  const decoded = path.replace(/%2e/gi, ".").replace(/%2f/gi, "/");
  return /(^|\/)\.\.?(\/|$)/.test(decoded);
}

/**
 * createHandler builds the data-plane request handler: validate → route → split → forward.
 * Everything the gateway refuses is answered here with a coded error and never forwarded.
 */
export function createHandler(rt: Runtime, hooks: RequestHooks, state: { draining: boolean }) {
  const cfg = rt.config;
  const overrideHeader = cfg.override.header.toLowerCase();
  const drop = new Set(["expect", overrideHeader, OVERRIDE_SECRET_HEADER]);
  const random = Math.random;

  return function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "";
    const method = req.method ?? "GET";
    if (state.draining) res.setHeader("connection", "close");
    if (url.charCodeAt(0) !== 47 /* "/" */) {
      sendError(res, "CUTOVER_ERR_NOT_A_PROXY");
      return;
    }
    if (url.length > cfg.limits.max_url_length) {
      sendError(res, "CUTOVER_ERR_URL_TOO_LONG");
      return;
    }
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? "" : url.slice(q);
    if (hasDotSegment(path)) {
      sendError(res, "CUTOVER_ERR_BAD_REQUEST");
      return;
    }
    const rm = rt.table.match(method, path);
    if (!rm) {
      sendError(res, "CUTOVER_ERR_NO_ROUTE");
      return;
    }

    const ip = clientIp(req, cfg.trust_proxy);
    const key = userKey(rt.keys, req.headers, cfg.bucketing.fallback === "ip" ? ip : "");
    let decision: SplitDecision;
    const override = cfg.override.enabled ? req.headers[overrideHeader] : undefined;
    if (override !== undefined) {
      if (cfg.override.secret !== undefined && req.headers[OVERRIDE_SECRET_HEADER] !== cfg.override.secret) {
        sendError(res, "CUTOVER_ERR_OVERRIDE_FORBIDDEN");
        return;
      }
      if (override !== "legacy" && override !== "candidate") {
        sendError(res, "CUTOVER_ERR_BAD_REQUEST", undefined, {
          "x-cutover-detail": `${overrideHeader} must be legacy or candidate`,
        });
        return;
      }
      decision = { target: override, bucket: -1, reason: "override" };
    } else {
      decision = decide({
        key,
        salt: cfg.bucketing.salt,
        weight: rt.weights[rm.route.id] ?? 0,
        candidateHealthy: rt.upstreams.candidate.healthy,
        random,
      });
    }

    const facts: RequestFacts = { id: nextRequestId(), rm, path, query, key, decision, startedAt: performance.now() };
    const headers = requestHeaders(req.rawHeaders, req.headers, {
      clientIp: ip,
      proto: "http",
      host: req.headers.host,
      trustProxy: cfg.trust_proxy,
      drop,
    });
    const hook = hooks.beforeForward?.(req, facts, headers);
    const hasBody =
      req.headers["content-length"] !== undefined
        ? req.headers["content-length"] !== "0"
        : req.headers["transfer-encoding"] !== undefined;
    new Flight(rt, hooks, facts, req, res, headers, hasBody ? (hook?.body ?? req) : null, hook?.observer).send(
      decision.target,
    );
  };
}

/**
 * Flight is one request on its way to an upstream: it is the forward request and its listener at
 * once, so the hot path allocates one object instead of an options bag and three closures.
 */
class Flight implements ForwardRequest {
  upstream: Upstream;
  method: string;
  path = "";
  body: Readable | null;
  headersTimeout: number;
  bodyTimeout: number;
  requestId: string;
  startedAt: number;
  private target: Target = "legacy";
  private canFailover = false;

  constructor(
    private readonly rt: Runtime,
    private readonly hooks: RequestHooks,
    private readonly facts: RequestFacts,
    private readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly headers: string[],
    body: Readable | null,
    readonly observer: ResponseObserver | undefined,
  ) {
    this.upstream = rt.upstreams.legacy;
    this.method = req.method ?? "GET";
    this.body = body;
    this.headersTimeout = rt.config.timeouts.headers;
    this.bodyTimeout = rt.config.timeouts.body;
    this.requestId = facts.id;
    this.startedAt = facts.startedAt;
  }

  send(target: Target, failover = false): void {
    this.target = target;
    this.upstream = this.rt.upstream(target);
    this.path =
      this.upstream.basePath + RouteTable.rewritePath(this.facts.rm, target, this.facts.path) + this.facts.query;
    this.canFailover = !failover && target === "candidate";
    forward(this);
  }

  // The candidate could not be reached, so the request never left: serving it from legacy is safe
  // even for writes, and the client never sees the candidate's outage.
  onConnectFailure(code: ErrorCode): boolean {
    if (!this.canFailover || (this.body !== null && this.req.readableDidRead)) return false;
    this.rt.metrics.upstreamErrors.labels("candidate", code).inc();
    this.facts.decision = { ...this.facts.decision, target: "legacy", reason: "candidate_unhealthy" };
    this.send("legacy", true);
    return true;
  }

  onDone(r: ForwardResult): void {
    const { rt, facts, target } = this;
    const ms = performance.now() - facts.startedAt;
    if (r.code) {
      rt.metrics.upstreamErrors.labels(this.upstream.name, r.code).inc();
      rt.log.warn(
        { id: facts.id, route: facts.rm.route.name, target, code: r.code, status: r.status, ms: Math.round(ms) },
        "upstream failed",
      );
    }
    rt.metrics.record(facts.rm.route.id, target, metricStatus(r), ms / 1000);
    this.hooks.afterResponse?.(facts, r, target, ms);
  }
}
