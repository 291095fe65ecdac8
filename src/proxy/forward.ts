import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import type { Dispatcher } from "undici";
import { ERROR_CODES, errorBody, type ErrorCode } from "../errors/index.js";
import { countsAgainstHealth, staleConnection, upstreamErrorCode } from "./errors.js";
import { responseHeaders } from "./headers.js";
import { EventBoundary } from "./sse-events.js";
import { reusedConnection, type Upstream } from "./upstream.js";

/** Outcome of one forwarded request, reported once through `onDone`. */
export interface ForwardResult {
  status: number;
  /** Set when the gateway answered (or cut the response) because of an upstream failure. */
  code?: ErrorCode;
  /** The client went away before the response finished. */
  clientClosed: boolean;
  /** Milliseconds to the upstream's response headers (NaN when none came). */
  headersMs: number;
  /**
   * The gateway refused the request, or the client failed it (`clientFault`), before the upstream
   * could answer: nothing the upstream did, so it counts neither against its health nor as its
   * answer (the judge never sees it).
   */
  refused?: boolean;
}

/** Optional observer that sees the upstream's answer as it streams (used to capture legacy for diffs). */
export interface ResponseObserver {
  onStart(status: number, headers: IncomingHttpHeaders): void;
  onData(chunk: Buffer): void;
  onEnd(): void;
  onError(code: ErrorCode): void;
}

export interface ForwardRequest {
  upstream: Upstream;
  method: string;
  /** Path and query to send, already rewritten and prefixed with the upstream's base path. */
  path: string;
  headers: string[];
  body: Readable | null;
  res: ServerResponse;
  headersTimeout: number;
  bodyTimeout: number;
  requestId: string;
  startedAt: number;
  observer?: ResponseObserver;
  /**
   * Called when the connection failed before the request reached the upstream; may take the request
   * elsewhere (returns true) — e.g. a candidate that went down sends its users to legacy.
   */
  onConnectFailure?: (code: ErrorCode) => boolean;
  /**
   * Called when a kept-alive connection closed before any answer to a request that is safe to
   * send again (errors.ts staleConnection); may send it once more (returns true). The failure is
   * then neither the client's answer nor counted against the upstream's health.
   */
  onStaleConnection?: () => boolean;
  onDone: (r: ForwardResult) => void;
  /**
   * Called once the head of an event stream (`text/event-stream`) went to the client, with a way to
   * end it cleanly between events (rollback, a user moved off the candidate, shutdown).
   */
  onEventStream?: (stream: EventStream) => void;
  /**
   * Rewrites a whole 200 answer of at most MAX_REWRITE bytes (the Engine.IO handshake); the answer
   * is held until it is complete and sent with a fixed Content-Length. Returning undefined, or a
   * larger or encoded answer, passes it on unchanged.
   */
  rewriteBody?: (body: Buffer) => Buffer | undefined;
  /** Set when the client broke the exchange (e.g. its body stalled): the failure that follows is its own. */
  clientFault?: ErrorCode;
}

/** An event stream being forwarded, as the gateway's stream registry holds it. */
export interface EventStream {
  /** end finishes the response (end of stream, not a reset) at the next event boundary, or after graceMs. */
  end(graceMs?: number): void;
}

/** The largest answer `rewriteBody` is given; anything longer is passed on unchanged. */
export const MAX_REWRITE = 64 * 1024;

const kHandler = Symbol("cutover.forward");

function onClientClose(this: ServerResponse): void {
  const h = (this as unknown as Record<symbol, ForwardHandler | undefined>)[kHandler];
  if (h && !h.finished) h.clientGone();
}

/**
 * ForwardHandler streams one upstream answer to the client through undici's dispatch API:
 * no body buffering, backpressure by pausing the upstream, no per-request AbortController
 * (the dispatch controller aborts; see ../shared/research/proxy-perf.md).
 */
class ForwardHandler implements Dispatcher.DispatchHandler, EventStream {
  finished = false;
  private controller: Dispatcher.DispatchController | undefined;
  private started = false;
  private status = 0;
  private headersMs = Number.NaN;
  private clientClosed = false;
  // Only needed under backpressure, so made on first use rather than for every request.
  private resume: (() => void) | undefined;
  // Set only for event streams (the gateway may end them) and answers held for a rewrite.
  private events: EventBoundary | undefined;
  private ending = false;
  private held: { head: [number, string | undefined, IncomingHttpHeaders]; chunks: Buffer[]; size: number } | undefined;
  private queueTimer: NodeJS.Timeout | undefined;
  /** The options it was dispatched with (the pool marks whether the connection was reused). */
  opts: Dispatcher.DispatchOptions | undefined;

