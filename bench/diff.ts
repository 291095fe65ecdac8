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
  const items = Array.from({ length: 9 }, (_, i) => item(i, changed));
  return {
    items,
    meta: { page: 1, per_page: 9, total: changed ? 10 : 9, request_id: "6f1c2e0a-8c4b-4a8e-9d7a-0f3b2c1d4e5f" },
    owner: { id: 42, display_name: "Zoë Ångström", email: "zoe@example.test" },
  };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

/** Flask's jsonify: sorted keys, \uXXXX escapes, trailing newline. */
function flaskJson(v: unknown): string {
  const s = JSON.stringify(sortKeys(v)).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${s}\n`;
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
for (const c of cases) {
  const found = diffResponses(c.legacy, c.candidate, opts).length;
  for (let i = 0; i < 5000; i++) diffResponses(c.legacy, c.candidate, opts); // warm-up (JIT)
  let n = 0;
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < end) {
    for (let i = 0; i < 500; i++) diffResponses(c.legacy, c.candidate, opts);
    n += 500;
    now = process.hrtime.bigint();
  }
  const cpu = process.cpuUsage(cpu0);
  const wall = n / (Number(now - start) / 1e9);
  // CPU time too: on a shared machine wall-clock throughput understates what one core does.
  const perCpu = n / ((cpu.user + cpu.system) / 1e6);
  const fmt = (x: number): string => Math.round(x).toLocaleString("en-US").padStart(10);
  console.log(`${c.name.padEnd(34)} ${fmt(wall)} pairs/s wall ${fmt(perCpu)} pairs/CPU-s  (${found} differences)`);
}
