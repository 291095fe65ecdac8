import assert from "node:assert/strict";
import { test } from "node:test";
import { nonInferiorityN, oneSampleProportionN, planCandidateRequests, zeroEventN } from "./sample-size.js";

test("non-inferiority sample sizes reproduce the §6.3d table (α = .05, β = .2, k = 19)", () => {
  const n = (pb: number, margin: number): number => nonInferiorityN({ pb, margin, k: 19, alpha: 0.05, beta: 0.2 });
  // The research table rounds to the nearest request; requirements round up.
  assert.equal(Math.round(n(0.01, 0.01)), 644);
  assert.equal(Math.round(n(0.01, 0.005)), 2577);
  assert.equal(Math.round(n(0.001, 0.002)), 1625);
  assert.equal(Math.round(n(0.05, 0.02)), 773);
  assert.equal(Math.ceil(n(0.01, 0.01)), 645);
});

test("tail-exceedance sample size 5% → 10% is about 149 (§6.4a)", () => {
  assert.equal(Math.round(oneSampleProportionN({ p0: 0.05, p1: 0.1, alpha: 0.05, beta: 0.2 })), 149);
});

test("zero-event requirement and the stage planner", () => {
  assert.equal(Math.ceil(zeroEventN(0.01, 0.05)), 299); // rule of three: ≈ 3/p
  const base = {
    legacyN: 0,
    legacyErrors: 0,
    candidateN: 0,
    weight: 5,
    legacyShareAboveMargin: null,
    parityN: 0,
    parityMismatches: 0,
    errorMargin: 0.005,
    parityMargin: 0.001,
    designEffect: 1,
    alpha: 0.05,
    beta: 0.2,
  };
  // Shadow with no mismatches: parity dominates, z²(1 − p₀)/p₀ ≈ 2,704.
  assert.equal(planCandidateRequests({ ...base, shadow: true }), 2703);
  // Live at 5% with legacy at 1% errors: the §6.3d value (k = 19).
  const live = planCandidateRequests({ ...base, shadow: false, legacyN: 19_000, legacyErrors: 190, candidateN: 1000 });
  const pb = 190.5 / 19_001; // legacy's rate, smoothed
  assert.equal(live, Math.ceil(nonInferiorityN({ pb, margin: 0.005, k: 19, alpha: 0.05, beta: 0.2 })));
  // A design effect scales it (capped at 10×).
  const clustered = planCandidateRequests({
    ...base,
    shadow: false,
    legacyN: 19_000,
    legacyErrors: 190,
    candidateN: 1000,
    designEffect: 2,
  });
  assert.ok(Math.abs(clustered - 2 * live) <= 2);
});
