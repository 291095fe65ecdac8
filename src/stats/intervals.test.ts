import assert from "node:assert/strict";
import { test } from "node:test";
import { newcombe, wilson } from "./intervals.js";

const close = (actual: number, expected: number, tol: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

test("Wilson interval matches Newcombe (1998) table values", () => {
  // Newcombe 1998a, Table I: 81/263 → 0.2553–0.3662; 15/148 → 0.0624–0.1605; 0/20 → 0–0.1611.
  const a = wilson(81, 263, 1.959964);
  close(a.lower, 0.2553, 0.00005, "81/263 lower");
  close(a.upper, 0.3662, 0.00005, "81/263 upper");
  const b = wilson(15, 148, 1.959964);
  close(b.lower, 0.0624, 0.00005, "15/148 lower");
  close(b.upper, 0.1605, 0.00005, "15/148 upper");
  const c = wilson(0, 20, 1.959964);
  assert.equal(c.lower, 0);
  close(c.upper, 0.1611, 0.00005, "0/20 upper");
  assert.deepEqual(wilson(0, 0, 1.96), { lower: 0, upper: 1 });
});

test("Newcombe hybrid score interval matches Newcombe (1998b) example", () => {
  // Newcombe 1998b, method 10: 56/70 − 48/80 → 0.0524 to 0.3339.
  const d = newcombe(56, 70, 48, 80, 1.959964);
  close(d.difference, 0.2, 1e-12, "difference");
  close(d.lower, 0.0524, 0.00005, "lower");
  close(d.upper, 0.3339, 0.00005, "upper");
});

test("the zero-error gate needs about 3/δ clean requests (rule of three, §6.3c)", () => {
  const z = 1.6448536269514722;
  // One-sided 95% Wilson upper bound with x = 0: z²/(n + z²).
  // z²/(n + z²) < δ ⟺ n > z²(1 − δ)/δ = 538.4 for δ = 0.5pt.
  assert.ok(wilson(0, 538, z).upper > 0.005);
  assert.ok(wilson(0, 539, z).upper < 0.005);
});
