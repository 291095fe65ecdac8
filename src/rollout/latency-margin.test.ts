import assert from "node:assert/strict";
import { test } from "node:test";
import { parseLatencyMargin } from "../config/units.js";
import { createRng, type Rng } from "../stats/rng.js";
import { judge, parseMargins, type JudgeConfig, type Verdict } from "./judge.js";
import { Window } from "./window.js";

/**
 * The p95 margin has an absolute floor: a candidate is slower only when worse than legacy by both
 * the relative part and the milliseconds. A WSGI → ASGI port at 1.5 ms against 0.7 ms is healthy;
 * one that adds 100 ms is not.
 */

const DEFAULTS: JudgeConfig = {
  min_duration: 600_000,
  max_duration: 3_600_000,
  // The schema's defaults (config/schema-evidence.ts), so the test judges what an unconfigured rollout gets.
  margins: { error_rate: 0.5, p95_latency: "+20% and +25ms", parity: 0.1 },
  on_timeout: "hold",
  coverage_min_requests: 20,
};

/** Requests with log-normal latency around `medianMs`, times `factor`, plus `addMs`. */
function fill(w: Window, rng: Rng, target: "legacy" | "candidate", n: number, lat: (rng: Rng) => number): void {
  for (let i = 0; i < n; i++) {
    w.record({
      route: "GET /items",
      target,
      user: `${target}-${rng.int(n / 3)}`,
      status: 200,
      latencyMs: lat(rng),
      error: false,
      mirrored: false,
      at: 1000 + i,
      id: `${target}-${i}`,
    });
  }
}

const logNormal =
  (medianMs: number, factor = 1, addMs = 0) =>
  (rng: Rng): number =>
    medianMs * Math.exp(0.5 * rng.normal()) * factor + addMs;

function run(config: JudgeConfig, legacy: (rng: Rng) => number, candidate: (rng: Rng) => number, seed = 3): Verdict {
  const rng = createRng(seed);
  const w = new Window();
  fill(w, rng, "legacy", 3000, legacy);
  fill(w, rng, "candidate", 3000, candidate);
  return judge({
    window: w,
    now: 3_600_000 / 2,
    config,
    stage: { index: 3, value: 50, count: 6, startedAt: 0, warmupUntil: 30_000 },
  });
}

const latencyFailures = (v: Verdict): string[] =>
  v.checks.filter((c) => c.name === "latency_tail" && c.status === "fail").map((c) => `${c.kind}:${c.route ?? "all"}`);

test("a healthy candidate 2× slower at a sub-millisecond p95 is promoted with the default margins", () => {
  // legacy p95 ≈ 0.7 ms, candidate p95 ≈ 1.5 ms: twice as slow, 0.8 ms worse.
  const v = run(DEFAULTS, logNormal(0.31), logNormal(0.31, 2.1));
  assert.equal(v.outcome, "promote", v.reasons.join("\n"));
  assert.deepEqual(latencyFailures(v), []);
  const gate = v.checks.find((c) => c.name === "latency_tail" && c.kind === "gate");
  assert.match(gate?.summary ?? "", /\+20% and \+25 ms/);
  assert.equal(gate?.numbers.floor_ms, 25);
  // Without the floor, the same window is a regression: the floor is what promotes it.
  const bare = run(
    { ...DEFAULTS, margins: { ...DEFAULTS.margins, p95_latency: "+20% and +0ms" } },
    logNormal(0.31),
    logNormal(0.31, 2.1),
  );
  assert.equal(bare.outcome, "rollback", bare.reasons.join("\n"));
});

test("a candidate +100 ms at p95 is rolled back with the default margins", () => {
  const v = run(DEFAULTS, logNormal(40), logNormal(40, 1, 100));
  assert.equal(v.outcome, "rollback", v.reasons.join("\n"));
  assert.ok(latencyFailures(v).length > 0, v.reasons.join("\n"));
});

test("latency margins parse: both parts, either alone (the other keeps its default), numbers; bad ones are refused", () => {
  const m = (p95_latency: string | number): { p95: number; p95FloorMs: number } => {
    const { p95, p95FloorMs } = parseMargins({ error_rate: 0.5, p95_latency, parity: 0.1 });
    return { p95, p95FloorMs };
  };
  assert.deepEqual(m("+20% and +25ms"), { p95: 0.2, p95FloorMs: 25 });
  assert.deepEqual(m("+30ms, +50%"), { p95: 0.5, p95FloorMs: 30 });
  assert.deepEqual(m("+50%"), { p95: 0.5, p95FloorMs: 25 });
  assert.deepEqual(m("+0.1s"), { p95: 0.2, p95FloorMs: 100 });
  assert.deepEqual(m(50), { p95: 0.5, p95FloorMs: 25 });
  for (const bad of ["fast", "+20% and +30%", "+20ms and", "-5%"])
    assert.ok("error" in parseLatencyMargin(bad), `${bad} must be refused`);
});
