import assert from "node:assert/strict";
import { test } from "node:test";
import type { Served } from "../state/served.js";
import { ServedBatcher, unbatch } from "./protocol.js";

const served = (i: number): Served => ({
  route: i % 3,
  method: i % 4 ? "GET" : "POST",
  path: `/items/${i % 10}`,
  target: i % 2 ? "candidate" : "legacy",
  status: 200 + (i % 5),
  metricStatus: i % 7 ? 200 + (i % 5) : 499,
  failed: i % 11 === 0,
  ms: i * 0.125,
  user: `u${i}`,
  id: `r${i}`,
});

test("a served batch round-trips through structured clone, growing past its first size", () => {
  const b = new ServedBatcher(true);
  const sent = Array.from({ length: 1000 }, (_, i) => served(i));
  for (const s of sent) b.served(s);
  const batch = structuredClone(b.take());
  assert.equal(batch.nums.length, 7 * 1000, "sent exactly sized");
  assert.equal(batch.lines.length, 15, "each distinct request line is sent once per batch (10 GET, 5 POST)");
  const got: Served[] = [];
  unbatch(batch, { served: (s) => got.push(s) });
  assert.deepEqual(got, sent);
  assert.equal(b.take().n, 0, "take starts a new batch");
});

test("without a rollout, users and ids are not sent", () => {
  const b = new ServedBatcher(false);
  b.served(served(1));
  const batch = b.take();
  assert.deepEqual([batch.users, batch.ids], [[], []]);
  const got: Served[] = [];
  unbatch(batch, { served: (s) => got.push(s) });
  assert.deepEqual(got, [{ ...served(1), user: "", id: "" }]);
});
