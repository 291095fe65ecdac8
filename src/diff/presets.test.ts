import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { activeRules, describePresets, knownPresets, presetsFor, REPORTED_ON_PURPOSE } from "./presets.js";

describe("presets", () => {
  it("auto resolves the declared framework pair", () => {
    assert.deepEqual(presetsFor("flask", "fastapi"), ["flask->fastapi"]);
    assert.deepEqual(presetsFor("FastAPI", "Flask"), ["fastapi->flask"]);
    assert.deepEqual(presetsFor("flask", "robyn"), [], "not measured, no rules");
    assert.deepEqual(presetsFor(undefined, "fastapi"), []);
    assert.deepEqual(knownPresets().sort(), ["fastapi->flask", "flask->fastapi"]);
  });

  it("every rule is listed, built-in first; unknown names are listed, not dropped", () => {
    const d = describePresets(["flask->fastapi", "flsk->fastapi", "flask->fastapi"]);
    assert.deepEqual(
      d.map((p) => p.name),
      ["built-in", "flask->fastapi", "flsk->fastapi"],
    );
    const flask = d[1]?.rules.join("\n") ?? "";
    for (const id of [
      "json-key-order",
      "json-ascii-escapes",
      "trailing-newline",
      "header-name-lowercase",
      "reason-phrase",
      "content-length",
      "json-charset",
      "no-content-type-without-body",
      "cors-without-origin",
    ]) {
      assert.ok(flask.includes(`${id}:`), id);
    }
    assert.deepEqual(d[2]?.rules, ["unknown preset: no rules applied"]);
    assert.ok(REPORTED_ON_PURPOSE.some((r) => r.includes("datetime")));
  });

  it("rules switch behaviour only for the presets that declare them", () => {
    assert.equal(activeRules([]).trailingNewline, false);
    assert.deepEqual(activeRules(["flask->fastapi"]), {
      trailingNewline: true,
      jsonCharset: true,
      noContentTypeWithoutBody: true,
      corsWithoutOrigin: true,
    });
  });
});
