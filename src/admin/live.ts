import type { ServerResponse } from "node:http";
import { performance } from "node:perf_hooks";
import type { Target } from "../config/schema.js";
import type { LivePoint, SidePoint } from "./wire.js";

export type { LivePoint, SidePoint } from "./wire.js";

// Log-spaced latency buckets: 0.05 ms × 1.15^i, 96 of them reach ~34 s. Quantiles come back
// within 15 % (one bucket), which is what a chart needs; the judge keeps its own exact windows.
const BASE = 0.05;
const GROWTH = 1.15;
const N = 96;
const LOG_GROWTH = Math.log(GROWTH);
// A subscriber that has not read this much of the stream is dropped (it reconnects and resyncs).
const MAX_BUFFERED = 4 * 1024 * 1024;

/** Told how long each push held the event loop, in seconds. */
export type PushObserver = (kind: "tick" | "snapshot", seconds: number) => void;

class Second {
  count = 0;
  errors = 0;
  readonly buckets = new Uint32Array(N);

  add(status: number, ms: number): void {
    this.count++;
    if (status >= 500) this.errors++;
    const i = ms <= BASE ? 0 : Math.min(N - 1, Math.ceil(Math.log(ms / BASE) / LOG_GROWTH));
    (this.buckets[i] as number)++;
  }

  quantile(q: number): number {
    if (this.count === 0) return 0;
    let need = Math.ceil(q * this.count);
    for (let i = 0; i < N; i++) {
      need -= this.buckets[i] ?? 0;
      if (need <= 0) return Math.round(BASE * GROWTH ** i * 1000) / 1000;
    }
    return BASE * GROWTH ** (N - 1);
  }

  point(): SidePoint {
    return {
      rps: this.count,
      errors: this.errors,
      error_rate: this.count ? this.errors / this.count : 0,
      p50: this.quantile(0.5),
      p95: this.quantile(0.95),
      p99: this.quantile(0.99),
    };
  }
}

/**
 * Live keeps the last ten minutes of per-second traffic for both targets and pushes each finished
 * second, with whatever else the dashboard shows, to subscribers over server-sent events. A tick
 * carries only what changed (route summaries touched that second), computed once for all
 * subscribers; a slow subscriber whose socket buffer passes MAX_BUFFERED is dropped, never
 * buffered without bound.
 */
export class Live {
  readonly series: LivePoint[] = [];
  private cur = { legacy: new Second(), candidate: new Second() };
  private readonly subscribers = new Set<ServerResponse>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    /** What each tick carries besides the point: increments only (it runs every second). */
    private readonly extra: () => Record<string, unknown>,
    /** The full findings summary a new subscriber starts from (`event: findings`). */
    private readonly snapshot: () => unknown = () => null,
    private readonly observe: PushObserver = () => {},
    private readonly keep = 600,
  ) {
    this.timer = setInterval(() => this.flush(), 1000).unref();
  }

  record(target: Target, status: number, ms: number): void {
    this.cur[target].add(status, ms);
  }

  /** subscribe turns `res` into an event stream: the series so far, then one `tick` per second. */
  subscribe(res: ServerResponse): void {
    const start = performance.now();
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    res.write(`event: series\ndata: ${JSON.stringify(this.series)}\n\n`);
    res.write(`event: findings\ndata: ${JSON.stringify(this.snapshot())}\n\n`);
    this.subscribers.add(res);
    res.on("close", () => this.subscribers.delete(res));
    this.observe("snapshot", (performance.now() - start) / 1000);
  }

  private flush(): void {
    const p: LivePoint = {
      t: Math.floor(Date.now() / 1000) * 1000,
      legacy: this.cur.legacy.point(),
      candidate: this.cur.candidate.point(),
    };
    this.cur = { legacy: new Second(), candidate: new Second() };
    this.series.push(p);
    if (this.series.length > this.keep) this.series.shift();
    if (this.subscribers.size === 0) return;
    const start = performance.now();
    const msg = `event: tick\ndata: ${JSON.stringify({ point: p, ...this.extra() })}\n\n`;
    for (const res of this.subscribers) {
      if (res.writableLength > MAX_BUFFERED) {
        this.subscribers.delete(res);
        res.destroy();
      } else res.write(msg);
    }
    this.observe("tick", (performance.now() - start) / 1000);
  }

  close(): void {
    clearInterval(this.timer);
    for (const res of this.subscribers) res.end();
    this.subscribers.clear();
  }
}
