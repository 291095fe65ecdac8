import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffResponses } from "../diff/engine.js";
import { captured, fastapiHeaders, fastapiJson, flaskHeaders, flaskJson } from "../diff/testing.js";
import type { CapturedResponse, DiffOptions, Difference } from "../diff/types.js";
import { CutoverError } from "../errors/index.js";
import { FindingsAggregator } from "./aggregator.js";
import { findingId } from "./grouping.js";
import type { Exchange, FindingsRows } from "./types.js";
import { wilson } from "./wilson.js";

const OPTS: DiffOptions = { ignoreHeaders: [], ignorePaths: [], presets: ["flask->fastapi"] };
const ROUTE = "orders";
const TEMPLATE = "/orders/:id";

function exchange(
  i: number,
  legacy: CapturedResponse,
  candidate: CapturedResponse,
  extra: Partial<Exchange> = {},
): Exchange {
  return {
    id: `x${i}`,
    at: 1_700_000_000_000 + i * 1000,
    method: "GET",
    path: `/orders/${i}?access_token=tok${i}&page=1`,
    routeName: ROUTE,
    template: TEMPLATE,
    requestHeaders: { authorization: `Bearer secret${i}`, accept: "application/json" },
    legacy,
    candidate,
    ...extra,
  };
}

/** 100 mirrored requests; every 10th has the Decimal drift, every 4th an unstable timestamp. */
function run(agg: FindingsAggregator): void {
  for (let i = 0; i < 100; i++) {
    const legacy = captured(
      200,
      flaskHeaders({ "set-cookie": `sid=s${i}` }),
      flaskJson({ id: i, price: "10.10", password: `pw${i}`, ts: "a" }),
    );
    const body = { id: i, price: i % 10 === 0 ? 10.1 : "10.10", password: `pw${i}`, ts: i % 4 === 0 ? "b" : "a" };
    const candidate = captured(200, fastapiHeaders({ "set-cookie": `sid=s${i}` }), fastapiJson(body));
    const ds = diffResponses(legacy, candidate, OPTS);
    agg.countMirrored(ROUTE, TEMPLATE);
    agg.add(exchange(i, legacy, candidate), ds, (d) => (d.path === "$.ts" ? "noise_generated" : "real"));
  }
}

