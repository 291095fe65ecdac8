import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compilePathPattern, compilePathPatterns, formatPath, matchesAt, matchesPathOrAncestor } from "./path.js";

describe("json paths", () => {
  it("formats concrete and grouped paths", () => {
    assert.equal(formatPath(["items", 3, "id"], 3, false), "$.items[3].id");
    assert.equal(formatPath(["items", 3, "id"], 3, true), "$.items[*].id");
    assert.equal(formatPath(["a b", 0], 2, false), '$["a b"][0]');
    assert.equal(formatPath([], 0, false), "$");
  });

  it("compiles patterns and explains the bad ones", () => {
    assert.ok("tokens" in compilePathPattern("$.meta.request_id"));
    assert.ok("tokens" in compilePathPattern('$.items[*]["odd key"]..trace_id'));
    for (const bad of ["meta.id", "$.", "$..", "$.items[", "$.items[x]", "$..[", "$a"]) {
      assert.ok("error" in compilePathPattern(bad), bad);
    }
  });

  it("matches exactly, with [*], .* and ..", () => {
    const p = compilePathPatterns(["$.meta.request_id", "$.items[*].etag", "$..trace_id", "$.m.*.x"]);
    assert.ok(matchesAt(p, ["meta", "request_id"], 2));
    assert.ok(!matchesAt(p, ["meta", "request_idx"], 2), "no substring matching");
    assert.ok(matchesAt(p, ["items", 7, "etag"], 3));
    assert.ok(matchesAt(p, ["items", "7", "etag"], 3), "[*] matches one segment, key or index");
    assert.ok(matchesAt(p, ["trace_id"], 1));
    assert.ok(matchesAt(p, ["a", 1, "b", "trace_id"], 4));
    assert.ok(matchesAt(p, ["m", "q", "x"], 3));
    assert.ok(!matchesAt(p, ["items", 7], 2));
  });

  it("matchesPathOrAncestor covers everything below a pattern", () => {
    const p = compilePathPatterns(["$.user"]);
    assert.ok(matchesPathOrAncestor(p, ["user", "email"]));
    assert.ok(!matchesPathOrAncestor(p, ["users", "email"]));
  });
});
