import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffJson, jsonEqual, MAX_JSON_DIFFERENCES } from "./json-diff.js";
import { parseJson } from "../json/parse.js";
import { compilePathPatterns } from "../json/path.js";
import type { Difference } from "./types.js";

function diff(a: unknown, b: unknown, ignore: string[] = []): Difference[] {
  const out: Difference[] = [];
  diffJson(a, b, { ignore: compilePathPatterns(ignore), redact: [] }, out);
  return out;
}
const brief = (ds: Difference[]): string[] => ds.map((d) => `${d.kind} ${d.path}${d.detail ? ` (${d.detail})` : ""}`);

describe("diffJson: classification", () => {
  it("object key order is never a difference", () => {
    assert.deepEqual(diff({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }), []);
  });

  it("field_missing and field_added, with previews", () => {
    const ds = diff({ id: 1, email: "a@x.test" }, { id: 1, role: "admin" });
    assert.deepEqual(ds, [
      { kind: "field_missing", path: "$.email", groupPath: "$.email", legacy: '"a@x.test"' },
      { kind: "field_added", path: "$.role", groupPath: "$.role", candidate: '"admin"' },
    ]);
  });

  it("field_renamed: one missing and one added at the same parent with an equal value", () => {
    assert.deepEqual(brief(diff({ user: { user_name: "zoe", id: 7 } }, { user: { id: 7, username: "zoe" } })), [
      "field_renamed $.user.user_name (user_name → username)",
    ]);
    // Different values are not a rename.
    assert.deepEqual(brief(diff({ user_name: "zoe" }, { username: "zoë" })), [
      "field_missing $.user_name",
      "field_added $.username",
    ]);
  });

  it('type_changed: "42" vs 42, number vs null, object vs list', () => {
    assert.deepEqual(brief(diff({ a: "42", b: 1, c: {} }, { a: 42, b: null, c: [] })), [
      "type_changed $.a (string (integer string) → number)",
      "type_changed $.b (number → null)",
      "type_changed $.c (object → array)",
    ]);
  });

  it("null_vs_absent both ways (FastAPI sends null where Flask omitted the key, and vice versa)", () => {
    assert.deepEqual(brief(diff({ tags: null }, {})), ["null_vs_absent $.tags (null on legacy, absent on candidate)"]);
    assert.deepEqual(brief(diff({}, { tags: null })), ["null_vs_absent $.tags (absent on legacy, null on candidate)"]);
  });

  it("value_changed for strings, numbers and booleans; 1 and 1.0 are the same number", () => {
    assert.deepEqual(brief(diff({ s: "a", n: 1, b: true, f: 1 }, { s: "b", n: 2, b: false, f: 1.0 })), [
      "value_changed $.s",
      "value_changed $.n",
      "value_changed $.b",
    ]);
  });

  it("list_order: the same multiset in another order is one difference, not N", () => {
    const a = { items: [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }] };
    const b = { items: [{ id: 4 }, { id: 3 }, { id: 2 }, { id: 1 }] };
    assert.deepEqual(brief(diff(a, b)), ["list_order $.items (same items in a different order)"]);
    assert.deepEqual(brief(diff([1, 1, 2], [1, 2, 1])), ["list_order $ (same items in a different order)"]);
  });

  it("list length changes: items added or missing, wherever they are", () => {
    assert.deepEqual(brief(diff([1, 2, 3], [0, 1, 2, 3])), ["field_added $[0] (item added)"]);
    assert.deepEqual(brief(diff([1, 2, 3], [1, 3])), ["field_missing $[1] (item missing)"]);
    const ds = diff({ items: [{ id: 1 }, { id: 2 }] }, { items: [{ id: 1 }, { id: 2 }, { id: 3 }] });
    assert.deepEqual(ds, [
      { kind: "field_added", path: "$.items[2]", groupPath: "$.items[*]", candidate: '{"id":3}', detail: "item added" },
    ]);
  });

  it("items changed in place are diffed inside, grouped by [*]", () => {
    const a = {
      items: [
        { id: 1, price: 5 },
        { id: 2, price: 6 },
        { id: 3, price: 7 },
      ],
    };
    const b = {
      items: [
        { id: 1, price: 5 },
        { id: 2, price: 9 },
        { id: 3, price: 7 },
      ],
    };
    assert.deepEqual(diff(a, b), [
      { kind: "value_changed", path: "$.items[1].price", groupPath: "$.items[*].price", legacy: "6", candidate: "9" },
    ]);
  });

  it("items matched by id when the list is reordered and one item changed", () => {
    const a = [
      { id: "a", v: 1 },
      { id: "b", v: 2 },
      { id: "c", v: 3 },
    ];
    const b = [
      { id: "c", v: 3 },
      { id: "a", v: 1 },
      { id: "b", v: 20 },
    ];
    assert.deepEqual(brief(diff(a, b)), [
      "list_order $ (items reordered (and changed, see below))",
      "value_changed $[1].v",
    ]);
  });

  it("scalars replaced at another position are missing + added, not changed", () => {
    assert.deepEqual(brief(diff(["a", "b", "c"], ["b", "c", "x"])), [
      "field_missing $[0] (item missing)",
      "field_added $[2] (item added)",
    ]);
    assert.deepEqual(brief(diff(["a", "b", "c"], ["a", "x", "c"])), ["value_changed $[1]"]);
  });

  it("odd keys are quoted in paths", () => {
    assert.deepEqual(brief(diff({ "a b": 1, "x.y": 2 }, { "a b": 2, "x.y": 3 })), [
      'value_changed $["a b"]',
      'value_changed $["x.y"]',
    ]);
  });

  it("ignored paths are left out everywhere, also when matching list items", () => {
    const a = {
      items: [
        { id: 1, etag: "x" },
        { id: 2, etag: "y" },
      ],
    };
    const b = {
      items: [
        { id: 2, etag: "q" },
        { id: 1, etag: "r" },
      ],
    };
    assert.deepEqual(brief(diff(a, b, ["$.items[*].etag"])), ["list_order $.items (same items in a different order)"]);
  });

  it("more than MAX_JSON_DIFFERENCES differences are summarised", () => {
    const a = Array.from({ length: 300 }, (_, i) => ({ id: i, v: 0 }));
    const b = Array.from({ length: 300 }, (_, i) => ({ id: i, v: 1 }));
    const ds = diff(a, b);
    assert.equal(ds.length, MAX_JSON_DIFFERENCES + 1);
    assert.equal(ds.at(-1)?.kind, "body_changed");
    assert.match(ds.at(-1)?.detail ?? "", /200 more JSON differences not listed/);
  });

  it("very deep documents do not overflow the stack", () => {
    const deep = (leaf: number): unknown => {
      let v: unknown = leaf;
      for (let i = 0; i < 5000; i++) v = { x: v };
      return v;
    };
    const ds = diff(deep(1), deep(2));
    assert.equal(ds.length, 1);
    assert.equal(ds[0]?.detail, "nested too deeply to diff");
  });
});