describe("FindingsAggregator", () => {
  it("groups by (route, template, kind, group path) with counts, first/last seen and a Wilson rate", () => {
    const agg = new FindingsAggregator();
    run(agg);
    const [price] = agg.list();
    assert.ok(price);
    assert.equal(price.id, findingId(ROUTE, TEMPLATE, "type_changed", "$.price"));
    assert.equal(price.kind, "type_changed");
    assert.equal(price.count, 10);
    assert.equal(price.firstSeen, 1_700_000_000_000);
    assert.equal(price.lastSeen, 1_700_000_090_000);
    assert.deepEqual(price.rate, wilson(10, 100));
    assert.equal(agg.list().length, 1, "noise is not listed by default");
    assert.deepEqual(
      agg.list({ includeNoise: true }).map((f) => `${f.kind} ${f.groupPath} ${f.noise}`),
      ["value_changed $.ts noise_generated", "type_changed $.price real"],
    );
  });

  it("a request counts once per finding, however many list items differed", () => {
    const agg = new FindingsAggregator();
    const items = (v: number): string => fastapiJson({ items: [1, 2, 3].map((id) => ({ id, v })) });
    const l = captured(200, fastapiHeaders(), items(1));
    const c = captured(200, fastapiHeaders(), items(2));
    const ds = diffResponses(l, c, OPTS);
    assert.equal(ds.length, 3);
    agg.countMirrored(ROUTE, TEMPLATE);
    assert.equal(agg.add(exchange(1, l, c), ds, "real").length, 1);
    assert.equal(agg.list()[0]?.count, 1);
    assert.equal(agg.list()[0]?.groupPath, "$.items[*].v");
  });

  it("route summaries: mismatch rate over mirrored requests, noise and accepted not counted", () => {
    const agg = new FindingsAggregator();
    run(agg);
    const [r] = agg.routes();
    assert.equal(r?.mirrored, 100);
    assert.equal(r.differing, 10);
    assert.deepEqual(r.rate, wilson(10, 100));
    assert.deepEqual(r.findings, { real: 1, noise: 1, accepted: 0, ignored: 0 });
    const id = findingId(ROUTE, TEMPLATE, "type_changed", "$.price");
    const f = agg.accept(id, "Decimal as float is fine for our clients", "zoe", 1_700_000_500_000);
    assert.deepEqual(f.accepted, {
      reason: "Decimal as float is fine for our clients",
      by: "zoe",
      at: 1_700_000_500_000,
    });
    assert.equal(agg.routes()[0]?.differing, 0, "accepted differences leave the rate (retroactively)");
    assert.deepEqual(agg.list(), []);
    assert.equal(agg.list({ includeAccepted: true })[0]?.accepted?.by, "zoe");
    agg.unaccept(id);
    assert.equal(agg.routes()[0]?.differing, 10);
    assert.throws(
      () => agg.accept("nope", "r", "me"),
      (e: unknown) => e instanceof CutoverError && e.code === "CUTOVER_ERR_FINDING_NOT_FOUND",
    );
  });

  it("keeps at most N examples: the first N−1 and the latest", () => {
    const agg = new FindingsAggregator({ examples: 3 });
    run(agg);
    const [price] = agg.list();
    assert.deepEqual(
      price?.examples.map((e) => e.exchangeId),
      ["x0", "x10", "x90"],
    );
    assert.equal(new FindingsAggregator({ examples: 0 }).options.examples, 0);
  });

  it("examples are redacted: request headers, query, response headers, JSON secrets, configured paths", () => {
    const agg = new FindingsAggregator({ redactPaths: ["$.id"], redactHeaders: ["accept"] });
    run(agg);
    const [price] = agg.list();
    const e = price?.examples[0];
    assert.ok(e);
    assert.equal(e.path, "/orders/0?access_token=%5Bredacted%5D&page=1");
    assert.deepEqual(e.requestHeaders, { authorization: "[redacted]", accept: "[redacted]" });
    assert.equal(e.legacy.headers["set-cookie"], "[redacted]");
    assert.equal(e.legacy.body, '{"id":"[redacted]","password":"[redacted]","price":"10.10","ts":"a"}');
    assert.equal(e.candidate.body, '{"id":"[redacted]","price":10.1,"password":"[redacted]","ts":"b"}');
    const text = JSON.stringify(agg.toRows());
    for (const secret of ["tok0", "secret0", "pw0", "sid=s0"]) assert.ok(!text.includes(secret), secret);
    assert.ok(e.masked.includes("query:access_token"));
    assert.ok(e.masked.includes("request header:authorization"));
    assert.ok(e.masked.includes("legacy $.password (key)"));
    assert.ok(e.masked.includes("candidate $.id (config)"));
  });

  it("previews of differences are masked again at aggregation (defence in depth)", () => {
    const agg = new FindingsAggregator({ redactPaths: ["$.user.email"] });
    const d: Difference = {
      kind: "value_changed",
      path: "$.user.email",
      groupPath: "$.user.email",
      legacy: '"a@x.test"',
      candidate: '"b@x.test"',
    };
    const l = captured(200, {}, "");
    agg.add(exchange(1, l, l), [d], "real");
    const f = agg.list()[0];
    assert.equal(f?.sample.legacy, "[redacted]");
    assert.equal(f.examples[0]?.differences[0]?.candidate, "[redacted]");
  });

  it("declarative ignores added later hide recorded findings without deleting them", () => {
    const agg = new FindingsAggregator();
    run(agg);
    const rows = agg.toRows();
    const later = FindingsAggregator.fromRows(rows, { ignorePaths: ["$.price"] });
    assert.deepEqual(later.list(), []);
    assert.equal(later.list({ includeIgnored: true })[0]?.ignored, true);
    assert.equal(later.routes()[0]?.differing, 0);
    // …and new differences there are not recorded.
    const l = captured(200, fastapiHeaders(), '{"price":"1"}');
    const c = captured(200, fastapiHeaders(), '{"price":1}');
    assert.deepEqual(later.add(exchange(200, l, c), diffResponses(l, c, OPTS), "real"), []);
  });

  it("toRows → JSON → fromRows restores everything; prune drops old findings", () => {
    const agg = new FindingsAggregator();
    run(agg);
    agg.accept(findingId(ROUTE, TEMPLATE, "type_changed", "$.price"), "ok", "zoe", 5);
    const rows = JSON.parse(JSON.stringify(agg.toRows())) as FindingsRows;
    assert.equal(rows.version, 1);
    const back = FindingsAggregator.fromRows(rows);
    assert.deepEqual(back.toRows(), agg.toRows());
    assert.deepEqual(back.routes(), agg.routes());
    assert.equal(back.prune(1_700_000_095_000), 1, "the noise finding was last seen at request 96");
    assert.equal(back.prune(Number.MAX_SAFE_INTEGER), 1);
    assert.deepEqual(back.list({ includeNoise: true, includeAccepted: true }), []);
    assert.throws(() => FindingsAggregator.fromRows({ ...rows, version: 9 } as unknown as FindingsRows), /version 9/);
  });

  it("upstream errors and per-difference noise arrays", () => {
    const agg = new FindingsAggregator();
    const l = captured(200, fastapiHeaders(), "{}");
    const c = captured(0, {}, "", { error: "CUTOVER_ERR_UPSTREAM_TIMEOUT" });
    const ds = diffResponses(l, c, OPTS);
    agg.countMirrored(ROUTE, TEMPLATE, 4);
    agg.add(exchange(1, l, c), ds, ["real"]);
    const [f] = agg.list();
    assert.equal(f?.kind, "upstream_error");
    assert.equal(f.examples[0]?.candidate.error, "CUTOVER_ERR_UPSTREAM_TIMEOUT");
    assert.equal(f.rate.rate, 0.25);
  });
});

describe("FindingsAggregator bounds", () => {
  it("beyond maxFindings new groups are not opened, and their requests count as differing", () => {
    const agg = new FindingsAggregator({ maxFindings: 1 });
    const l = captured(200, fastapiHeaders(), '{"a":1,"b":1}');
    const c = captured(200, fastapiHeaders(), '{"a":2,"b":2}');
    agg.countMirrored(ROUTE, TEMPLATE, 2);
    agg.add(exchange(1, l, c), diffResponses(l, c, OPTS), "real");
    assert.equal(agg.list().length, 1);
    agg.accept(agg.list()[0]?.id ?? "", "fine", "me");
    assert.equal(agg.routes()[0]?.differing, 1, "the unrecorded $.b keeps the request counted");
  });
});

describe("wilson", () => {
  it("matches known values and stays inside [0, 1]", () => {
    const r = wilson(10, 100);
    assert.equal(r.rate, 0.1);
    assert.ok(Math.abs(r.low - 0.0552) < 1e-3 && Math.abs(r.high - 0.1744) < 1e-3, JSON.stringify(r));
    const zero = wilson(0, 20);
    assert.equal(zero.low, 0);
    assert.ok(Math.abs(zero.high - 0.1611) < 1e-3);
    assert.deepEqual(wilson(0, 0), { rate: 0, low: 0, high: 1 });
    assert.equal(wilson(5, 5).high, 1);
  });
});
