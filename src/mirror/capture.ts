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
    private readonly startedAt: number,
    private readonly cap: number,
    private readonly onDone: () => void,
  ) {}

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
    this.error = code;
    this.finish();
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

/** CaptureHandler feeds a dispatched (mirrored) request's answer into a Capture. */
export class CaptureHandler implements Dispatcher.DispatchHandler {
  constructor(private readonly capture: Capture) {}

  // Its presence tells undici this handler uses the controller-based API (undici 7).
  onRequestStart(): void {
    /* nothing to do before the request is sent */
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    this.capture.onStart(status, headers);
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.capture.onData(chunk);
  }

  onResponseEnd(): void {
    this.capture.onEnd();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.capture.onError(upstreamErrorCode(err).code);
  }
}
