/**
 * Paced (open-loop) load for bench/mirror.ts: `rate` GET /api/orders/<1..256> per second at fixed
 * intervals, whether or not earlier answers came back, over one undici `Pool` (keep-alive,
 * `conns` connections, no pipelining). Requests that find every connection busy wait in the pool's
 * queue, and that wait is part of their latency, so a stalling gateway cannot slow the offered load
 * down (no coordinated omission), unlike wrk, which is closed-loop.
 *
 * The pacer wakes on a timer (~1 ms granularity) and sends every request whose slot has passed, so
 * requests leave in small bursts of 1–3 at typical rates. Latency is measured from the moment a
 * request is handed to the pool until its body has been read; the pacer's own lateness (slot →
 * hand-off) is reported separately as `lagMs` and, added to the latency, as `fromSlotMs`.
 *
 * Every answer is checked: status 200, a ~2 KiB body, and served by legacy (it must carry legacy's
 * field name); anything else counts as an error.
 *
 * usage: node dist/bench/mirror-load.js <origin> <rate> <warmupS> <seconds> <conns> <samplesFile>
 * Prints `MEASURE` when the first measured request leaves (after warm-up), then one JSON line.
 * Latencies (ms, measured requests in send order, NaN for errors) go to <samplesFile> as float64.
 */
import { writeFileSync } from "node:fs";
import { Pool } from "undici";
import { ORDERS, RENAMED_FROM } from "./mirror-backend.js";

export interface LoadResult {
  rate: number;
  warmupS: number;
  seconds: number;
  conns: number;
  /** Measured requests sent, completed OK, failed. */
  sent: number;
  ok: number;
  errors: { status: number; body: number; wrongBackend: number; transport: number; unfinished: number };
  firstError: string | undefined;
  /** Measured OK answers per second of the measured window (first send → last answer). */
  rps: number;
  sendRate: number;
  latMs: Pct;
  fromSlotMs: Pct;
  lagMs: Pct;
  /** p99 of the first and of the second half of the measured window (a drift check: JIT, growth). */
  p99Halves: [number, number];
  maxInflight: number;
  warmupSent: number;
  warmupErrors: number;
  /** This process's CPU time (user + system) over the measured window, µs. */
  cpuMeasureUs: number;
}

