import assert from "node:assert/strict";
import { test } from "node:test";
import { chiSquareSf, gammaP, gammaQ, lgamma, logBinomialPmf, normalCdf, normalQuantile, normalSf } from "./special.js";

const close = (actual: number, expected: number, tol: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

test("lgamma matches factorials and Γ(½) = √π", () => {
  let f = 0;
  for (let n = 1; n < 171; n++) {
    close(lgamma(n + 1), (f += Math.log(n)), 1e-9 * Math.max(1, f), `ln ${n}!`);
  }
  close(lgamma(0.5), 0.5 * Math.log(Math.PI), 1e-14, "ln Γ(½)");
  close(lgamma(0.1), Math.log(9.513507698668732), 1e-13, "ln Γ(0.1)");
});

test("incomplete gamma gives χ² critical values", () => {
  close(chiSquareSf(3.841458820694124, 1), 0.05, 1e-12, "χ²₁ 95%");
  close(chiSquareSf(5.991464547107979, 2), 0.05, 1e-12, "χ²₂ 95%");
  close(chiSquareSf(23.209251158954356, 10), 0.01, 1e-12, "χ²₁₀ 99%");
  close(gammaP(3, 2) + gammaQ(3, 2), 1, 1e-15, "P + Q");
});

test("normal quantile and tails round-trip to high precision", () => {
  close(normalQuantile(0.975), 1.959963984540054, 1e-14, "z .975");
  close(normalQuantile(0.95), 1.6448536269514722, 1e-14, "z .95");
  close(normalQuantile(0.8), 0.8416212335729143, 1e-14, "z .8");
  for (const p of [1e-12, 1e-6, 0.01, 0.3, 0.5, 0.7, 0.99]) {
    close(normalCdf(normalQuantile(p)), p, p * 1e-10, `Φ(Φ⁻¹(${p}))`);
  }
  close(normalSf(8), 6.22096057427178e-16, 1e-26, "P[Z > 8]");
  assert.equal(normalQuantile(0), -Infinity);
  assert.ok(Number.isNaN(normalQuantile(2)));
});

test("Loader's binomial pmf is exact where the naïve formula is", () => {
  close(Math.exp(logBinomialPmf(3, 10, 0.3)), 120 * 0.3 ** 3 * 0.7 ** 7, 1e-15, "Bin(10, .3) at 3");
  close(Math.exp(logBinomialPmf(0, 50, 0.02)), 0.98 ** 50, 1e-15, "x = 0");
  close(Math.exp(logBinomialPmf(50, 50, 0.9)), 0.9 ** 50, 1e-15, "x = n");
  // A large case against lgamma (agreement to ~1e-9 relative is all lgamma can offer here).
  const n = 1_000_000;
  const x = 1000;
  const viaGamma =
    lgamma(n + 1) - lgamma(x + 1) - lgamma(n - x + 1) + x * Math.log(0.001) + (n - x) * Math.log1p(-0.001);
  close(logBinomialPmf(x, n, 0.001), viaGamma, 1e-6, "ln pmf at the mode of Bin(1e6, .001)");
  assert.equal(logBinomialPmf(-1, 10, 0.5), -Infinity);
});
