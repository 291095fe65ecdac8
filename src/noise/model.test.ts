import assert from "node:assert/strict";
import { describe, it, test } from "node:test";
import { diffResponses } from "../diff/engine.js";
import { captured, fastapiHeaders, fastapiJson, flaskHeaders, flaskJson } from "../diff/testing.js";
import type { DiffOptions, Difference } from "../diff/types.js";
import { collectLeaves } from "./generated.js";
import { NoiseModel, type NoiseSnapshot } from "./model.js";

const T = "/orders/:id";
const OPTS: DiffOptions = { ignoreHeaders: [], ignorePaths: [], presets: ["flask->fastapi"] };
const d = (kind: Difference["kind"], groupPath: string, legacy?: string, candidate?: string): Difference => ({
  kind,
  path: groupPath,
  groupPath,
  ...(legacy === undefined ? {} : { legacy }),
  ...(candidate === undefined ? {} : { candidate }),
});

/** n requests; `sec(i)` and `cand(i)` say which differences each side showed on request i. */
function train(m: NoiseModel, n: number, sec: (i: number) => Difference[], cand: (i: number) => Difference[]): void {
  for (let i = 0; i < n; i++) m.observeSecondary(T, sec(i), cand(i));
}

describe("NoiseModel with a legacy-secondary (Diffy-style)", () => {
  const ts = d("value_changed", "$.generated_at", '"2024-01-02T03:04:05Z"', '"2024-01-02T03:04:06Z"');
  const price = d("type_changed", "$.price", '"10.10"', "10.1");

  it("legacy differing from itself as often as the candidate is noise; a field it never varies is real", () => {
    const m = new NoiseModel();
    train(
      m,
      40,
      () => [ts],
      () => [ts, price],
    );
    assert.equal(m.classify(T, ts), "noise_secondary");
    assert.equal(m.classify(T, price), "real");
    assert.match(m.explain(T, ts).reason, /candidate 100\.0% vs legacy-secondary 100\.0% over 40 requests/);
  });

  it("real only when the candidate rate is > 2× legacy's own AND more than 5 points above it", () => {
    const run = (secEvery: number, candCount: number): string => {
      const m = new NoiseModel();
      // 100 requests: legacy differs from itself on every secEvery-th, the candidate on the first candCount.
      train(
        m,
        100,
        (i) => (i % secEvery === 0 ? [ts] : []),
        (i) => (i < candCount ? [ts] : []),
      );
      return m.classify(T, ts);
    };
    assert.equal(run(10, 30), "real", "30% vs 10%");
    assert.equal(run(10, 20), "noise_secondary", "20% is not > 2 × 10%");
    assert.equal(run(34, 8), "noise_secondary", "8% vs ~3%: > 2× but only 5 points");
    assert.equal(run(50, 10), "real", "10% vs 2%");
  });

  it("thresholds are configurable", () => {
    const m = new NoiseModel({ secondary: { relative: 1.2, absolutePoints: 1, minSamples: 10 } });
    train(
      m,
      100,
      (i) => (i % 10 === 0 ? [ts] : []),
      (i) => (i < 20 ? [ts] : []),
    );
    assert.equal(m.classify(T, ts), "real");
  });

  it("a format change on a noisy field is still real (RFC 822 vs ISO timestamps)", () => {
    const m = new NoiseModel();
    train(
      m,
      40,
      () => [ts],
      () => [ts],
    );
    const drift = {
      ...d("format_changed", "$.generated_at", '"Tue, 02 Jan 2024 03:04:05 GMT"', '"2024-01-02T03:04:06"'),
      detail: "RFC 822 date → ISO 8601 date-time (no zone, seconds)",
    };
    assert.equal(m.classify(T, drift), "real");
    assert.match(m.explain(T, drift).reason, /RFC 822 date → ISO 8601/);
  });

  it("below minSamples the secondary says nothing, unless legacy differed from itself every time", () => {
    const m = new NoiseModel();
    // 4 of 4: P = 0.5⁴ ≈ 6 % is not yet 95 % sure legacy's own rate is ≥ 50 %.
    train(
      m,
      4,
      () => [ts],
      () => [ts],
    );
    assert.equal(m.classify(T, ts), "real");
    train(
      m,
      1,
      () => [ts],
      () => [ts],
    );
    assert.equal(m.classify(T, ts), "noise_secondary", "5 of 5: no candidate rate can exceed 2× legacy's own");
    assert.match(m.explain(T, ts).reason, /on 5 of the first 5 requests/);
    const sometimes = new NoiseModel();
    train(
      sometimes,
      10,
      (i) => (i % 2 === 0 ? [ts] : []),
      () => [ts],
    );
    assert.equal(sometimes.classify(T, ts), "real", "5 of 10 decides nothing before 20 requests");
  });

  it("counts a request once per key however many list items differed", () => {
    const m = new NoiseModel();
    const item = (i: number): Difference => ({ ...d("value_changed", "$.items[*].seen"), path: `$.items[${i}].seen` });
    train(
      m,
      40,
      (i) => (i < 4 ? [item(0), item(1), item(2)] : []),
      () => [item(0), item(1)],
    );
    assert.equal(m.classify(T, item(0)), "real", "10% of requests, not 30%");
  });
});

