import assert from "node:assert/strict";
import { test } from "node:test";
import { judge, type Check, type JudgeConfig, type JudgeInput } from "./judge.js";
import { Window, type RequestSample, type WindowSnapshot } from "./window.js";

const CONFIG: JudgeConfig = {
  min_duration: 600_000,
  max_duration: 3_600_000,
  margins: { error_rate: "+0.5pt", p95_latency: "+20%", parity: "0.1%" },
  on_timeout: "hold",
  coverage_min_requests: 5,
};

function send(w: Window, n: number, over: Partial<RequestSample> & { endpoint: string }): void {
  for (let i = 0; i < n; i++)
    w.record({
      route: "api",
      target: "legacy",
      user: `u${i}`,
      status: 200,
      latencyMs: 10,
      error: false,
      mirrored: false,
      at: 1000 + i,
      ...over,
    });
}

const last = { index: 4, value: 50, count: 6, startedAt: 0, warmupUntil: 0 } as const;
function coverageOf(w: Window, over: Partial<JudgeInput> = {}): Check {
  const v = judge({ window: w, stage: last, now: 1_800_000, config: CONFIG, routes: ["api"], ...over });
  const c = v.checks.find((x) => x.name === "coverage");
  assert.ok(c, "the coverage gate is judged before the last stage");
  return c;
}

test("the coverage gate works per endpoint: GET and POST of one path are judged apart", () => {
  const w = new Window();
  send(w, 50, { endpoint: "GET /items" });
  send(w, 10, { endpoint: "GET /items", target: "candidate" });
  send(w, 3, { endpoint: "POST /items" });
  send(w, 4, { endpoint: "POST /items", target: "candidate", mirrored: true });
  const held = coverageOf(w);
  assert.equal(held.status, "inconclusive");
  assert.match(
    held.summary,
    /^1 of 2 endpoints legacy served have not reached the candidate 5 times yet: POST \/items \(4 of 5\)\./,
  );
  assert.deepEqual([held.numbers.endpoints_due, held.numbers.endpoints_missing], [2, 1]);
  // The route as a whole reached the candidate 14 times: a per-route gate would have passed.
  assert.deepEqual(w.coverage().get("api"), { legacy: 53, candidate: 10, mirrored: 4 });

  send(w, 1, { endpoint: "POST /items", target: "candidate" });
  assert.equal(coverageOf(w).status, "pass");
});

test("inventory endpoints nobody called are named but never block; endpoints of other routes are not judged", () => {
  const w = new Window();
  send(w, 20, { endpoint: "GET /items" });
  send(w, 5, { endpoint: "GET /items", target: "candidate" });
  send(w, 20, { endpoint: "GET /other", route: "elsewhere" });
  const c = coverageOf(w, { inventory: ["GET /items", "DELETE /items/{id}"] });
  assert.equal(c.status, "pass");
  assert.equal(c.numbers.endpoints_never_exercised, 1);
  assert.match(c.summary, /1 inventory endpoint was never exercised \(not blocking\): DELETE \/items\/\{id\}/);
});

test("endpoint coverage survives a snapshot, a merge and a stage reset; the cap folds the rest", () => {
  const w = new Window({ maxEndpoints: 2 });
  send(w, 2, { endpoint: "GET /a" });
  send(w, 2, { endpoint: "GET /b" });
  send(w, 3, { endpoint: "GET /c" });
  send(w, 1, { endpoint: "GET /d" });
  assert.deepEqual([...w.endpointCoverage().keys()], ["GET /a", "GET /b", "(other endpoints)"]);
  assert.equal(w.endpointsFolded, 4, "folded requests are counted");
  const back = Window.fromSnapshot(JSON.parse(JSON.stringify(w.snapshot())) as WindowSnapshot);
  back.merge(Window.fromSnapshot(w.snapshot()));
  back.reset({ from: 5000 });
  assert.deepEqual(back.endpointCoverage().get("(other endpoints)"), {
    route: "api",
    legacy: 8,
    candidate: 0,
    mirrored: 0,
  });
  assert.equal(back.endpointsFolded, 8);
  back.reset({ coverage: true });
  assert.equal(back.endpointCoverage().size, 0);
});

test("a window stored before endpoints were counted keeps the per-route gate", () => {
  const w = new Window();
  send(w, 30, { endpoint: "GET /x" });
  const snap = w.snapshot();
  delete snap.endpoints;
  const c = coverageOf(Window.fromSnapshot(snap));
  assert.match(c.summary, /routes legacy served more than 5 times/);
});

test("parity is pooled over the routes but counted per endpoint: the check names the endpoints that differed", () => {
  const w = new Window();
  send(w, 40, { endpoint: "GET /items" });
  send(w, 40, { endpoint: "GET /items", target: "candidate", mirrored: true });
  for (let i = 0; i < 30; i++) w.recordParity({ route: "api", endpoint: "GET /items", mismatch: false, at: 2000 });
  for (let i = 0; i < 10; i++)
    w.recordParity({ route: "api", endpoint: "POST /items", mismatch: i < 4, at: 2000, id: `p${i}` });
  w.recordParity({ route: "elsewhere", endpoint: "GET /other", mismatch: true, at: 2000 });
  const stored = Window.fromSnapshot(JSON.parse(JSON.stringify(w.snapshot())) as WindowSnapshot);
  assert.deepEqual(stored.endpointParity().get("POST /items"), { route: "api", n: 10, mismatches: 4 });
  const v = judge({
    window: stored,
    stage: { index: 0, value: "shadow", count: 3, startedAt: 0, warmupUntil: 0 },
    now: 1_800_000,
    config: CONFIG,
    routes: ["api"],
  });
  const parity = v.checks.find((c) => c.name === "parity" && c.kind === "guardrail");
  assert.match(parity?.summary ?? "", /4 of 40 comparisons .*\(by endpoint: POST \/items 4 of 10\)/);
  assert.equal(parity?.numbers.endpoints_differing, 1, "GET /other is not one of the rollout's routes");
  stored.reset();
  assert.equal(stored.endpointParity().size, 0, "parity is per stage");
});
