import assert from "node:assert/strict";
import { test } from "node:test";
import { HISTOGRAM_BUCKETS, LatencyHistogram, bucketBounds, bucketIndex } from "./histogram.js";
import { createRng } from "./rng.js";

test("buckets tile the range without gaps and stay within 3.2% relative width", () => {
  let expected = 0;
  for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
    const { lower, width } = bucketBounds(i);
    assert.equal(lower, expected, `bucket ${i} starts where ${i - 1} ends`);
    if (lower >= 64) assert.ok(width / lower <= 1 / 32 + 1e-12);
    assert.equal(bucketIndex(lower), i);
    assert.equal(bucketIndex(lower + width - 1), i);
    expected = lower + width;
  }
  assert.equal(bucketIndex(1e15), HISTOGRAM_BUCKETS - 1);
  assert.equal(bucketIndex(-5), 0);
});

test("quantiles and countAbove agree with the exact sample", () => {
  const rng = createRng(3);
  const h = new LatencyHistogram();
  const xs: number[] = [];
  for (let i = 0; i < 50_000; i++) {
    const v = 40 * Math.exp(0.5 * rng.normal());
    h.record(v);
    xs.push(v);
  }
  xs.sort((a, b) => a - b);
  for (const q of [0.5, 0.9, 0.95, 0.99]) {
    const exact = xs[Math.floor(q * xs.length)] ?? NaN;
    assert.ok(Math.abs(h.quantile(q) / exact - 1) < 0.01, `q${q}: ${h.quantile(q)} vs ${exact}`);
  }
  const q95 = h.quantile(0.95);
  assert.ok(Math.abs(h.countAbove(q95) / 50_000 - 0.05) < 1e-9, "countAbove(quantile(q)) = (1 − q)·n");
  const t = 1.2 * q95;
  const exactAbove = xs.filter((x) => x > t).length;
  assert.ok(Math.abs(h.countAbove(t) - exactAbove) < 0.002 * 50_000);
  assert.equal(h.countAbove(-1), 50_000);
  assert.equal(h.countAbove(1e9), 0);
  assert.ok(Number.isNaN(new LatencyHistogram().quantile(0.5)));
});

test("snapshot round-trips, merge adds, pooled quantile equals the merged one", () => {
  const rng = createRng(9);
  const a = new LatencyHistogram();
  const b = new LatencyHistogram();
  for (let i = 0; i < 1000; i++) a.record(rng.exponential(30));
  for (let i = 0; i < 300; i++) b.record(rng.exponential(90));
  const json = JSON.parse(JSON.stringify(a.snapshot())) as ReturnType<LatencyHistogram["snapshot"]>;
  const restored = LatencyHistogram.fromSnapshot(json);
  assert.deepEqual(restored.snapshot(), a.snapshot());
  const pooled = LatencyHistogram.quantileOf([a, b], 0.95);
  const merged = LatencyHistogram.fromSnapshot(a.snapshot());
  merged.merge(b);
  assert.equal(merged.total, 1300);
  assert.equal(pooled, merged.quantile(0.95));
});
