import assert from "node:assert/strict";
import { test } from "node:test";
import { binomialLowerTail, binomialUpperTail, conditionalBinomialTest, exceedanceTest } from "./binomial.js";
import { logBinomialPmf } from "./special.js";

const close = (actual: number, expected: number, tol: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

test("exact conditional test reproduces the §6.3a worked example", () => {
  // n_c = 300, x_c = 6 (2%); n_b = 5700, x_b = 30 (0.53%).
  const r1 = conditionalBinomialTest(6, 300, 30, 5700, 1);
  close(r1.pi0, 0.05, 1e-12, "π₀ at R₀ = 1");
  assert.equal(r1.events, 36);
  close(r1.p, 0.0083, 0.00005, "p at R₀ = 1");
  close(conditionalBinomialTest(6, 300, 30, 5700, 1.5).p, 0.045, 0.0005, "p at R₀ = 1.5");
});

test("tail-exceedance test reproduces the §6.4a worked example", () => {
  close(exceedanceTest(9, 60), 0.0028, 0.00005, "e = 9 of 60");
  close(exceedanceTest(7, 60), 0.03, 0.0005, "e = 7 of 60");
});

test("binomial tails match direct summation and complement each other", () => {
  for (const [n, p] of [
    [10, 0.3],
    [60, 0.05],
    [1000, 0.001],
    [500, 0.5],
  ] as const) {
    for (let k = 0; k <= n; k += Math.max(1, Math.floor(n / 40))) {
      let direct = 0;
      for (let i = k; i <= n; i++) direct += Math.exp(logBinomialPmf(i, n, p));
      close(binomialUpperTail(k, n, p), direct, 1e-12 + direct * 1e-9, `P[X ≥ ${k}] for Bin(${n}, ${p})`);
      close(binomialLowerTail(k - 1, n, p) + binomialUpperTail(k, n, p), 1, 1e-12, "tails sum to 1");
    }
  }
});

test("binomial tails are stable for n = 1e6, far into the tail", () => {
  const n = 1_000_000;
  const p = 0.001;
  // Reference values from scipy.stats.binom.sf.
  close(binomialUpperTail(1100, n, p), 0.0009574669700285317, 1e-15, "P[X ≥ 1100]");
  const far = binomialUpperTail(1400, n, p);
  close(far / 4.708197761193423e-33, 1, 1e-9, "P[X ≥ 1400] (relative)");
  close(binomialUpperTail(500_000, n, 0.5), 0.5003989421806654, 1e-12, "P[X ≥ n/2] for Bin(1e6, ½)");
  let direct = 0;
  for (let i = 1400; i < 1600; i++) direct += Math.exp(logBinomialPmf(i, n, p));
  close(far / direct, 1, 1e-9, "relative precision of the far tail");
  assert.equal(binomialUpperTail(0, n, p), 1);
  assert.equal(binomialUpperTail(n + 1, n, p), 0);
});
