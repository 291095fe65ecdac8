/**
 * Throughput of diffResponses on ~2 KiB JSON pairs, one core. Target: ≥ 20,000 pairs/s.
 * Run after the build: node dist/bench/diff.js [seconds per case, default 2]
 *
 * The pairs are shaped like Flask 2.2 vs FastAPI 0.92 answers (flask-fastapi-drift.md): legacy
 * sorts keys, escapes non-ASCII and ends with "\n"; the candidate keeps field order and raw UTF-8.
 * So "equal" pairs are semantically equal but never byte-equal, and take the full parse + walk.
 */
import { gzipSync } from "node:zlib";
import { diffResponses, type CapturedResponse, type DiffOptions } from "../src/diff/index.js";
import { flaskJson } from "../src/diff/testing.js";

const seconds = Number(process.argv[2] ?? "2");

function item(i: number, changed: boolean): Record<string, unknown> {
  return {
    id: i,
    name: `Produit n°${i} — édition spéciale`,
    price: changed && i === 3 ? 10.1 : `${10 + i}.10`,
    tags: ["alpha", "beta", i % 2 === 0 ? "even" : "odd"],
    in_stock: i % 3 !== 0,
    updated_at: changed && i === 5 ? "2024-01-02T03:04:05.678000" : "Tue, 02 Jan 2024 03:04:05 GMT",
  };
}

function document(changed: boolean): Record<string, unknown> {
  const items = Array.from({ length: 11 }, (_, i) => item(i, changed));
  return {
    items,
    meta: { page: 1, per_page: 11, total: changed ? 12 : 11, request_id: "6f1c2e0a-8c4b-4a8e-9d7a-0f3b2c1d4e5f" },
    owner: { id: 42, display_name: "Zoë Ångström", email: "zoe@example.test" },
  };
}

function response(body: string | Buffer, headers: Record<string, string>): CapturedResponse {
  return {
    status: 200,
    headers,
    body: typeof body === "string" ? Buffer.from(body) : body,
    truncated: false,
    timing: { headersMs: 1, totalMs: 2 },
  };
}

const flaskHeaders = {
  server: "gunicorn",
  date: "Tue, 02 Jan 2024 03:04:05 GMT",
  connection: "close",
  "content-type": "application/json",
  "content-length": "2100",
  "access-control-allow-origin": "*",
  vary: "Origin",
  "x-request-id": "a",
};
const fastapiHeaders = {
  date: "Tue, 02 Jan 2024 03:04:06 GMT",
  server: "uvicorn",
  "content-length": "2000",
  "content-type": "application/json",
  "access-control-allow-origin": "*",
  vary: "Origin",
  "x-request-id": "b",
};

const legacyText = flaskJson(document(false));
const opts: DiffOptions = {
  ignoreHeaders: ["x-request-id"],
  ignorePaths: ["$.meta.request_id"],
  presets: ["flask->fastapi"],
};

const cases: { name: string; legacy: CapturedResponse; candidate: CapturedResponse }[] = [
  {
    name: "byte-identical",
    legacy: response(legacyText, flaskHeaders),
    candidate: response(legacyText, flaskHeaders),
  },
  {
    name: "equal (Flask vs FastAPI bytes)",
    legacy: response(legacyText, flaskHeaders),
    candidate: response(JSON.stringify(document(false)), fastapiHeaders),
  },
  {
    name: "3 differences",
    legacy: response(legacyText, flaskHeaders),
    candidate: response(JSON.stringify(document(true)), fastapiHeaders),
  },
  {
    name: "equal, big ints (lossless path)",
    legacy: response(legacyText.replace('"id":42', '"id":9007199254740993'), flaskHeaders),
    candidate: response(JSON.stringify(document(false)).replace('"id":42', '"id":9007199254740993'), fastapiHeaders),
  },
  {
    name: "equal, candidate gzipped",
    legacy: response(legacyText, flaskHeaders),
    candidate: response(gzipSync(JSON.stringify(document(false))), { ...fastapiHeaders, "content-encoding": "gzip" }),
  },
];

console.log(`legacy body ${Buffer.byteLength(legacyText)} bytes; ${seconds}s per case; node ${process.version}`);
console.log(
  "On a shared machine other processes steal the core; batch timings show it. The p10 column is what one",
  "core does when it is not interrupted, the median what it did here; CPU-s divides by this process's CPU time.",
);
const BATCH = 250;
type Case = { name: string; run: () => number };
const runs: Case[] = cases.map((c) => ({ name: c.name, run: () => diffResponses(c.legacy, c.candidate, opts).length }));
// The floor: decoding and JSON.parse of both bodies, which every semantic comparison must pay.
const floor = cases[1];
if (floor) {
  runs.push({
    name: "floor: toString + JSON.parse ×2",
    run: () => {
      JSON.parse(floor.legacy.body.toString());
      JSON.parse(floor.candidate.body.toString());
      return 0;
    },
  });
}
const fmt = (x: number): string => Math.round(x).toLocaleString("en-US").padStart(10);
console.log(`${"case".padEnd(34)} ${"p10".padStart(10)} ${"median".padStart(10)} ${"per CPU-s".padStart(10)}  pairs/s`);
// Rounds interleave the cases, so load from other processes falls on all of them alike.
const found = runs.map((c) => c.run());
for (const c of runs) for (let i = 0; i < 5000; i++) c.run(); // warm-up (JIT)
const batches: number[][] = runs.map(() => []);
const cpuSeconds = runs.map(() => 0);
const end = process.hrtime.bigint() + BigInt(Math.round(seconds * runs.length * 1e9));
while (process.hrtime.bigint() < end) {
  runs.forEach((c, k) => {
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) c.run();
    batches[k]?.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const cpu = process.cpuUsage(cpu0);
    cpuSeconds[k] = (cpuSeconds[k] ?? 0) + (cpu.user + cpu.system) / 1e6;
  });
}
runs.forEach((c, k) => {
  const b = (batches[k] ?? []).sort((x, y) => x - y);
  const at = (q: number): number => b[Math.min(b.length - 1, Math.floor(q * b.length))] ?? 1;
  const perCpu = (b.length * BATCH) / (cpuSeconds[k] ?? 1);
  const diffs = c.name.startsWith("floor") ? "" : `  (${found[k] ?? 0} differences)`;
  console.log(`${c.name.padEnd(34)} ${fmt(BATCH / at(0.1))} ${fmt(BATCH / at(0.5))} ${fmt(perCpu)}${diffs}`);
});
