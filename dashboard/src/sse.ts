// Server-sent events over fetch. EventSource cannot send an Authorization header, so the
// dashboard reads GET /api/events with fetch and a stream reader and parses the event stream
// itself (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).
import { authHeaders, errorFrom, type ApiError } from "./api";

export interface SseEvent {
  event: string;
  data: string;
  id: string;
}

/** SseParser turns chunks of text into events; a partial line or event waits for the next chunk. */
export class SseParser {
  private buf = "";
  private event = "";
  private data: string[] = [];
  private id = "";

  constructor(private readonly emit: (e: SseEvent) => void) {}

  push(chunk: string): void {
    this.buf += chunk;
    for (;;) {
      const m = /\r\n|\n|\r/.exec(this.buf);
      if (!m) return;
      // A lone \r at the very end may be the first half of \r\n: wait for more.
      if (m[0] === "\r" && m.index === this.buf.length - 1) return;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      this.line(line);
    }
  }

  private line(line: string): void {
    if (line === "") {
      if (this.data.length > 0) this.emit({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
      this.event = "";
      this.data = [];
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.id = value;
  }
}

export type StreamState =
  | { state: "connecting" }
  | { state: "open"; since: number }
  | { state: "retrying"; at: number; attempt: number; error: string };

export interface StreamHandle {
  close(): void;
}

const BACKOFF_MS = [1000, 2000, 4000, 8000, 15000];

/**
 * subscribe reads an event stream and reconnects with backoff (1, 2, 4, 8, then every 15 s,
 * ±20 % jitter) whenever it ends, fails, or stays silent for `idleMs` (the gateway sends a tick
 * every second, so silence means a dead connection nobody closed); an answered error such as
 * 401 is handed to `onError`, which decides whether to keep trying.
 */
export function subscribe(
  path: string,
  token: string,
  handlers: {
    onEvent: (e: SseEvent) => void;
    onState: (s: StreamState) => void;
    /** Return false to stop reconnecting (e.g. the token was refused). */
    onError?: (e: ApiError) => boolean;
  },
  idleMs = 5000,
): StreamHandle {
  // A function, so a check after an await sees a close() made meanwhile.
  let closedFlag = false;
  const closed = (): boolean => closedFlag;
  let attempt = 0;
  let ctrl: AbortController | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  let stalled = false;
  const wasStalled = (): boolean => stalled;
  const arm = (c: AbortController): void => {
    clearTimeout(watchdog);
    watchdog = setTimeout(() => {
      stalled = true;
      c.abort();
    }, idleMs);
  };

  const retry = (error: string): void => {
    clearTimeout(watchdog);
    if (closed()) return;
    const base = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)] ?? 15000;
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    attempt++;
    handlers.onState({ state: "retrying", at: Date.now() + delay, attempt, error });
    timer = setTimeout(() => void connect(), delay);
  };

  const connect = async (): Promise<void> => {
    if (closed()) return;
    handlers.onState({ state: "connecting" });
    const c = (ctrl = new AbortController());
    stalled = false;
    arm(c);
    try {
      const res = await fetch(path, {
        headers: { ...authHeaders(token), accept: "text/event-stream" },
        cache: "no-store",
        signal: c.signal,
      });
      if (!res.ok || !res.body) {
        const err = await errorFrom(res);
        if (handlers.onError && !handlers.onError(err)) return;
        retry(`${err.code}: ${err.message}`);
        return;
      }
      attempt = 0;
      handlers.onState({ state: "open", since: Date.now() });
      const parser = new SseParser(handlers.onEvent);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        arm(c);
        parser.push(value);
      }
      retry("the stream ended");
    } catch (err) {
      if (closed()) return;
      retry(wasStalled() ? `no event for ${idleMs / 1000} s` : (err as Error).message || "network error");
    }
  };

  void connect();
  return {
    close() {
      closedFlag = true;
      clearTimeout(timer);
      clearTimeout(watchdog);
      ctrl?.abort();
    },
  };
}
