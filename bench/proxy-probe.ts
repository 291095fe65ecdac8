/**
 * Sequential latency probe for bench/proxy.ts: one undici `Client`, one keep-alive connection, one
 * request in flight. Sends `warmup` requests, then back-to-back requests for `seconds`, and prints
 * one JSON line with percentiles in µs. The probe's own overhead is part of every figure, so compare
 * configurations against `direct` measured in the same round.
 *
 * usage: node dist/bench/proxy-probe.js <origin> <small|large|post> <seconds> [warmup=500]
 */
import { Client } from "undici";
import { CASE_SPECS, USERS, userId, type CaseName } from "./proxy-payloads.js";

const [origin, caseArg, secondsArg, warmArg] = process.argv.slice(2);
if (!origin || !caseArg || !(caseArg in CASE_SPECS)) {
  process.stderr.write("usage: proxy-probe <origin> <small|large|post> <seconds> [warmup]\n");
  process.exit(2);
}
const spec = CASE_SPECS[caseArg as CaseName];
const seconds = Number(secondsArg ?? "5");
const warmup = Number(warmArg ?? "500");

const client = new Client(origin, { pipelining: 1, keepAliveTimeout: 60_000 });
const headers = Array.from({ length: USERS }, (_, i) =>
  spec.body ? { "x-user-id": userId(i), "content-type": "application/json" } : { "x-user-id": userId(i) },
);

let errors = 0;
async function once(i: number): Promise<void> {
  const r = await client.request({
    path: spec.path,
    method: spec.method,
    headers: headers[i % USERS],
    body: spec.body,
  });
  const buf = Buffer.from(await r.body.arrayBuffer());
  if (r.statusCode !== 200 || buf.length !== spec.expect.length) errors++;
}

function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const k = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[k] ?? Number.NaN;
}

async function main(): Promise<void> {
  for (let i = 0; i < warmup; i++) await once(i);
  errors = 0;
  const samples: number[] = [];
  const end = process.hrtime.bigint() + BigInt(Math.round(seconds * 1e9));
  let i = 0;
  for (;;) {
    const t0 = process.hrtime.bigint();
    if (t0 >= end) break;
    await once(i++);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  await client.close();
  const sorted = Float64Array.from(samples).sort();
  const mean = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  process.stdout.write(
    JSON.stringify({
      n: samples.length,
      errors,
      p50: pct(sorted, 50),
      p90: pct(sorted, 90),
      p99: pct(sorted, 99),
      p999: pct(sorted, 99.9),
      mean,
    }) + "\n",
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`probe failed: ${String(err)}\n`);
  process.exit(1);
});
