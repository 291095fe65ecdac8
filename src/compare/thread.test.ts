import assert from "node:assert/strict";
import { test } from "node:test";
import { pino } from "pino";
import { captured } from "../diff/testing.js";
import type { DiffOptions } from "../diff/types.js";
import { computePair, type PairJob, type PairResult } from "./compare.js";
import { ComparisonThread } from "./thread.js";

const options: DiffOptions = { ignoreHeaders: [], ignorePaths: [], presets: [] };
const log = pino({ level: "silent" });
const json = { "content-type": "application/json" };

function job(i: number): PairJob {
  // A pooled Buffer slice (as captures often are) must arrive intact on the other thread.
  const pooled = Buffer.from(JSON.stringify({ id: i, user_name: "ada", big: 9007199254740993n.toString() }));
  return {
    request: { method: "GET", headers: { accept: "application/json" } },
    legacy: captured(200, { ...json, "x-request-id": `r${i}` }, pooled),
    candidate: captured(200, json, JSON.stringify({ id: String(i), username: "ada", big: "9007199254740993" })),
    secondary: captured(200, json, JSON.stringify({ id: i, user_name: "ada", big: "9007199254740993" })),
  };
}

function run(w: ComparisonThread, j: PairJob): Promise<PairResult> {
  return new Promise((resolve, reject) => {
    const queued = w.run(j, (err, r) => (r ? resolve(r) : reject(err ?? new Error("no result"))));
    if (!queued) reject(new Error("refused"));
  });
}

test("the worker thread computes exactly what the inline comparison does", async () => {
  const w = new ComparisonThread(options, log);
  try {
    const jobs = Array.from({ length: 200 }, (_, i) => job(i));
    const results = await Promise.all(jobs.map((j) => run(w, j)));
    results.forEach((r, i) => assert.deepEqual(r, computePair(jobs[i]!, options)));
    const kinds = results[7]!.diffs.map((d) => d.kind).sort();
    assert.deepEqual(kinds, ["field_renamed", "header_missing", "type_changed"]);
    assert.ok(results[7]!.legacyLeaves?.some(([path]) => path === "$.user_name"));
    assert.equal(w.size, 0);
  } finally {
    await w.close();
  }
});

test("the worker refuses work beyond its bound, and close() finishes what is pending", async () => {
  const w = new ComparisonThread(options, log, 3);
  const done: (PairResult | undefined)[] = [];
  const accepted = Array.from({ length: 5 }, (_, i) => w.run(job(i), (_e, r) => done.push(r)));
  assert.deepEqual(accepted, [true, true, true, false, false]);
  await w.close();
  assert.equal(done.length, 3);
  assert.ok(done.every((r) => r !== undefined));
  assert.equal(
    w.run(job(9), () => undefined),
    false,
    "a closed worker takes nothing",
  );
});

test("a failing comparison reports its error and the worker keeps going", async () => {
  const w = new ComparisonThread(options, log);
  try {
    const bad = job(1);
    // Not a Buffer on arrival: computePair throws inside the worker.
    (bad.legacy as unknown as { headers: unknown }).headers = null;
    await assert.rejects(run(w, bad));
    assert.equal((await run(w, job(2))).diffs.length, 3);
  } finally {
    await w.close();
  }
});
