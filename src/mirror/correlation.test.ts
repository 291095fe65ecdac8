import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CapturedResponse } from "../diff/types.js";
import { captured } from "../diff/testing.js";
import { LiveCorrelation, turnWithin } from "./correlation.js";

const answer = (body: unknown): CapturedResponse =>
  captured(200, { "content-type": "application/json" }, JSON.stringify(body));

describe("live correlation", () => {
  it("first sight is learned (stays a difference); a substituted value answered back is mapped; another answer is broken", () => {
    const lc = new LiveCorrelation({ users: 10, values: 10 });
    const t1 = lc.turn("header:u1", "r1");
    const n1 = t1.finish(answer({ id: 4 }), answer({ id: 1004 }), undefined);
    assert.deepEqual([...n1.paths], []);
    const t2 = lc.turn("header:u1", "r2");
    const req = t2.rewrite("candidate", { target: "/comments/4", headers: [], body: undefined });
    assert.equal(req.target, "/comments/1004");
    const n2 = t2.finish(answer({ id: 4 }), answer({ id: 1004 }), undefined);
    assert.deepEqual([...n2.paths], ["$.id"]);
    assert.deepEqual(n2.mapped, ["4 → 1004 (path[2])"]);
    const t3 = lc.turn("header:u1", "r3");
    t3.rewrite("candidate", { target: "/comments/4", headers: [], body: undefined });
    const n3 = t3.finish(answer({ id: 4 }), answer({ id: 77 }), undefined);
    assert.deepEqual(n3.broken, ["$.id"]);
    // Another user's maps are their own.
    const other = lc.turn("header:u2", "r4");
    assert.equal(
      other.rewrite("candidate", { target: "/comments/4", headers: [], body: undefined }).target,
      "/comments/4",
    );
  });

  it("a user's next turn waits until the previous one is learned", async () => {
    const lc = new LiveCorrelation({ users: 10, values: 10 });
    const t1 = lc.turn("header:u1", "r1");
    const t2 = lc.turn("header:u1", "r2");
    let ready = false;
    void t2.ready.then(() => (ready = true));
    await new Promise((r) => setImmediate(r));
    assert.equal(ready, false);
    t1.finish(answer({ session_id: "aaaa1111bbbb" }), answer({ session_id: "cccc2222dddd" }), undefined);
    await new Promise((r) => setImmediate(r));
    assert.equal(ready, true);
    assert.equal(
      t2.rewrite("candidate", { target: "/s/aaaa1111bbbb", headers: [], body: undefined }).target,
      "/s/cccc2222dddd",
    );
  });

  it("is bounded: users and values per user, least recent dropped first, counted", () => {
    const lc = new LiveCorrelation({ users: 2, values: 3 });
    for (const u of ["a", "b", "c"]) lc.turn(u, u).finish(answer({ id: 1 }), answer({ id: 2 }), undefined);
    const t = lc.turn("c", "c2");
    for (let i = 0; i < 5; i++) t.seed("candidate", { legacy: `l${i}`, candidate: `c${i}`, path: "$.id", from: "x" });
    t.cancel();
    const state = Object.fromEntries(lc.state().map((s) => [s.kind, s]));
    assert.deepEqual(state.correlation_users, { kind: "correlation_users", entries: 2, limit: 2, capped: 1 });
    const values = state.correlation_values;
    assert.ok(values);
    assert.equal(values.entries, 4); // b: 1, c: 3 (of 6 learned)
    assert.equal(values.capped, 3);
  });
});

describe("the wait for a user's turn is bounded", () => {
  it("a turn whose predecessor never ends lapses after the wait; cancelling it lets the next go", async () => {
    const lc = new LiveCorrelation({ users: 10, values: 10 });
    lc.turn("u", "stuck"); // never finished: a slow answer, a long poll
    const t2 = lc.turn("u", "r2");
    const t0 = Date.now();
    assert.equal(await turnWithin(t2, 50), false);
    assert.ok(Date.now() - t0 >= 45);
    t2.cancel();
    const t3 = lc.turn("u", "r3");
    assert.equal(await turnWithin(t3, 1000), true, "the lapsed turn no longer holds the user's next exchange");
  });
  it("a turn whose predecessor ended in time goes", async () => {
    const lc = new LiveCorrelation({ users: 10, values: 10 });
    const t1 = lc.turn("u", "r1");
    const t2 = lc.turn("u", "r2");
    setTimeout(() => t1.cancel(), 10);
    assert.equal(await turnWithin(t2, 1000), true);
  });
});
