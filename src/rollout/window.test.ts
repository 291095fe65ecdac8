import assert from "node:assert/strict";
import { test } from "node:test";
import { Window, type RequestSample, type WindowSnapshot } from "./window.js";

const req = (over: Partial<RequestSample> = {}): RequestSample => ({
  route: "GET /items",
  target: "legacy",
  user: "u1",
  status: 200,
  latencyMs: 20,
  error: false,
  mirrored: false,
  at: 1000,
  ...over,
});

test("record keeps per (route, channel) counts, statuses, latency and users", () => {
  const w = new Window();
  w.record(req());
  w.record(req({ user: "u2", status: 500, error: true, latencyMs: 80, id: "r-2" }));
  w.record(req({ target: "candidate", status: 422, id: "r-3" }));
  w.record(req({ target: "candidate", mirrored: true }));
  // A mirrored copy the candidate never answered (reset): an error in its cell, no coverage.
  w.record(req({ target: "candidate", mirrored: true, status: 502, error: true, unanswered: true }));
  w.recordParity({ route: "GET /items", mismatch: true, at: 1000, id: "p-1" });
  const legacy = w.cell("GET /items", "legacy");
  assert.equal(legacy?.n, 2);
  assert.equal(legacy.errors, 1);
  assert.deepEqual(
    [...legacy.statuses],
    [
      [200, 1],
      [500, 1],
    ],
  );
  assert.equal(legacy.users.size, 2);
  assert.deepEqual(legacy.errorIds, ["r-2"]);
  assert.equal(w.cell("GET /items", "candidate")?.statusIds.get(422)?.[0], "r-3");
  assert.equal(w.cell("GET /items", "candidate:mirror")?.n, 2);
  assert.equal(w.cell("GET /items", "candidate:mirror")?.errors, 1);
  assert.deepEqual(w.parity("GET /items"), { n: 1, mismatches: 1, ids: ["p-1"] });
  assert.deepEqual(w.coverage().get("GET /items"), { legacy: 2, candidate: 1, mirrored: 1 });
  assert.equal(w.total("candidate"), 1);
});

test("snapshot is plain JSON and restores the same window", () => {
  const w = new Window({ maxUsers: 50 });
  for (let i = 0; i < 500; i++) {
    w.record(
      req({
        user: `u${i % 120}`,
        latencyMs: i % 97,
        error: i % 31 === 0,
        target: i % 5 ? "legacy" : "candidate",
        id: `r${i}`,
      }),
    );
  }
  w.recordParity({ route: "GET /items", mismatch: false, at: 5 });
  const snap = w.snapshot();
  const json = JSON.parse(JSON.stringify(snap)) as WindowSnapshot;
  assert.deepEqual(json, snap);
  const back = Window.fromSnapshot(json);
  assert.deepEqual(back.snapshot(), snap);
  assert.equal(
    back.cell("GET /items", "legacy")?.latency.quantile(0.95),
    w.cell("GET /items", "legacy")?.latency.quantile(0.95),
  );
});

test("windows merge (instances) and reset keeps coverage for the whole rollout", () => {
  const a = new Window();
  const b = new Window();
  a.record(req({ user: "x", error: true }));
  b.record(req({ user: "x" }));
  b.record(req({ user: "y", target: "candidate" }));
  const merged = Window.fromSnapshots([a.snapshot(), b.snapshot()]);
  assert.equal(merged.cell("GET /items", "legacy")?.n, 2);
  assert.equal(merged.cell("GET /items", "legacy")?.users.size, 1, "same user across instances");
  assert.equal(merged.cell("GET /items", "legacy")?.users.errorsAt(0), 1);
  merged.reset();
  assert.equal(merged.cell("GET /items", "legacy"), undefined);
  assert.deepEqual(merged.coverage().get("GET /items"), { legacy: 2, candidate: 1, mirrored: 0 });
  merged.reset({ coverage: true });
  assert.equal(merged.coverage().size, 0);
});

test("memory stays bounded: users are sampled, routes beyond maxRoutes are folded", () => {
  const w = new Window({ maxUsers: 128, maxRoutes: 3 });
  for (let i = 0; i < 50_000; i++)
    w.record(req({ user: `user-${i}`, route: `r${i % 5}`, id: `id-${i}`, error: i % 7 === 0 }));
  assert.deepEqual(w.routes(), ["(other)", "r0", "r1", "r2"]);
  for (const c of w.cells()) {
    assert.ok(c.users.size <= 128);
    assert.ok(c.errorIds.length <= 5 && c.slowIds.length <= 5);
  }
  assert.equal(w.cell("(other)", "legacy")?.n, 20_000);
  assert.ok(JSON.stringify(w.snapshot()).length < 200_000);
});

test("reset({ from }) keeps warm-up samples out of the stage window but in coverage", () => {
  const w = new Window();
  w.reset({ from: 30_000 });
  w.record(req({ at: 10_000, error: true }));
  w.recordParity({ route: "GET /items", mismatch: true, at: 10_000 });
  w.record(req({ at: 30_000 }));
  assert.equal(w.cell("GET /items", "legacy")?.n, 1);
  assert.equal(w.cell("GET /items", "legacy")?.errors, 0);
  assert.equal(w.parity("GET /items"), undefined);
  assert.deepEqual(w.coverage().get("GET /items"), { legacy: 2, candidate: 0, mirrored: 0 });
  assert.equal(Window.fromSnapshot(w.snapshot()).from, 30_000);
  w.reset();
  assert.equal(w.from, -Infinity);
});
