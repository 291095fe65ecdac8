import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Target } from "../config/schema.js";
import type { ErrorCode } from "../errors/index.js";
import type { Mirror } from "../mirror/mirror.js";
import type { RecordingProbe } from "../recording/probe.js";
import {
  forward,
  sendError,
  type EventStream,
  type ForwardRequest,
  type ForwardResult,
  type ResponseObserver,
} from "../proxy/forward.js";
import type { Upstream } from "../proxy/upstream.js";
import { closePacket, tagHandshake } from "../realtime/engineio.js";
import type { OpenStreams } from "../realtime/streams.js";
import type { RequestFacts } from "../state/facts.js";
import type { Runtime } from "../state/runtime.js";
import { userHash, type ServedSink } from "../state/served.js";
import { healthForUrl, sendHealth } from "../health/endpoint.js";
import { isRefusal, upstreamPath, type Classifier } from "./classify.js";

/** The status the request metrics count: 499 for a client that left before any answer. */
export function metricStatus(r: ForwardResult): number {
  return r.clientClosed && !r.status ? 499 : r.status;
}

/**
 * createHandler builds the HTTP branch of the request path: classify → mirror tee → recording
 * probe → forward → one served record. Everything the gateway refuses is answered here with a coded error and never
 * forwarded (nor recorded as an upstream's answer).
 */
export function createHandler(
  rt: Runtime,
  classifier: Classifier,
  mirror: Mirror | undefined,
  sink: ServedSink,
  state: { draining: boolean },
  hashUsers: boolean,
  streams: OpenStreams,
  probe?: RecordingProbe,
) {
  return function handle(req: IncomingMessage, res: ServerResponse): void {
    if (state.draining) res.setHeader("connection", "close");
    const health = healthForUrl(rt.config.health_endpoint, req.method ?? "GET", req.url ?? "", state.draining);
    if (health) return sendHealth(res, req.method ?? "GET", health);
    const facts = classifier.classify(req, false);
    if (isRefusal(facts)) {
      if (facts.eio !== undefined) {
        // A candidate Engine.IO session after a rollback: close it, so the client reconnects to legacy.
        const close = closePacket(facts.eio);
        res.writeHead(200, { "content-type": close.contentType, "content-length": close.body.length });
        res.end(close.body);
        return;
      }
      sendError(res, facts.code, undefined, facts.detail ? { "x-cutover-detail": facts.detail } : undefined);
      return;
    }
    const tee = mirror?.begin(req, facts);
    const rec = probe?.begin(req, facts, tee);
    const body = facts.hasBody ? (tee?.body ?? rec?.body ?? req) : null;
    const flight = new Flight(rt, sink, hashUsers, streams, facts, req, res, body, tee?.observer ?? rec?.observer);
    if (body) flight.watchBody(rt.config.timeouts.client_body);
    flight.send(facts.decision.target);
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
  readonly headers: string[];
  body: Readable | null;
  headersTimeout: number;
  bodyTimeout: number;
  requestId: string;
  startedAt: number;
  private target: Target = "legacy";
  private canFailover = false;
  private retried = false;
  /** Set for an Engine.IO polling handshake: the answer's sid is tagged with the side that served it. */
  rewriteBody: ((body: Buffer) => Buffer | undefined) | undefined;
  clientFault: ErrorCode | undefined;

  constructor(
    private readonly rt: Runtime,
    private readonly sink: ServedSink,
    private readonly hashUsers: boolean,
    private readonly streams: OpenStreams,
    private readonly facts: RequestFacts,
    private readonly req: IncomingMessage,
    readonly res: ServerResponse,
    body: Readable | null,
    readonly observer: ResponseObserver | undefined,
  ) {
    this.upstream = rt.upstreams.legacy;
    this.method = facts.method;
    this.headers = facts.headers;
    this.body = body;
    this.headersTimeout = rt.config.timeouts.headers;
    this.bodyTimeout = rt.config.timeouts.body;
    this.requestId = facts.id;
    this.startedAt = facts.startedAt;
  }

  send(target: Target, failover = false): void {
    this.target = target;
    this.upstream = this.rt.upstream(target);
    this.path = upstreamPath(this.facts, target, this.upstream.basePath);
    // A tagged Engine.IO session exists only on its side: never fail it over.
    this.canFailover = !failover && target === "candidate" && this.facts.decision.reason !== "session";
    const eio = this.facts.handshake;
    if (eio !== undefined) this.rewriteBody = (b) => tagHandshake(b, eio, target);
    forward(this);
  }

  /**
   * watchBody: the client's body may pause at most `ms` between bytes (the socket's idle timeout,
   * only while the body is read). Then the client gets 408, its connection is closed, and the
   * upstream's half-sent request is aborted as the client's fault, not the upstream's.
   */
  watchBody(ms: number): void {
    const { req, res } = this;
    const socket = req.socket;
    socket.setTimeout(ms);
    req.once("end", () => {
      if (!res.writableFinished) socket.setTimeout(0);
    });
    req.once("timeout", () => {
      const code: ErrorCode = "CUTOVER_ERR_CLIENT_BODY_TIMEOUT";
      this.clientFault = code;
      const cut = (): void => {
        this.body?.destroy(Object.assign(new Error("client body timeout"), { code }));
        socket.destroy();
      };
      if (res.headersSent) return cut();
      sendError(res, code, this.facts.id, { connection: "close" });
      res.once("finish", cut);
    });
  }

  // The candidate could not be reached, so the request never left: serving it from legacy is safe
  // even for writes, and the client never sees the candidate's outage. The body is resendable while
  // the stream handed to the upstream (the client's request, or the recording probe's pipe) is unread.
  onConnectFailure(code: ErrorCode): boolean {
    if (!this.canFailover || (this.body !== null && this.body.readableDidRead)) return false;
    this.rt.metrics.upstreamErrors.labels("candidate", code).inc();
    this.facts.decision = { ...this.facts.decision, target: "legacy", reason: "candidate_unhealthy" };
    this.send("legacy", true);
    return true;
  }

  // A kept-alive connection closed under a body-less GET before any answer: sent once more, to
  // the same upstream, like any HTTP client that reuses connections does.
  onStaleConnection(): boolean {
    if (this.retried) return false;
    this.retried = true;
    this.rt.metrics.upstreamRetries.labels(this.upstream.name, "live").inc();
    forward(this);
    return true;
  }

  /** An event stream is registered while it runs, so a weight change or rollback can end it. */
  onEventStream(stream: EventStream): void {
    const remove = this.streams.add(this.facts.rm.route.id, { ...this.facts.decision, target: this.target }, () =>
      stream.end(),
    );
    this.res.once("close", remove);
  }

  onDone(r: ForwardResult): void {
    const { rt, facts, target } = this;
    const ms = performance.now() - facts.startedAt;
    // Refused by the gateway or failed by the client: not an upstream's answer, so not recorded as one.
    if (r.refused) return;
    if (r.code) {
      rt.metrics.upstreamErrors.labels(this.upstream.name, r.code).inc();
      rt.log.warn(
        { id: facts.id, route: facts.rm.route.name, target, code: r.code, status: r.status, ms: Math.round(ms) },
        "upstream failed",
      );
    }
    this.sink.served({
      route: facts.rm.route.id,
      method: facts.method,
      path: facts.path,
      target,
      status: r.status,
      metricStatus: metricStatus(r),
      failed: r.code !== undefined,
      ms,
      user: this.hashUsers ? userHash(facts.key, facts.id) : "",
      id: facts.id,
    });
  }
}
