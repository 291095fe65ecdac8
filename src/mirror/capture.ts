import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";
import type { CapturedResponse } from "../diff/types.js";
import type { ErrorCode } from "../errors/index.js";
import type { ResponseObserver } from "../proxy/forward.js";
import { upstreamErrorCode } from "../proxy/errors.js";

/**
 * Capture records one upstream's answer for a comparison: status, headers, the body up to `cap`
 * bytes (chunks are kept by reference, never copied) and when each chunk arrived, so SSE
 * buffering shows. Memory per capture is bounded by the cap.
 */
export class Capture implements ResponseObserver {
  private status = 0;
  private headers: Record<string, string | string[]> = {};
  private readonly chunks: Buffer[] = [];
  private readonly times: number[] = [];
  private bytes = 0;
  private truncated = false;
  private error: string | undefined;
  private headersMs = Number.NaN;
  private totalMs = Number.NaN;
  done = false;

  constructor(
    private startedAt: number,
    private readonly cap: number,
    private readonly onDone: () => void,
  ) {}

  /** rebase: timings count from `t` (a correlated copy waits for the user's previous exchange first). */
  rebase(t: number): void {
    this.startedAt = t;
  }

  onStart(status: number, headers: IncomingHttpHeaders): void {
    this.status = status;
    this.headersMs = performance.now() - this.startedAt;
    const h: Record<string, string | string[]> = {};
    for (const k in headers) {
      const v = headers[k];
      if (v !== undefined) h[k] = v;
    }
    this.headers = h;
  }

  onData(chunk: Buffer): void {
    if (this.times.length < 1000) this.times.push(performance.now() - this.startedAt);
    if (this.truncated) return;
    const room = this.cap - this.bytes;
    if (chunk.length > room) {
      if (room > 0) this.chunks.push(chunk.subarray(0, room));
      this.bytes = this.cap;
      this.truncated = true;
      return;
    }
    this.chunks.push(chunk);
    this.bytes += chunk.length;
  }

  onEnd(): void {
    this.finish();
  }

  onError(code: ErrorCode): void {
    if (this.done) return;
    this.error = code;
    this.finish();
  }

  /** True once the body reached the cap: whatever follows is not kept. */
  get full(): boolean {
    return this.truncated;
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.totalMs = performance.now() - this.startedAt;
    this.onDone();
  }

  result(): CapturedResponse {
    return {
      status: this.status,
      headers: this.headers,
      body: this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks),
      truncated: this.truncated,
      ...(this.error !== undefined ? { error: this.error } : {}),
      timing: { headersMs: this.headersMs, totalMs: this.totalMs, chunks: this.times },
    };
  }
}

/** Why a mirrored exchange was cut short by the gateway. */
export type MirrorAbort = "deadline" | "capture_full";

/**
 * CaptureHandler feeds a dispatched (mirrored) request's answer into a Capture, and bounds the
 * exchange: it is aborted at `deadline` ms after dispatch (the whole exchange, however slowly the
 * bytes drip), and as soon as the capture is full, so a huge body is never read past the cap.
 */
export class CaptureHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | undefined;
  private readonly timer: NodeJS.Timeout;
  private cut = false;
  private answered = false;

  constructor(
    private readonly capture: Capture,
    deadline: number,
    private readonly onAbort: (why: MirrorAbort) => void,
    /** Sends the request once more after a stale kept-alive connection (proxy/errors.ts staleConnection). */
    private readonly retry?: (err: Error) => boolean,
  ) {
    this.timer = setTimeout(() => this.stop("deadline"), deadline);
    this.timer.unref();
  }

  private stop(why: MirrorAbort): void {
    if (this.cut || this.capture.done) return;
    this.cut = true;
    clearTimeout(this.timer);
    this.onAbort(why);
    if (why === "deadline") this.capture.onError("CUTOVER_ERR_UPSTREAM_TIMEOUT");
    else this.capture.onEnd();
    // Still queued: aborted the moment undici hands it a connection (onRequestStart).
    this.controller?.abort(new Error(`mirror ${why}`));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.cut) controller.abort(new Error("mirror deadline"));
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.answered = true;
    if (!this.cut) this.capture.onStart(status, headers);
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.cut) return;
    this.capture.onData(chunk);
    if (this.capture.full) this.stop("capture_full");
  }

  onResponseEnd(): void {
    clearTimeout(this.timer);
    this.capture.onEnd();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    clearTimeout(this.timer);
    if (!this.answered && !this.cut && this.retry?.(err)) return;
    this.capture.onError(upstreamErrorCode(err).code);
  }
}
