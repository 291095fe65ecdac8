import assert from "node:assert/strict";
import { test } from "node:test";
import { SharedCollection, type RowMerger } from "./postgres-rows.js";

const SUM: RowMerger = {
  merge: (a, b) => (a as number) + (b as number),
  minus: (full, base) => (full as number) - ((base as number | undefined) ?? 0),
};

test("a replica restarted with the same id keeps its earlier contribution when it writes again", () => {
  // Stored: r1 counted 100 in its earlier run, r2 counted 50.
  const r1 = new SharedCollection(SUM, "r1");
  r1.setOther("k", "r1", 100);
  r1.setOther("k", "r2", 50);
  r1.seal();
  assert.equal(r1.get("k"), 150, "the fleet's count at load");
  // r1 counts one more and stores its full value.
  const stored = r1.setOwn("k", 151);
  assert.equal(stored, 101, "its row: its earlier 100 plus the new 1");
  assert.equal(r1.get("k"), 151);
  // What r2 sees once the row arrives: nothing lost.
  const r2 = new SharedCollection(SUM, "r2");
  r2.setOther("k", "r1", stored);
  r2.setOther("k", "r2", 50);
  r2.seal();
  assert.equal(r2.get("k"), 151);
  // Other replicas' later changes add to the view.
  r1.setOther("k", "r2", 60);
  assert.equal(r1.get("k"), 161);
});

test("a replica with a new id leaves the rows of earlier runs as they are and adds its own", () => {
  const c = new SharedCollection(SUM, "new");
  c.setOther("k", "old-run", 100);
  c.seal();
  assert.equal(c.setOwn("k", 103), 3);
  assert.equal(c.get("k"), 103);
});
