import { Agent, type Dispatcher } from "undici";
import type { CapturedResponse } from "../diff/types.js";
import { staleConnection, upstreamErrorCode } from "../proxy/errors.js";
import { connectionPool, reusedConnection } from "../proxy/upstream.js";
import type { RequestParts } from "../correlate/correlate.js";

/** Bodies kept per answer for comparison, as the mirror does; larger answers are compared on their first bytes. */
export const REPLAY_CAPTURE_CAP = 1 << 20;

/** One upstream a replay sends to: its base URL (a path prefix is kept) and a bounded connection pool. */
export class ReplayTarget {
  readonly origin: string;
  readonly basePath: string;

  constructor(
    url: string,
    private readonly agent: Dispatcher,
    private readonly timeoutMs: number,
  ) {
    const u = new URL(url);
    this.origin = u.origin;
    this.basePath = u.pathname.replace(/\/$/, "");
  }

  /**
   * send one request and capture the answer (never throws: a failure is an answer with `error`).
   * A body-less GET whose kept-alive connection the upstream closed before answering is sent once
   * more, as the gateway does (proxy/errors.ts staleConnection): the race is not the upstream's answer.
   */
  async send(method: string, req: RequestParts, retried = false): Promise<CapturedResponse> {
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    const times: number[] = [];
    let bytes = 0;
    let truncated = false;
    let answered = false;
    const opts: Dispatcher.RequestOptions = {
      origin: this.origin,
      path: this.basePath + req.target,
      method,
      headers: req.headers.flat(),
      body: req.body ?? null,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    };
    try {
      const res = await this.agent.request(opts);
      answered = true;
      const headersMs = performance.now() - t0;
      for await (const c of res.body as AsyncIterable<Buffer>) {
        if (times.length < 1000) times.push(performance.now() - t0);
        if (truncated) continue;
        if (bytes + c.length > REPLAY_CAPTURE_CAP) {
          chunks.push(c.subarray(0, REPLAY_CAPTURE_CAP - bytes));
          truncated = true;
          bytes = REPLAY_CAPTURE_CAP;
        } else {
          chunks.push(c);
          bytes += c.length;
        }
      }
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = v;
      return {
        status: res.statusCode,
        headers,
        body: Buffer.concat(chunks),
        truncated,
        timing: { headersMs, totalMs: performance.now() - t0, chunks: times },
      };
    } catch (err) {
      if (!retried && !answered && staleConnection(method, req.body != null, reusedConnection(opts), err as Error)) {
        return this.send(method, req, true);
      }
      const ms = performance.now() - t0;
      return {
        status: 0,
        headers: {},
        body: Buffer.alloc(0),
        truncated: false,
        error: upstreamErrorCode(err as Error).code,
        timing: { headersMs: ms, totalMs: ms },
      };
    }
  }
}

/** One agent for a whole replay: at most `connections` sockets per upstream. */
export function replayAgent(connections: number): Agent {
  return new Agent({ connections, pipelining: 1, keepAliveTimeout: 4000, factory: connectionPool });
}