export interface Pct {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export function percentiles(values: ArrayLike<number>): Pct {
  const sorted = Float64Array.from(values)
    .filter((v) => !Number.isNaN(v))
    .sort();
  const at = (p: number): number => {
    if (sorted.length === 0) return Number.NaN;
    const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[k] ?? Number.NaN;
  };
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: sorted.length ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

async function main(): Promise<void> {
  const [origin, rateArg, warmArg, secArg, connsArg, samplesFile] = process.argv.slice(2);
  if (!origin || !samplesFile) {
    process.stderr.write("usage: mirror-load <origin> <rate> <warmupS> <seconds> <conns> <samplesFile>\n");
    process.exitCode = 2;
    return;
  }
  const rate = Number(rateArg);
  const warmupS = Number(warmArg);
  const seconds = Number(secArg);
  const conns = Number(connsArg);
  const pool = new Pool(origin, {
    connections: conns,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 5_000,
    bodyTimeout: 5_000,
  });
  const paths = Array.from({ length: ORDERS }, (_, i) => `/api/orders/${i + 1}`);
  const headers = Array.from({ length: ORDERS }, (_, i) => ({ "x-user-id": `user-${i + 1}` }));
  const marker = Buffer.from(`"${RENAMED_FROM}"`);

  const nWarm = Math.round(rate * warmupS);
  const nMeasure = Math.round(rate * seconds);
  const total = nWarm + nMeasure;
  const interval = 1000 / rate;
  const lat = new Float64Array(nMeasure).fill(Number.NaN);
  const lag = new Float64Array(nMeasure).fill(Number.NaN);
  const errors = { status: 0, body: 0, wrongBackend: 0, transport: 0, unfinished: 0 };
  let firstError: string | undefined;
  let warmupErrors = 0;
  let ok = 0;
  let inflight = 0;
  let maxInflight = 0;
  let next = 0;
  let firstSendAt = Number.NaN;
  let cpuAtMeasure = process.cpuUsage();
  let lastDoneAt = Number.NaN;
  let lastSendAt = Number.NaN;
  let resolveDone: () => void = () => undefined;
  const allDone = new Promise<void>((r) => (resolveDone = r));
  let settled = 0;

  const fail = (k: number, kind: keyof typeof errors, what: string): void => {
    if (k < nWarm) warmupErrors++;
    else errors[kind]++;
    firstError ??= what;
  };

  const fire = (k: number, slot: number): void => {
    const u = k % ORDERS;
    const t0 = performance.now();
    if (k === nWarm) {
      firstSendAt = t0;
      cpuAtMeasure = process.cpuUsage();
      process.stdout.write("MEASURE\n");
    }
    if (k >= nWarm) lag[k - nWarm] = t0 - slot;
    lastSendAt = t0;
    inflight++;
    if (inflight > maxInflight) maxInflight = inflight;
    pool
      .request({ path: paths[u]!, method: "GET", headers: headers[u] })
      .then(async (r) => {
        const body = Buffer.from(await r.body.arrayBuffer());
        const t1 = performance.now();
        if (r.statusCode !== 200) fail(k, "status", `status ${r.statusCode}`);
        else if (body.length < 1500 || body.length > 3000) fail(k, "body", `body of ${body.length} bytes`);
        else if (!body.includes(marker)) fail(k, "wrongBackend", `answer without ${RENAMED_FROM}`);
        else if (k >= nWarm) {
          lat[k - nWarm] = t1 - t0;
          ok++;
          lastDoneAt = t1;
        }
      })
      .catch((err: unknown) => fail(k, "transport", err instanceof Error ? `${err.name}: ${err.message}` : "error"))
      .finally(() => {
        inflight--;
        if (++settled === total) resolveDone();
      });
  };

  const start = performance.now() + 20;
  const tick = (): void => {
    const now = performance.now();
    while (next < total && start + next * interval <= now) {
      fire(next, start + next * interval);
      next++;
    }
    if (next < total) setTimeout(tick, Math.max(0, Math.floor(start + next * interval - performance.now())));
  };
  setTimeout(tick, 20);

  // Bounded: whatever has not come back 6 s after the last send (timeouts are 5 s) is counted.
  const deadline = (warmupS + seconds) * 1000 + 6_000 + 20;
  await Promise.race([allDone, new Promise<void>((r) => setTimeout(r, deadline).unref())]);
  if (settled < total) errors.unfinished = total - settled;
  const cpu = process.cpuUsage(cpuAtMeasure);
  await pool.destroy().catch(() => undefined);

  const window = (lastDoneAt - firstSendAt) / 1000;
  const fromSlot = lat.map((v, i) => v + (lag[i] ?? 0));
  const result: LoadResult = {
    rate,
    warmupS,
    seconds,
    conns,
    sent: nMeasure,
    ok,
    errors,
    firstError,
    rps: window > 0 ? ok / window : 0,
    sendRate: lastSendAt > firstSendAt ? (nMeasure - 1) / ((lastSendAt - firstSendAt) / 1000) : 0,
    latMs: percentiles(lat),
    fromSlotMs: percentiles(fromSlot),
    lagMs: percentiles(lag),
    p99Halves: [percentiles(lat.subarray(0, nMeasure >> 1)).p99, percentiles(lat.subarray(nMeasure >> 1)).p99],
    maxInflight,
    warmupSent: nWarm,
    warmupErrors,
    cpuMeasureUs: cpu.user + cpu.system,
  };
  writeFileSync(samplesFile, Buffer.from(lat.buffer));
  process.stdout.write(JSON.stringify(result) + "\n");
}

if (process.argv[1]?.endsWith("mirror-load.js")) {
  main().catch((err: unknown) => {
    process.stderr.write(`mirror-load failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
