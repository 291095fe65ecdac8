import assert from "node:assert/strict";
import { test } from "node:test";
import { clusteredRatio, designEffectFromIcc, userCapWeight } from "./cluster.js";
import { createRng } from "./rng.js";

const close = (actual: number, expected: number, tol: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

test("delta-method variance equals §6.5's (s²_E − 2R·s_EN + R²·s²_N)/(U·N̄²)", () => {
  const users = [
    { n: 10, events: 1 },
    { n: 3, events: 0 },
    { n: 25, events: 4 },
    { n: 7, events: 0 },
    { n: 1, events: 1 },
  ];
  const U = users.length;
  const nBar = users.reduce((a, u) => a + u.n, 0) / U;
  const eBar = users.reduce((a, u) => a + u.events, 0) / U;
  const R = eBar / nBar;
  const s2 = (f: (u: { n: number; events: number }) => number): number => users.reduce((a, u) => a + f(u), 0) / (U - 1);
  const sE = s2((u) => (u.events - eBar) ** 2);
  const sN = s2((u) => (u.n - nBar) ** 2);
  const sEN = s2((u) => (u.events - eBar) * (u.n - nBar));
  const expected = (sE - 2 * R * sEN + R * R * sN) / (U * nBar * nBar);
  const r = clusteredRatio(users);
  close(r.ratio, R, 1e-15, "ratio");
  close(r.variance, expected, 1e-15, "variance");
});

test("design effect is about 1 for independent errors and large for one broken user", () => {
  const rng = createRng(5);
  const users = Array.from({ length: 2000 }, () => {
    const n = 1 + rng.int(20);
    let e = 0;
    for (let i = 0; i < n; i++) if (rng.next() < 0.02) e++;
    return { n, events: e };
  });
  const independent = clusteredRatio(users).designEffect;
  assert.ok(independent < 1.3, `deff ${independent}`);
  const broken = clusteredRatio([...users, { n: 200, events: 200 }]).designEffect;
  assert.ok(broken > 10, `deff with one broken user ${broken}`);
  assert.equal(clusteredRatio([{ n: 50, events: 5 }]).designEffect, 50);
});

test("Kish design effect and per-user cap weights", () => {
  close(designEffectFromIcc([10, 10, 10], 0.1), 1.9, 1e-12, "1 + (m − 1)ρ");
  assert.equal(userCapWeight(1, 2), 1);
  assert.equal(userCapWeight(10, 2), 0.2);
});
