import assert from "node:assert/strict";
import { test } from "node:test";
import { chiSquareTest, cmh, gTest } from "./contingency.js";
import { holm } from "./multiple.js";

const close = (actual: number, expected: number, tol: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

// Reference values from scipy.stats.chi2_contingency (lambda_="log-likelihood" for G).
test("G-test and χ² agree with scipy", () => {
  const t = [
    [10, 20, 5],
    [30, 40, 25],
  ];
  const g = gTest(t, { williams: false });
  close(g.statistic, 3.0457991132292253, 1e-12, "G");
  assert.equal(g.df, 2);
  close(g.p, 0.21807863796801463, 1e-12, "p(G)");
  close(gTest(t).statistic, 2.9776123922033157, 1e-12, "Williams-corrected G");
  const x = chiSquareTest(t);
  close(x.statistic, 2.9323308270676693, 1e-12, "χ²");
  close(x.p, 0.23080884692150755, 1e-12, "p(χ²)");
});

test("G-test drops empty categories and detects a 400 → 422 swap", () => {
  assert.equal(
    gTest([
      [5, 0, 0],
      [7, 0, 0],
    ]).p,
    1,
  );
  const swapped = gTest([
    [160, 40, 0],
    [3040, 0, 760],
  ]);
  assert.ok(swapped.p < 1e-20, `p = ${swapped.p}`);
});

test("CMH statistic and Mantel–Haenszel odds ratio match a hand computation", () => {
  const r = cmh([
    { a: 5, b: 95, c: 20, d: 880 },
    { a: 3, b: 47, c: 15, d: 935 },
    { a: 10, b: 190, c: 40, d: 1760 },
  ]);
  close(r.statistic, 11.151223070267731, 1e-9, "CMH χ²");
  close(r.oddsRatio, 2.498829039812647, 1e-12, "OR_MH");
  close(r.excess, 9.6, 1e-12, "excess events");
  assert.ok(r.pGreater < 0.001);
  assert.equal(cmh([]).p, 1);
});

test("Holm step-down, equal and weighted", () => {
  const h = holm([0.01, 0.04, 0.03, 0.005], 0.05);
  assert.deepEqual(h.rejected, [true, false, false, true]);
  close(h.adjusted[3] ?? NaN, 0.02, 1e-15, "adjusted p of the smallest");
  close(h.adjusted[2] ?? NaN, 0.06, 1e-15, "adjusted p of 0.03");
  close(h.adjusted[1] ?? NaN, 0.06, 1e-15, "adjusted p is monotone");
  // Weighted: the heavily weighted hypothesis is tested at 0.05·0.8 first.
  const w = holm([0.03, 0.001], 0.05, [0.8, 0.2]);
  assert.deepEqual(w.rejected, [true, true]);
  close(w.thresholds[1] ?? NaN, 0.01, 1e-15, "first threshold α·w/W");
  close(w.thresholds[0] ?? NaN, 0.05, 1e-15, "second threshold α·w/W_remaining");
});
