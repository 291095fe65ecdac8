import { setTimeout as sleep } from "node:timers/promises";
import { build, type Histogram } from "hdr-histogram-js";
import { Pool } from "undici";
import { fingerprint } from "./answer.js";
import type { BenchRequest } from "./input.js";

/**
 * The load client: one undici Pool per side and phase. Closed loop keeps `level` requests in
 * flight (connections = concurrency); open loop sends at `level` requests per second on a fixed
 * schedule whatever the answers do, and measures each latency from the request's *intended* send
 * time, so a stalled server shows up as latency instead of as fewer requests (no coordinated
 * omission). Latencies go into an HDR histogram in microseconds.
 */

export type LoadMode = "closed" | "open";

export interface PhaseSpec {
  mode: LoadMode;
  /** Concurrency (closed) or requests per second (open). */
  level: number;
  durationMs: number;
  /** Pool connections: the concurrency in closed loop; for open loop the caller picks. */
  connections: number;
  /** Per-request limit for headers and for body silence. */
  timeoutMs: number;
  /** Open loop only: unanswered requests allowed at once (default MAX_OPEN_BACKLOG). */
  maxBacklog?: number;
  /** Closed loop only: stop after this many requests (the check pass sends each request once). */
  maxRequests?: number;
}

export interface PhaseOutcome {
  /** Requests finished (answered or failed). */
  requests: number;
  /** Transport failures plus 5xx answers. */
  errors: number;
  /** Count per status class (`2xx` ...) and per failure (`error:UND_ERR_SOCKET`, `error:BENCH_BACKLOG` ...). */
  outcomes: Record<string, number>;
  /** From the first send to the last answer. */
  elapsedMs: number;
  /** Latency of answered requests, microseconds. */
  histogram: Histogram;
}

/**
 * Open loop: requests sent and not yet answered, at most. A side that falls this far behind has its
 * further sends counted as errors (`error:BENCH_BACKLOG`) instead of queueing without bound.
 */
export const MAX_OPEN_BACKLOG = 10_000;

/** Bytes of each answer read for its fingerprint; the rest is read and counted, not kept. */
const FINGERPRINT_BYTES = 1 << 20;

export function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

export interface PhaseHooks {
  /** Each answer's fingerprint, by index into the input. */
  onAnswer(index: number, fp: string): void;
  /** Finished requests so far, for progress. */
  progress?: { done: number };
}

type Sent = { status: number; fp: string } | { error: string };

async function send(pool: Pool, prefix: string, req: BenchRequest): Promise<Sent> {
  try {
    const res = await pool.request({
      method: req.method,
      path: prefix + req.path,
      headers: req.headers,
      body: req.body,
    });
    const chunks: Buffer[] = [];
    let kept = 0;
    let truncated = false;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      if (kept < FINGERPRINT_BYTES) {
        chunks.push(chunk);
        kept += chunk.length;
      } else truncated = true;
    }
    const headers = res.headers as Record<string, string | string[]>;
    return { status: res.statusCode, fp: fingerprint(res.statusCode, headers, Buffer.concat(chunks), truncated) };
  } catch (err) {
    return { error: (err as NodeJS.ErrnoException).code ?? (err as Error).name };
  }
}

/** runPhase loads one side for one phase and returns what it measured. */
export async function runPhase(
  base: string,
  requests: readonly BenchRequest[],
  spec: PhaseSpec,
  hooks: PhaseHooks,
): Promise<PhaseOutcome> {
  const url = new URL(base);
  const prefix = url.pathname.replace(/\/+$/, "");
  const pool = new Pool(url.origin, {
    connections: spec.connections,
    headersTimeout: spec.timeoutMs,
    bodyTimeout: spec.timeoutMs,
    connectTimeout: spec.timeoutMs,
  });
  const histogram = newHistogram();
  const outcomes: Record<string, number> = {};
  let finished = 0;
  let errors = 0;
  let cursor = 0;
  const record = (index: number, r: Sent, fromMs: number): void => {
    finished++;
    if (hooks.progress) hooks.progress.done++;
    const key = "error" in r ? `error:${r.error}` : `${Math.floor(r.status / 100)}xx`;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
    if ("error" in r) {
      errors++;
      return;
    }
    if (r.status >= 500) errors++;
    histogram.recordValue(Math.max(1, Math.round((performance.now() - fromMs) * 1000)));
    hooks.onAnswer(index, r.fp);
  };
  const one = async (intended: number): Promise<void> => {
    const index = cursor++ % requests.length;
    const req = requests[index];
    if (req) record(index, await send(pool, prefix, req), intended);
  };

  const start = performance.now();
  const end = start + spec.durationMs;
  try {
    if (spec.mode === "closed") {
      const worker = async (): Promise<void> => {
        const max = spec.maxRequests ?? Infinity;
        while (performance.now() < end && cursor < max) await one(performance.now());
      };
      await Promise.all(Array.from({ length: spec.level }, worker));
    } else {
      const interval = 1000 / spec.level;
      const inFlight = new Set<Promise<void>>();
      for (let k = 0; ;) {
        const now = performance.now();
        // Everything due by now goes out, each stamped with its own intended time (also after
        // a late wake-up past the end: the schedule is rate × duration sends, always).
        for (let due = start + k * interval; due <= now && due < end; due = start + ++k * interval)
          if (inFlight.size >= (spec.maxBacklog ?? MAX_OPEN_BACKLOG))
            record(cursor++ % requests.length, { error: "BENCH_BACKLOG" }, due);
          else {
            const p = one(due).finally(() => inFlight.delete(p));
            inFlight.add(p);
          }
        if (start + k * interval >= end) break;
        await sleep(Math.max(0, start + k * interval - performance.now()));
      }
      await Promise.all(inFlight);
    }
  } finally {
    await pool.close();
  }
  return { requests: finished, errors, outcomes, elapsedMs: performance.now() - start, histogram };
}
