import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng } from "./rng.js";
import { anytimePValue, compositionLogBf, proportionLogLr, rateRatioLogLr, waldSprt } from "./sequential.js";
import { binomialPmf } from "./special.js";

const close = (actual: number, expected: number, tol: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

test("Wald SPRT reproduces the §6.3b worked example", () => {
  const s = waldSprt(0.01, 0.03, 0.05, 0.2);
  close(s.upper, 2.773, 0.0005, "A");
  close(s.lower, -1.558, 0.0005, "B");
  close(s.stepEvent, Math.log(3), 1e-12, "ln 3 per error");
  close(s.stepNonEvent, -0.0204, 0.00005, "per success");
  assert.equal(s.cleanToAccept, 77);
  assert.equal(s.decide(76, 0), "continue");
  assert.equal(s.decide(77, 0), "accept");
  assert.equal(s.decide(50, 4), "reject");
  assert.equal(s.decide(50, 3), "continue");
});

test("the conditional rate-ratio likelihood ratio has mean 1 under H₀ (exact enumeration)", () => {
  // E events split Binomial(E, π₀) between arms; the mixture LR must average to exactly 1.
  const nc = 50;
  const nb = 950;
  const pi0 = nc / (nc + nb);
  const mix = [
    { value: 3, weight: 0.8 },
    { value: 20, weight: 0.2 },
  ];
  for (const events of [1, 5, 30]) {
    let mean = 0;
    for (let x = 0; x <= events; x++) {
      mean += binomialPmf(x, events, pi0) * Math.exp(rateRatioLogLr([{ xc: x, nc, xb: events - x, nb }], mix));
    }
    close(mean, 1, 1e-10, `E[LR] with ${events} events`);
  }
  assert.equal(rateRatioLogLr([{ xc: 0, nc: 0, xb: 5, nb: 100 }], mix), 0);
});

test("Ville's bound holds for the stratified rate test under continuous monitoring", () => {
  // A/A: 2 strata, 1% errors, candidate 5% of traffic, looked at after every request.
  const rng = createRng(11);
  const runs = 400;
  const alpha = 0.05;
  let crossed = 0;
  for (let r = 0; r < runs; r++) {
    const s = [
      { xc: 0, nc: 0, xb: 0, nb: 0 },
      { xc: 0, nc: 0, xb: 0, nb: 0 },
    ];
    for (let i = 0; i < 4000; i++) {
      const st = s[rng.int(2)] ?? { xc: 0, nc: 0, xb: 0, nb: 0 };
      const err = rng.next() < 0.01;
      if (rng.next() < 0.05) {
        st.nc++;
        if (err) st.xc++;
      } else {
        st.nb++;
        if (err) st.xb++;
      }
      if (err && rateRatioLogLr(s, [{ value: 3, weight: 1 }]) >= Math.log(1 / alpha)) {
        crossed++;
        break;
      }
    }
  }
  assert.ok(crossed / runs <= alpha, `crossed in ${crossed} of ${runs} runs`);
});

test("proportion mixture LR and anytime p-values", () => {
  // No mismatches can only lower the evidence; many raise it.
  assert.ok(proportionLogLr(0, 1000, 0.001, [{ value: 0.003, weight: 1 }]) < 0);
  assert.ok(proportionLogLr(10, 1000, 0.001, [{ value: 0.003, weight: 1 }]) > Math.log(100));
  assert.equal(anytimePValue(-3), 1);
  close(anytimePValue(Math.log(200)), 0.005, 1e-15, "1/LR");
});

test("status composition Bayes factor reacts to a shift between statuses, not to volume", () => {
  // One status only: a mixture never beats the maximised null.
  assert.ok(compositionLogBf([100], [1900], 0.05, 2) <= 0);
  // Same mix in both arms: no evidence.
  assert.ok(compositionLogBf([80, 20], [1520, 380], 0.05, 2) < 0);
  // 400 → 422 on the candidate: overwhelming evidence.
  const shifted = compositionLogBf([80, 0, 20], [1520, 380, 0], 0.05, 2);
  assert.ok(shifted > Math.log(1e6), `ln BF = ${shifted}`);
});
