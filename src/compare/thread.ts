import { Worker } from "node:worker_threads";
import type { Logger } from "pino";
import type { DiffOptions } from "../diff/types.js";
import type { PairJob, PairResult } from "./compare.js";
import { toWire, type WireJob, type WireResult } from "./transfer.js";

type Done = (err: Error | undefined, result?: PairResult) => void;

/** Restarts allowed per minute before the worker is given up and comparisons run inline. */
const MAX_RESTARTS = 5;
/**
 * Jobs queued in one turn of the event loop travel as one message (at most FLUSH_JOBS). Holding
 * them longer (a 10 ms timer) cut postMessage calls 4× at 400 req/s but made client p99 worse in
 * bench/mirror.ts: the worker then wakes with bursts of work that land on the event loop's core.
 */
const FLUSH_JOBS = 64;

/**
 * ComparisonThread runs computePair on a worker thread, so parsing and diffing never hold up the
 * event loop that serves clients. Jobs travel in batches (one per event-loop turn).
 * Bounded: `run` refuses work beyond `maxPending` (the caller counts it as skipped). A crashed
 * worker fails its pending jobs and is restarted; after MAX_RESTARTS in a minute it is given up
 * (`alive` turns false) and the caller compares inline.
 */
export class ComparisonThread {
  alive = true;
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Done>();
  private batch: WireJob[] = [];
  private scheduled = false;
  private seq = 0;
  private restarts: number[] = [];
  private closing = false;
  private idle: (() => void) | undefined;
  private onReady: (() => void) | undefined;
  /** Resolves when the first thread has loaded (or failed); the gateway awaits it before listening. */
  readonly ready: Promise<void>;

  constructor(
    private readonly options: DiffOptions,
    private readonly log: Logger,
    private readonly maxPending = 1024,
  ) {
    this.ready = new Promise((resolve) => (this.onReady = resolve));
    this.worker = this.spawn();
  }

  get size(): number {
    return this.pending.size;
  }

  /** run queues one comparison; false when the worker is saturated or gone (nothing was queued). */
  run(job: PairJob, done: Done): boolean {
    if (!this.alive || this.closing || this.pending.size >= this.maxPending) return false;
    const seq = ++this.seq;
    this.pending.set(seq, done);
    this.batch.push(toWire(seq, job));
    if (this.batch.length >= FLUSH_JOBS) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
    return true;
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.batch.length === 0) return;
    const batch = this.batch;
    this.batch = [];
    this.worker?.postMessage(batch);
  };

  private spawn(): Worker {
    const w = new Worker(new URL("./thread-main.js", import.meta.url), {
      workerData: { options: this.options },
    });
    w.unref();
    w.on("message", (results: WireResult[] | "ready") => {
      if (results === "ready") {
        this.onReady?.();
        return;
      }
      for (const r of results) {
        const done = this.pending.get(r.seq);
        if (!done) continue;
        this.pending.delete(r.seq);
        if ("error" in r) done(new Error(r.error));
        else done(undefined, r.result);
      }
      if (this.pending.size === 0) this.idle?.();
    });
    w.on("error", (err) => this.log.error({ err }, "comparison worker failed"));
    w.on("exit", (code) => {
      this.onReady?.();
      if (this.worker !== w) return;
      this.worker = undefined;
      this.failAll(new Error(`comparison worker exited with code ${code}`));
      if (this.closing) return;
      const now = Date.now();
      this.restarts = this.restarts.filter((t) => now - t < 60_000);
      if (this.restarts.length >= MAX_RESTARTS) {
        this.alive = false;
        this.log.error({ restarts: this.restarts.length }, "comparison worker keeps failing; comparing inline");
        return;
      }
      this.restarts.push(now);
      this.worker = this.spawn();
    });
    return w;
  }

  private failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    this.batch = [];
    for (const done of all) done(err);
    this.idle?.();
  }

  /** close waits up to `ms` for the pending comparisons, then stops the thread. */
  async close(ms = 2000): Promise<void> {
    this.closing = true;
    this.flush();
    if (this.pending.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, ms);
        this.idle = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    const w = this.worker;
    this.worker = undefined;
    this.failAll(new Error("comparison worker closed"));
    await w?.terminate();
  }
}
