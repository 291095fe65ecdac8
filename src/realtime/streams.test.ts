import assert from "node:assert/strict";
import { test } from "node:test";
import { EventBoundary } from "../proxy/sse-events.js";
import { movedOff } from "../split/decide.js";
import { OpenStreams } from "./streams.js";

test("movedOff: bucketed candidate streams above the new line; pinned ones only at weight 0", () => {
  const c = (bucket: number, reason: "bucket" | "override" | "session" = "bucket") =>
    ({ target: "candidate", bucket, reason }) as const;
  assert.equal(movedOff(c(2999), 30), false);
  assert.equal(movedOff(c(3000), 30), true);
  assert.equal(movedOff(c(3000), 30.01), false);
  assert.equal(movedOff(c(9000, "override"), 30), false);
  assert.equal(movedOff(c(9000, "session"), 30), false);
  assert.equal(movedOff(c(9000, "session"), 0), true);
  assert.equal(movedOff(c(1), 0), true);
  assert.equal(movedOff({ target: "legacy", bucket: 9000, reason: "bucket" }, 0), false);
});

test("OpenStreams ends exactly the moved streams, each once", () => {
  const s = new OpenStreams();
  const ended: string[] = [];
  const add = (name: string, route: number, bucket: number, target: "legacy" | "candidate" = "candidate") =>
    s.add(route, { target, bucket, reason: "bucket" }, () => ended.push(name));
  add("low", 0, 100);
  add("high", 0, 5000);
  add("other-route", 1, 5000);
  const done = add("finished", 0, 6000);
  add("legacy", 0, 9000, "legacy");
  done();
  assert.equal(s.endMoved(0, 20), 1);
  assert.deepEqual(ended, ["high"]);
  assert.equal(s.endMoved(0, 20), 0, "ended streams are gone");
  assert.equal(s.endCandidate(new Set([0, 1])), 2);
  assert.deepEqual(ended.sort(), ["high", "low", "other-route"]);
  s.endAll();
  assert.deepEqual(ended.sort(), ["high", "legacy", "low", "other-route"]);
  assert.equal(s.size, 0);
});

test("EventBoundary finds event ends for LF, CRLF and CR, across chunk splits", () => {
  for (const eol of ["\n", "\r\n", "\r"]) {
    const text = `id: 1${eol}data: a${eol}${eol}id: 2${eol}data: b${eol}${eol}`;
    const first = text.indexOf(`${eol}${eol}`) + 2 * eol.length;
    for (let split = 1; split < text.length; split++) {
      const b = new EventBoundary();
      assert.ok(b.atBoundary);
      b.feed(Buffer.from(text.slice(0, split)));
      if (split === first) assert.ok(b.atBoundary, `${JSON.stringify(eol)} split ${split}`);
      b.feed(Buffer.from(text.slice(split)));
      assert.ok(b.atBoundary, `${JSON.stringify(eol)} split ${split}`);
    }
    // Stopping: the bytes up to the first event end, terminator included.
    const b = new EventBoundary();
    b.feed(Buffer.from("id: 0\n"));
    assert.ok(!b.atBoundary);
    const rest = Buffer.from(text.replace(/^id: 1/, "data: z"));
    assert.equal(b.feed(rest, true), rest.indexOf(`${eol}${eol}`) + 2 * eol.length);
  }
  const b = new EventBoundary();
  b.feed(Buffer.from("data: partial"));
  assert.equal(b.atBoundary, false);
  assert.equal(b.feed(Buffer.from(" still"), true), -1);
});
