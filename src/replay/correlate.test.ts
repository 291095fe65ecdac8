import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseJson } from "../json/parse.js";
import { Correlator, laterValues, pairValues } from "../correlate/correlate.js";
import { authProblem, recordedJwt, refreshClaims } from "./jwt.js";
import { groupByUser } from "./plan.js";
import { parseFailOn } from "./report.js";
import type { RecordedRequest } from "../recording/types.js";

const json = (s: string): unknown => (parseJson(s) as { value: unknown }).value;

describe("correlated values", () => {
  it("learns differing id-like values only: ids under id keys, generated-looking strings", () => {
    const pairs = pairValues(
      json('{"note":{"id":3,"qty":1,"text":"a"},"session_id":"aaa","token":"x1y2z3w4v5","items":[{"id":7}]}'),
      json('{"note":{"id":1001,"qty":2,"text":"b"},"session_id":"bbb","token":"q9r8s7t6u5","items":[{"id":1007}]}'),
    );
    assert.deepEqual(
      pairs.map((p) => `${p.path}=${p.legacy}>${p.candidate}`),
      ["$.note.id=3>1001", "$.session_id=aaa>bbb", "$.token=x1y2z3w4v5>q9r8s7t6u5", "$.items[0].id=7>1007"],
    );
  });

  it("keeps big integers exact", () => {
    const [p] = pairValues(json('{"id":9007199254740993}'), json('{"id":9007199254740995}'));
    assert.equal(p?.legacy, "9007199254740993");
  });

  it("substitutes in path segments, query values, header tokens and JSON bodies; latest pair wins", () => {
    const c = new Correlator();
    c.learn(json('{"id":3,"sid":"s-legacy-1"}'), json('{"id":1001,"sid":"s-cand-1"}'), "r1");
    c.learn(json('{"id":3}'), json('{"id":1002}'), "r2"); // legacy reused 3, the candidate did not
    const r = c.rewrite({
      target: "/notes/3?session=s-legacy-1&n=3",
      headers: [
        ["x-session-id", "s-legacy-1"],
        ["cookie", "sid=s-legacy-1; theme=dark"],
      ],
      body: Buffer.from('{"note_id":3,"keep":"3x"}'),
    });
    assert.equal(r.request.target, "/notes/1002?session=s-cand-1&n=1002");
    assert.deepEqual(r.request.headers, [
      ["x-session-id", "s-cand-1"],
      ["cookie", "sid=s-cand-1; theme=dark"],
    ]);
    assert.equal(r.request.body?.toString(), '{"note_id":1002,"keep":"3x"}');
    assert.equal(r.substitutions.length, 6);
    assert.ok(c.isMapped({ kind: "value_changed", path: "$.id", groupPath: "$.id", legacy: "3", candidate: "1002" }));
    assert.ok(!c.isMapped({ kind: "value_changed", path: "$.id", groupPath: "$.id", legacy: "3", candidate: "1001" }));
  });

  it("maps only values that reappear in a later request", () => {
    const later = laterValues([
      { target: "/a", headers: [], body: undefined },
      { target: "/sessions/aaa", headers: [["x-k", "Bearer tok123"]], body: Buffer.from('{"ref":"r-9"}') },
    ]);
    assert.equal(later.get("aaa"), 1);
    assert.equal(later.get("tok123"), 1);
    assert.equal(later.get("r-9"), 1);
    const c = new Correlator();
    c.learn(json('{"id":5,"sid":"aaa"}'), json('{"id":6,"sid":"bbb"}'), "r0", (v) => (later.get(v) ?? -1) > 0);
    assert.deepEqual(
      c.mappings().map((m) => m.legacy),
      ["aaa"],
    );
  });
});

describe("replay plumbing", () => {
  it("groups by user, keeping each user's order", () => {
    const req = (i: number, user?: string): RecordedRequest => ({
      index: i,
      id: `${i}`,
      at: i,
      method: "GET",
      target: "/",
      headers: user ? [["x-user-id", user]] : [],
      body: undefined,
      redacted: [],
    });
    const g = groupByUser([req(0, "a"), req(1, "b"), req(2, "a"), req(3)], ["header:x-user-id"]);
    assert.deepEqual(
      g.map((x) => [x.user, x.requests.map((r) => r.index)]),
      [
        ["header:a", [0, 2]],
        ["header:b", [1]],
        ["", [3]],
      ],
    );
  });

  it("refreshes time claims keeping the lifetime, and tells expired from redacted tokens", () => {
    assert.deepEqual(refreshClaims({ sub: "1", iat: 100, nbf: 100, exp: 400 }, 1000), {
      sub: "1",
      iat: 1000,
      nbf: 1000,
      exp: 1300,
    });
    const expired = recordedJwt("Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwiZXhwIjoxMDB9.c2ln", undefined);
    assert.ok(expired);
    assert.equal(authProblem(expired, 1000), "expired");
    const kept = recordedJwt("[redacted]", { header: { alg: "HS256" }, claims: { sub: "1" } });
    assert.ok(kept);
    assert.equal(authProblem(kept, 1000), "redacted");
  });

  it("parses --fail-on short names", () => {
    assert.deepEqual([...parseFailOn("status,field_missing,type_changed")].sort(), [
      "field_missing",
      "status_changed",
      "type_changed",
    ]);
    assert.ok(parseFailOn("header").has("header_added"));
    assert.equal(parseFailOn("none").size, 0);
    assert.throws(() => parseFailOn("bogus"), /unknown finding kind/);
  });
});