describe("NoiseModel without a secondary: generated values", () => {
  const uuid = (i: number): string => `6f1c2e0a-8c4b-4a8e-9d7a-${String(i).padStart(12, "0")}`;
  const body = (i: number, uptime: number): unknown => ({
    request_id: uuid(i),
    generated_at: new Date(Date.UTC(2024, 0, 2, 3, 4, i)).toISOString(),
    hits: 1000 + i,
    uptime,
    price: "10.10",
    items: [{ id: 1, etag: `${(0xabcdef0123 + i).toString(16)}abcdef0123` }],
  });

  it("UUIDs, timestamps, counters and tokens that change per request are probable noise", () => {
    const m = new NoiseModel();
    for (let i = 0; i < 10; i++)
      m.observeLegacy(T, body(i, Math.random() * 100), { headers: { "x-request-id": uuid(i) } });
    assert.equal(m.classify(T, d("value_changed", "$.request_id", `"${uuid(1)}"`, `"${uuid(2)}"`)), "noise_generated");
    assert.equal(
      m.classify(T, d("value_changed", "$.generated_at", '"2024-01-02T03:04:05.000Z"', '"2024-01-02T03:04:07Z"')),
      "noise_generated",
    );
    assert.equal(m.classify(T, d("value_changed", "$.hits", "1001", "1002")), "noise_generated");
    assert.equal(m.classify(T, d("value_changed", "$.items[*].etag", '"a"', '"b"')), "noise_generated");
    assert.equal(m.classify(T, d("header_changed", "header:x-request-id", "a", "b")), "noise_generated");
    assert.match(m.explain(T, d("value_changed", "$.hits", "1", "2")).reason, /increasing counter/);
  });

  it("stable values, structural kinds and format changes stay real", () => {
    const m = new NoiseModel();
    for (let i = 0; i < 10; i++) m.observeLegacy(T, body(i, i));
    assert.equal(m.classify(T, d("value_changed", "$.price", '"10.10"', '"10.1"')), "real");
    assert.equal(m.classify(T, d("type_changed", "$.request_id", `"${uuid(1)}"`, "1")), "real");
    assert.equal(m.classify(T, d("field_missing", "$.request_id", `"${uuid(1)}"`)), "real");
    const drift = d("format_changed", "$.generated_at", '"2024-01-02T03:04:05Z"', '"Tue, 02 Jan 2024 03:04:05 GMT"');
    assert.equal(m.classify(T, drift), "real");
    assert.equal(
      m.classify("/other", d("value_changed", "$.request_id", "a", "b")),
      "real",
      "another route learned nothing",
    );
  });

  it("floats like uptime: noise only when the same target answers differently", () => {
    const random = new NoiseModel();
    for (let i = 0; i < 10; i++) random.observeLegacy(T, body(i, 1.5 + ((i * 7) % 10) * 0.37));
    const uptime = d("value_changed", "$.uptime", "3.5", "3.9");
    assert.equal(random.classify(T, uptime), "real", "varying floats are not enough (prices vary by id too)");
    const repeated = new NoiseModel();
    for (let i = 0; i < 10; i++) repeated.observeLegacy(T, body(i, 3.5 + i * 0.37), { target: "GET /orders/7" });
    assert.equal(repeated.classify(T, uptime), "noise_generated");
    const stable = new NoiseModel();
    for (let i = 0; i < 10; i++) stable.observeLegacy(T, { price: 9.99 }, { target: "GET /orders/7" });
    assert.equal(stable.classify(T, d("value_changed", "$.price", "9.99", "9.9")), "real");
  });

  it("learns from captured responses, end to end with the diff engine", () => {
    const m = new NoiseModel();
    for (let i = 0; i < 8; i++) {
      m.observeLegacyResponse(T, captured(200, flaskHeaders(), flaskJson({ id: 7, trace: uuid(i) })), "GET /orders/7");
    }
    const ds = diffResponses(
      captured(200, flaskHeaders(), flaskJson({ id: 7, trace: uuid(100) })),
      captured(200, fastapiHeaders(), fastapiJson({ id: "7", trace: uuid(200) })),
      OPTS,
    );
    assert.deepEqual(
      ds.map((x) => `${x.kind} ${x.path} ${m.classify(T, x)}`),
      ["type_changed $.id real", "value_changed $.trace noise_generated"],
    );
  });

  it("state is bounded: paths per route and templates", () => {
    const m = new NoiseModel({
      generated: { minObservations: 5, maxPathsPerRoute: 3, maxDistinct: 4 },
      maxTemplates: 2,
    });
    const wide = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, i]));
    for (let i = 0; i < 20; i++) for (const t of ["/a", "/b", "/c"]) m.observeLegacy(t, { ...wide, n: uuid(i) });
    const snap = m.toJSON();
    assert.deepEqual(Object.keys(snap.generated), ["/a", "/b"]);
    assert.equal(snap.generated["/a"]?.length, 3);
    assert.ok(snap.generated["/a"].every(([, s]) => s.distinct.length <= 4));
  });
});