  constructor(private readonly r: ForwardRequest) {
    (r.res as unknown as Record<symbol, ForwardHandler>)[kHandler] = this;
    r.res.on("close", onClientClose);
  }

  clientGone(): void {
    this.clientClosed = true;
    if (this.controller && !this.controller.aborted) this.controller.abort(new Error("client closed the connection"));
  }

  get sent(): boolean {
    return this.controller !== undefined;
  }

  /**
   * queued: the request waits for a connection (pool busy, connecting, or a body stream's first
   * tick), where undici's headers timeout has not started yet. The same timeout runs from now, so
   * a live request never waits longer than `headersTimeout` for its answer to start, queued or not.
   */
  queued(): void {
    this.queueTimer = setTimeout(() => this.expire(), this.r.headersTimeout);
  }

  private expire(): void {
    if (this.started || this.finished) return;
    const err = Object.assign(new Error("no response headers in time (queued)"), { code: "UND_ERR_HEADERS_TIMEOUT" });
    if (this.controller) this.controller.abort(err);
    // Still in undici's queue: answer now; it is aborted the moment it gets a connection.
    else this.onResponseError(undefined, err);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientClosed) controller.abort(new Error("client closed the connection"));
    else if (this.finished) controller.abort(new Error("expired while queued"));
  }

  onResponseStart(
    _c: Dispatcher.DispatchController,
    status: number,
    headers: IncomingHttpHeaders,
    message?: string,
  ): void {
    const r = this.r;
    if (this.queueTimer) clearTimeout(this.queueTimer);
    this.status = status;
    this.headersMs = performance.now() - r.startedAt;
    r.upstream.success(false);
    r.observer?.onStart(status, headers);
    if (r.rewriteBody && status === 200 && headers["content-encoding"] === undefined) {
      this.held = { head: [status, message, headers], chunks: [], size: 0 };
      return;
    }
    this.writeHead(status, message, headers);
    if (this.started && r.onEventStream && String(headers["content-type"]).startsWith("text/event-stream")) {
      this.events = new EventBoundary();
      r.onEventStream(this);
    }
  }

  private writeHead(status: number, message: string | undefined, headers: IncomingHttpHeaders): void {
    const r = this.r;
    try {
      if (message) r.res.writeHead(status, message, responseHeaders(headers));
      else r.res.writeHead(status, responseHeaders(headers));
    } catch {
      // A header value Node refuses to send (invalid characters): the upstream lied.
      this.controller?.abort(Object.assign(new Error("invalid response header"), { code: "HPE_INVALID_HEADER_TOKEN" }));
      return;
    }
    this.started = true;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.r.observer?.onData(chunk);
    const held = this.held;
    if (held) {
      held.chunks.push(chunk);
      held.size += chunk.length;
      if (held.size <= MAX_REWRITE) return;
      this.held = undefined; // too large to be a handshake: pass it on as it came
      this.writeHead(...held.head);
      for (const c of held.chunks) this.r.res.write(c);
      return;
    }
    if (this.events) {
      const n = this.events.feed(chunk, this.ending);
      if (n !== -1) {
        this.r.res.write(n === chunk.length ? chunk : chunk.subarray(0, n));
        this.endNow();
        return;
      }
    }
    if (!this.r.res.write(chunk)) {
      controller.pause();
      this.resume ??= () => this.controller?.resume();
      this.r.res.once("drain", this.resume);
    }
  }

  onResponseEnd(): void {
    this.r.observer?.onEnd();
    const held = this.held;
    if (held) {
      this.held = undefined;
      const body = Buffer.concat(held.chunks, held.size);
      const out = this.r.rewriteBody?.(body) ?? body;
      const [status, message, headers] = held.head;
      const h = { ...headers, "content-length": String(out.length) };
      delete h["transfer-encoding"];
      this.writeHead(status, message, h);
      this.r.res.end(out);
    } else {
      this.r.res.end();
    }
    this.finish();
  }

  /** end (EventStream): finish the stream cleanly at the next event boundary, or after graceMs regardless. */
  end(graceMs = 1000): void {
    if (this.finished || this.ending) return;
    this.ending = true;
    if (!this.events || this.events.atBoundary) return this.endNow();
    setTimeout(() => this.endNow(), graceMs).unref();
  }

  private endNow(): void {
    if (this.finished) return;
    this.r.observer?.onError("CUTOVER_ERR_UPSTREAM_RESET");
    this.r.res.end();
    this.finish();
    if (this.controller && !this.controller.aborted) this.controller.abort(new Error("stream ended by the gateway"));
  }

  onResponseError(_c: Dispatcher.DispatchController | undefined, err: Error): void {
    const r = this.r;
    if (this.finished) return;
    if (this.clientClosed) {
      r.observer?.onError("CUTOVER_ERR_UPSTREAM_RESET");
      this.finish();
      return;
    }
    const mapped = upstreamErrorCode(err);
    if (mapped.refused || r.clientFault) {
      const code = r.clientFault ?? mapped.code;
      r.observer?.onError(code);
      if (this.started || r.res.headersSent) r.res.destroy();
      else sendError(r.res, code, r.requestId);
      this.finish(code, true);
      return;
    }
    const reused = this.opts !== undefined && reusedConnection(this.opts);
    if (this.status === 0 && staleConnection(r.method, r.body !== null, reused, err) && r.onStaleConnection?.()) {
      return this.handOver();
    }
    const { code, connectFailed } = mapped;
    if (countsAgainstHealth(code)) r.upstream.failure(code);
    r.observer?.onError(code);
    if (connectFailed && !this.started && r.onConnectFailure?.(code)) return this.handOver();
    if (this.started || r.res.headersSent) {
      // Headers already went out: the only honest signal left is to cut the connection.
      r.res.destroy(err);
    } else {
      sendError(r.res, code, r.requestId);
    }
    this.finish(code);
  }

  /** handOver: another handler took the request (failover, or a retry); this one lets go of it. */
  private handOver(): void {
    this.finished = true;
    if (this.queueTimer) clearTimeout(this.queueTimer);
    const res = this.r.res as unknown as Record<symbol, ForwardHandler | undefined>;
    if (res[kHandler] === this) res[kHandler] = undefined;
    this.r.res.off("close", onClientClose);
  }

  private finish(code?: ErrorCode, refused = false): void {
    if (this.finished) return;
    this.finished = true;
    if (this.queueTimer) clearTimeout(this.queueTimer);
    const r = this.r;
    r.onDone({
      status: code && !this.started ? (refused ? statusOf(code) : code.includes("TIMEOUT") ? 504 : 502) : this.status,
      code,
      clientClosed: this.clientClosed,
      headersMs: this.headersMs,
      ...(refused ? { refused } : {}),
    });
  }
}

