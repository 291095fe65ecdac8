import assert from "node:assert/strict";
import { test } from "node:test";
import { CoverageMatrix, OTHER_ENDPOINTS } from "./matrix.js";
import { groupCoverage } from "./present.js";

test("the matrix joins served, mirrored and compared counts per endpoint, inventory endpoints included", () => {
  const m = new CoverageMatrix();
  m.setInventory([
    { endpoint: "GET /items", route: "items" },
    { endpoint: "POST /items", route: "items" },
    { endpoint: "DELETE /items/{id}", route: "items" },
  ]);
  for (let i = 0; i < 4; i++) m.served("items", "GET /items", "legacy");
  m.served("items", "GET /items", "candidate");
  for (let i = 0; i < 3; i++) m.served("items", "POST /items", "legacy");
  m.mirrored("items", "GET /items");
  m.served("users", "GET /users/{int}", "legacy");
  m.served("users", "GET /users/{int}", "candidate");
  const v = m.view([
    { routeName: "items", template: "GET /items", mirrored: 1, differing: 1 },
    { routeName: "users", template: "GET /users/{int}", mirrored: 0, differing: 0 },
  ]);
  const by = Object.fromEntries(v.rows.map((r) => [r.endpoint, r]));
  assert.deepEqual(
    v.rows.map((r) => [r.route, r.endpoint, r.state]),
    [
      ["items", "POST /items", "not_reached"],
      ["items", "GET /items", "differing"],
      ["items", "DELETE /items/{id}", "never_exercised"],
      ["users", "GET /users/{int}", "covered"],
    ],
  );
  assert.deepEqual(
    { ...by["GET /items"] },
    {
      endpoint: "GET /items",
      route: "items",
      inventory: true,
      seen: 5,
      legacy: 4,
      candidate: 1,
      mirrored: 1,
      compared: 1,
      differing: 1,
      state: "differing",
    },
  );
  assert.equal(by["GET /users/{int}"]?.inventory, false);
  assert.deepEqual(v.totals, { not_reached: 1, differing: 1, never_exercised: 1, covered: 1 });
  assert.deepEqual(
    groupCoverage(v.rows).map((g) => [g.route, g.rows.length]),
    [
      ["items", 3],
      ["users", 1],
    ],
  );
});

test("an inventory endpoint served under another route than guessed is listed once", () => {
  const m = new CoverageMatrix();
  m.setInventory([{ endpoint: "GET /a", route: "" }]);
  m.served("real", "GET /a", "legacy");
  assert.deepEqual(
    m.view([]).rows.map((r) => [r.route, r.endpoint, r.inventory]),
    [["real", "GET /a", true]],
  );
});

test("the matrix is bounded: unknown endpoints beyond the cap fold and are counted; inventory ones always fit", () => {
  const m = new CoverageMatrix(3);
  m.setInventory([{ endpoint: "GET /known", route: "r" }]);
  for (let i = 0; i < 10; i++) m.served("r", `GET /p${i}`, "legacy");
  m.served("r", "GET /known", "candidate");
  assert.equal(m.size, 5, "3 shapes, the fold row and the inventory endpoint");
  assert.equal(m.folded, 7);
  const rows = m.view([]).rows;
  assert.equal(rows.find((r) => r.endpoint === OTHER_ENDPOINTS)?.legacy, 7);
  assert.equal(rows.find((r) => r.endpoint === "GET /known")?.state, "covered");
  const stored = JSON.parse(JSON.stringify(m.rowsChanged())) as { key: string; value: unknown }[];
  assert.equal(stored.length, 5, "every endpoint touched is one stored row");
  assert.deepEqual(m.rowsChanged(), [], "nothing changed since");
  const back = CoverageMatrix.fromRows(stored, 3);
  back.setInventory([{ endpoint: "GET /known", route: "r" }]);
  assert.equal(back.folded, 7);
  assert.deepEqual(back.view([], 0), m.view([], 0));
  m.served("r", "GET /p0", "candidate");
  assert.deepEqual(
    m.rowsChanged().map((r) => [r.key, r.value]),
    [["GET /p0", { route: "r", legacy: 1, candidate: 1, mirrored: 0 }]],
    "only what changed is stored again",
  );
});