describe("NoiseModel persistence", () => {
  it("toJSON → JSON text → fromJSON keeps every verdict", () => {
    const m = new NoiseModel({ secondary: { relative: 3, absolutePoints: 2, minSamples: 5 } });
    const ts = d("value_changed", "$.ts", '"1"', '"2"');
    for (let i = 0; i < 10; i++) m.observeSecondary(T, [ts], [ts]);
    for (let i = 0; i < 10; i++)
      m.observeLegacy("/g", { id: `6f1c2e0a-8c4b-4a8e-9d7a-${String(i).padStart(12, "0")}` });
    const copy = NoiseModel.fromJSON(JSON.parse(JSON.stringify(m)) as NoiseSnapshot);
    assert.deepEqual(copy.options, m.options);
    assert.equal(copy.classify(T, ts), "noise_secondary");
    assert.equal(copy.classify("/g", d("value_changed", "$.id", '"a"', '"b"')), "noise_generated");
    assert.deepEqual(copy.toJSON(), m.toJSON());
    assert.throws(() => NoiseModel.fromJSON({ ...m.toJSON(), version: 2 } as unknown as NoiseSnapshot), /version 2/);
  });
});

test("leaf paths: odd keys quoted, list indexes folded, and the same after the path cache starts over", () => {
  const body = { "a b": [{ id: 1 }, { id: 2 }], x: { "y.z": null }, "": true };
  const expected = [
    ['$["a b"][*].id', [1, 2]],
    ['$.x["y.z"]', [null]],
    ['$[""]', [true]],
  ];
  assert.deepEqual([...collectLeaves(body)], expected);
  // Far more distinct keys than the cache holds (50,000 paths): it starts over, paths stay right.
  for (let i = 0; i < 12; i++)
    collectLeaves(Object.fromEntries(Array.from({ length: 1900 }, (_, j) => [`k${i}_${j}`, [{ [`v${j}`]: j }]])));
  assert.deepEqual([...collectLeaves(body)], expected);
});

test("a value legacy answered fewer times than the rule needs is real but undecided; once seen enough it is decided", () => {
  const m = new NoiseModel();
  const stamp = d("value_changed", "$.generated_at", '"a"', '"b"');
  const plan = d("value_changed", "$.plan", '"free"', '"pro"');
  const iso = (i: number): string => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();
  for (let i = 0; i < 4; i++) m.observeLegacy(T, { generated_at: iso(i), plan: "free" });
  assert.deepEqual(
    { ...m.explain(T, stamp), reason: "" },
    { class: "real", reason: "", undecided: true },
    "4 observations: too few to tell",
  );
  assert.equal(m.explain(T, plan).undecided, true);
  m.observeLegacy(T, { generated_at: iso(4), plan: "free" });
  assert.equal(m.classify(T, stamp), "noise_generated");
  const decided = m.explain(T, plan);
  assert.equal(decided.class, "real");
  assert.equal(decided.undecided, undefined, "a value legacy keeps is a real change, decided");
  // A changed format is never undecided: it is real whatever the values do.
  const fm = new NoiseModel();
  const fmt = { ...stamp, kind: "format_changed" as const, detail: "naive → zoned" };
  assert.equal(fm.explain(T, fmt).undecided, undefined);
});
