import assert from "node:assert/strict";
import { test } from "node:test";
import { cappedComposition, cappedErrors, cappedExceedances } from "./capped.js";
import { UserSample, hashUser } from "./user-sample.js";

test("the sample stays within maxUsers and is a uniform sample of users", () => {
  const s = new UserSample(256, 4);
  for (let u = 0; u < 20_000; u++) s.record(hashUser(`user-${u}`), 200, 10, u % 100 === 0);
  assert.ok(s.size <= 256);
  assert.ok(s.size > 64, `kept ${s.size}`);
  // Every kept user is below the threshold, and about fraction × 20,000 users are kept.
  for (let i = 0; i < s.size; i++) assert.ok(s.hashAt(i) < s.threshold);
  assert.ok(Math.abs(s.size / (s.fraction * 20_000) - 1) < 0.3);
});

test("a kept user keeps all of their requests and the first K statuses and latencies", () => {
  const s = new UserSample(10, 3);
  const h = hashUser("alice");
  for (let i = 0; i < 5; i++) s.record(h, 200 + i, i * 10, i === 4);
  assert.equal(s.size, 1);
  assert.equal(s.nAt(0), 5);
  assert.equal(s.errorsAt(0), 1);
  assert.equal(s.keptAt(0), 3);
  assert.deepEqual([s.statusAt(0, 0), s.statusAt(0, 2)], [200, 202]);
  assert.equal(s.latencyAt(0, 1), 10);
});

test("merge and snapshot preserve the sample", () => {
  const a = new UserSample(64, 4);
  const b = new UserSample(64, 4);
  for (let u = 0; u < 300; u++) (u % 2 ? a : b).record(hashUser(`u${u % 200}`), 200, u, false);
  const snap = JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<UserSample["snapshot"]>;
  assert.deepEqual(UserSample.fromSnapshot(snap, 64, 4).snapshot(), a.snapshot());
  const total = a.snapshot().users.reduce((x, u) => x + u[1], 0);
  a.merge(b);
  assert.ok(a.size <= 64);
  assert.ok(a.threshold <= b.threshold);
  assert.ok(a.snapshot().users.reduce((x, u) => x + u[1], 0) >= Math.min(total, 1));
});

test("capped counts: one broken user adds at most `cap` events, keeping their rate", () => {
  const route = new UserSample(1024, 8);
  for (let u = 0; u < 100; u++) route.record(hashUser(`ok${u}`), 200, 20, false);
  const broken = hashUser("broken");
  for (let i = 0; i < 50; i++) route.record(broken, 500, 20, true);
  const c = cappedErrors([route], 2);
  // Two errors, and the broken user's 50 requests scaled by 2/50.
  assert.deepEqual(c.perRoute[0], { x: 2, n: 100 + 2 });
  assert.equal(c.topUserErrors, 50);
  assert.equal(c.sampledErrors, 50);
  // Joined across routes: the cap is per user, not per user and route.
  const other = new UserSample(1024, 8);
  for (let i = 0; i < 50; i++) other.record(broken, 500, 20, true);
  const both = cappedErrors([route, other], 2);
  assert.equal((both.perRoute[0]?.x ?? 0) + (both.perRoute[1]?.x ?? 0), 2);
  // Status composition excludes errors; exceedances are capped per user.
  const comp = cappedComposition(route, 2);
  assert.deepEqual([...comp.keys()], [200]);
  const slow = new UserSample(16, 8);
  for (let i = 0; i < 8; i++) slow.record(broken, 200, 1000, false);
  slow.record(hashUser("fast"), 200, 10, false);
  assert.deepEqual(cappedExceedances(slow, 100, 2), { x: 2, n: 2 + 1 });
});