export function forward(r: ForwardRequest): void {
  const handler = new ForwardHandler(r);
  handler.opts = {
    origin: r.upstream.origin,
    method: r.method,
    path: r.path,
    headers: r.headers,
    body: r.body,
    headersTimeout: r.headersTimeout,
    bodyTimeout: r.bodyTimeout,
    // undici itself never sends a request twice; the one resend cutover makes is in onResponseError.
    idempotent: false,
    blocking: false,
    reset: false,
  };
  r.upstream.pool.dispatch(handler.opts, handler);
  // A free keep-alive connection takes the request synchronously; only a waiting one needs a timer.
  if (!handler.sent && !handler.finished) handler.queued();
}

/** sendError answers with a JSON error body carrying a stable code and the request id. */
export function sendError(
  res: ServerResponse,
  code: ErrorCode,
  requestId?: string,
  extra?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(code, requestId);
  const status =
    code === "CUTOVER_ERR_UPSTREAM_TIMEOUT" || code === "CUTOVER_ERR_UPSTREAM_BODY_TIMEOUT" ? 504 : statusOf(code);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": body.length,
    "x-cutover-error": code,
    "cache-control": "no-store",
    ...extra,
  });
  res.end(body);
}

function statusOf(code: ErrorCode): number {
  return ERROR_CODES[code].status;
}