describe("diffJson: exact numbers", () => {
  it("reports when JSON.parse would have rounded, so callers re-parse", () => {
    const out: Difference[] = [];
    const ok = diffJson(
      JSON.parse("[9007199254740993]"),
      JSON.parse("[9007199254740992]"),
      { ignore: [], redact: [] },
      out,
    );
    assert.equal(ok, false);
  });

  it("parseJson keeps long numbers exact and compares 1e2 with 100", () => {
    const a = parseJson('{"a":9007199254740993,"b":100,"c":0.1000000000000000055511151231257827}');
    const b = parseJson('{"a":9007199254740993,"b":1e2,"c":0.1000000000000000055511151231257827}');
    assert.ok(a.ok && b.ok);
    assert.deepEqual(diff(a.value, b.value), []);
    assert.ok(jsonEqual(a.value, b.value));
    const c = parseJson('{"a":9007199254740992,"b":100,"c":0.1}');
    assert.ok(c.ok);
    assert.deepEqual(brief(diff(a.value, c.value)), ["value_changed $.a", "value_changed $.c"]);
  });

  it("digits inside strings are left alone; a \\u0000 escape takes the fallback parser", () => {
    const r = parseJson('{"s":"12345678901234567890","n":12345678901234567890,"z":"\\u0000#1"}');
    assert.ok(r.ok);
    const v = r.value as Record<string, unknown>;
    assert.equal(v.s, "12345678901234567890");
    assert.equal(String(v.n), "12345678901234567890");
    assert.equal(v.z, "\u0000#1");
  });

  it("invalid JSON never throws, and the message quotes no body text", () => {
    const r = parseJson('{"password":"hunter2", "x": NaN}');
    assert.equal(r.ok, false);
    assert.ok(!r.error.includes("hunter2"), r.error);
  });
});
