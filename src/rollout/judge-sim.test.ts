import assert from "node:assert/strict";
import { test } from "node:test";
import { BASE, fixedSampleBound, runMany, scenarios } from "../../bench/judge-sim.js";

// Fast versions of bench/judge-sim.ts: few runs, fixed seeds, the table's bounds. The full
// table (1,000 runs) is `node dist/bench/judge-sim.js`.

const sc = scenarios();
const SEED = 42;
// Judging every 2 minutes of simulated time keeps this file at a few seconds.
const FAST = { judgeEveryMs: 120_000 };

test("A/A at 5%: no false rollback in 8 one-hour stages", () => {
  const s = runMany({ ...BASE, ...FAST, stages: [5, 25, 50, 100], lastStageIndex: 0, candidate: {} }, 8, SEED);
  assert.equal(s.rollbacks, 0);
});

test("errors 1% → 3% at 5% are caught, mostly within a few hundred candidate requests", () => {
  const s = runMany({ ...sc.errors!, ...FAST, maxCandidateRequests: 1500 }, 10, SEED);
  assert.ok(s.rate >= 0.9, `caught ${s.rate}`);
  assert.ok(s.medianN <= 600, `median ${s.medianN}`);
  assert.ok(s.withinN(300) >= 0.2, `within 300: ${s.withinN(300)}`);
});

test("p95 latency +50% at 5% is caught within 500 candidate requests", () => {
  const s = runMany({ ...sc.latency!, ...FAST }, 10, SEED);
  assert.equal(s.withinN(500), 1);
});

test("400 → 422 on one route is caught", () => {
  const s = runMany({ ...sc.status!, ...FAST }, 10, SEED);
  assert.equal(s.rate, 1);
  assert.ok(s.p95N <= 600, `p95 ${s.p95N}`);
});

test("one broken user: no rollback, no promotion, reported", () => {
  const s = runMany({ ...sc.broken!, ...FAST }, 3, SEED);
  assert.equal(s.rollbacks, 0);
  assert.equal(s.promotions, 0);
  assert.equal(s.concentration, 1);
});

test("the Neyman–Pearson bound behind target (2)", () => {
  // At the error test's level (0.01) the best single look at n = 300 catches 1% → 3% ~55% of the time.
  const b = fixedSampleBound(300, 0.01, 0.03, 0.01);
  assert.equal(b.critical, 9);
  assert.ok(b.power > 0.5 && b.power < 0.6, `power ${b.power}`);
});
