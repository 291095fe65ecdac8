import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { CutoverError } from "../errors/index.js";
import { SqliteStore } from "../store/sqlite.js";
import { ANSWERS, Forwarding, REQUESTS, type ForwardedAction } from "./forward.js";

// Two replicas' forwarding on one store (SQLite here: the rows a replica writes are what the other reads).
const dir = mkdtempSync(join(tmpdir(), "cutover-forward-"));
const store = new SqliteStore(join(dir, "state.db"));
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test("a follower's action is applied once by the leader, answered, and its rows removed", async () => {
  const follower = new Forwarding(store, "b", 2000);
  const leader = new Forwarding(store, "a", 2000);
  const applied: ForwardedAction[] = [];
  const p = follower.request({ type: "pause", actor: "op", reason: "why" });
  leader.serve((a) => applied.push(a));
  leader.serve((a) => applied.push(a));
  assert.equal(applied.length, 1, "applied once, however often the leader looks");
  assert.deepEqual(
    applied.map(({ type, actor, reason, via }) => ({ type, actor, reason, via })),
    [{ type: "pause", actor: "op", reason: "why", via: "b" }],
  );
  follower.answersChanged();
  await p;
  assert.deepEqual(store.getRows(REQUESTS), []);
  assert.deepEqual(store.getRows(ANSWERS), []);
});

test("the leader's refusal reaches the follower with its code and detail", async () => {
  const follower = new Forwarding(store, "b", 2000);
  const leader = new Forwarding(store, "a", 2000);
  const p = follower.request({ type: "promote", actor: "op", reason: "r" });
  leader.serve(() => {
    throw new CutoverError("CUTOVER_ERR_ROLLOUT_ILLEGAL_TRANSITION", "promote while paused");
  });
  follower.answersChanged();
  await assert.rejects(p, (e: CutoverError) => {
    assert.equal(e.code, "CUTOVER_ERR_ROLLOUT_ILLEGAL_TRANSITION");
    assert.match(e.message, /promote while paused \(leader a\)$/);
    return true;
  });
});

test("with no leader the request fails after its time and lapses: a later leader never applies it", async () => {
  const follower = new Forwarding(store, "b", 100);
  const t0 = Date.now();
  await assert.rejects(follower.request({ type: "rollback", actor: "op", reason: "r" }), {
    code: "CUTOVER_ERR_NOT_LEADER",
  });
  assert.ok(Date.now() - t0 >= 95);
  let applied = 0;
  new Forwarding(store, "c", 100).serve(() => applied++);
  assert.equal(applied, 0);
  assert.deepEqual(store.getRows(REQUESTS), []);
});

test("a request whose replica died is not applied once stale, and the leader removes it", () => {
  const stale: ForwardedAction = { type: "resume", actor: "op", reason: "r", via: "gone", at: Date.now() - 10_000 };
  store.putRows(REQUESTS, [{ key: "old", value: stale }]);
  let applied = 0;
  const leader = new Forwarding(store, "a", 1000);
  leader.serve(() => applied++);
  assert.equal(applied, 0);
  assert.deepEqual(store.getRows(REQUESTS), []);
});

test("stopping fails the requests still waiting", async () => {
  const follower = new Forwarding(store, "b", 5000);
  const p = follower.request({ type: "pause", actor: "op", reason: "r" });
  follower.close();
  await assert.rejects(p, { code: "CUTOVER_ERR_NOT_LEADER" });
  assert.deepEqual(store.getRows(REQUESTS), []);
});

test("the age of a request is read on one clock (the database's), whatever the local clocks say", async () => {
  const dbClock = (): number => Date.now() + 3_600_000;
  const follower = new Forwarding(store, "b", 2000, dbClock);
  const leader = new Forwarding(store, "a", 2000, dbClock);
  const p = follower.request({ type: "pause", actor: "op", reason: "r" });
  let applied = 0;
  leader.serve(() => applied++);
  assert.equal(applied, 1, "an hour ahead of Date.now() on both: not stale");
  follower.answersChanged();
  await p;
});

test("the decision and its answer are written inside the leader's fence", async () => {
  const follower = new Forwarding(store, "b", 2000);
  const leader = new Forwarding(store, "a", 2000);
  const p = follower.request({ type: "pause", actor: "op", reason: "r" });
  let inside = false;
  const seen: string[] = [];
  leader.serve(
    () => seen.push(`apply inside=${inside}`),
    (fn) => {
      inside = true;
      fn();
      seen.push(`answered=${store.getRows(ANSWERS).length} inside=${inside}`);
      inside = false;
    },
  );
  assert.deepEqual(seen, ["apply inside=true", "answered=1 inside=true"]);
  follower.answersChanged();
  await p;
});
