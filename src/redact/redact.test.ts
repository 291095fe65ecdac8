import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseJson } from "../json/parse.js";
import { stringifyJson } from "../diff/json-stringify.js";
import { redactHeaders, redactJson, redactTarget, redactText, isSensitiveKey, REDACTED } from "./index.js";

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";

describe("redactHeaders", () => {
  it("masks credential headers and configured names, keeps the names and other values", () => {
    const r = redactHeaders(
      {
        Authorization: "Bearer abc",
        cookie: "sid=1",
        "set-cookie": ["a=1", "b=2"],
        "proxy-authorization": "Basic x",
        "x-api-key": "k",
        "x-tenant-secret": "t",
        accept: "application/json",
        skipped: undefined,
      },
      ["X-Tenant-Secret"],
    );
    assert.deepEqual(r.headers, {
      authorization: REDACTED,
      cookie: REDACTED,
      "set-cookie": [REDACTED, REDACTED],
      "proxy-authorization": REDACTED,
      "x-api-key": REDACTED,
      "x-tenant-secret": REDACTED,
      accept: "application/json",
    });
    assert.deepEqual(r.masked, [
      "authorization",
      "cookie",
      "set-cookie",
      "proxy-authorization",
      "x-api-key",
      "x-tenant-secret",
    ]);
  });
});

describe("redactJson", () => {
  it("masks configured paths and secret-like keys, says what it masked, leaves the input alone", () => {
    const input = {
      user: { email: "a@x.test", password: "hunter2", has_password: true, apiKey: "k", author: "Zoë" },
      items: [{ card: "4111", id: 1 }],
      session: { access_token: "t", refresh_token: null },
      note: `Bearer ${"x".repeat(20)}`,
      blob: JWT,
    };
    const r = redactJson(input, ["$.user.email", "$.items[*].card"]);
    assert.deepEqual(r.value, {
      user: { email: REDACTED, password: REDACTED, has_password: true, apiKey: REDACTED, author: "Zoë" },
      items: [{ card: REDACTED, id: 1 }],
      session: { access_token: REDACTED, refresh_token: null },
      note: REDACTED,
      blob: REDACTED,
    });
    assert.deepEqual(r.masked, [
      "$.user.email (config)",
      "$.user.password (key)",
      "$.user.apiKey (key)",
      "$.items[0].card (config)",
      "$.session.access_token (key)",
      "$.note (value)",
      "$.blob (value)",
    ]);
    assert.equal(input.user.password, "hunter2");
  });

  it("keeps exact numbers exact and __proto__ keys as data", () => {
    const p = parseJson('{"id":9007199254740993,"__proto__":{"x":1}}');
    assert.ok(p.ok);
    const r = redactJson(p.value);
    assert.equal(stringifyJson(r.value), '{"id":9007199254740993,"__proto__":{"x":1}}');
    assert.equal(Object.getPrototypeOf(r.value), Object.prototype);
  });
});

describe("key and text heuristics", () => {
  it("matches secret names by word, not by accident", () => {
    for (const k of [
      "password",
      "client_secret",
      "apiKey",
      "api-key",
      "access_token",
      "refreshToken",
      "token",
      "pin",
      "sessionId",
      "X-Auth-Token",
    ]) {
      assert.ok(isSensitiveKey(k), k);
    }
    for (const k of ["author", "classname", "tokenizer_name", "pinned", "name", "id", "spinner"]) {
      assert.ok(!isSensitiveKey(k), k);
    }
  });

  it("masks tokens inside free text (HTML pages, forms, SSE data)", () => {
    const r = redactText(`<p>token=abc123&x=1</p> Authorization: Bearer abcdefghijkl ${JWT} "password": "hunter2"`);
    assert.equal(r.text.includes("abc123"), false);
    assert.equal(r.text.includes("abcdefghijkl"), false);
    assert.equal(r.text.includes(JWT), false);
    assert.equal(r.text.includes("hunter2"), false);
    assert.equal(r.count, 4);
    assert.deepEqual(redactText("nothing to see"), { text: "nothing to see", count: 0 });
  });

  it("masks secret-like query parameters in request targets", () => {
    assert.deepEqual(redactTarget("/items?page=2&api_key=abc&access_token=t"), {
      target: "/items?page=2&api_key=%5Bredacted%5D&access_token=%5Bredacted%5D",
      masked: ["query:api_key", "query:access_token"],
    });
    assert.deepEqual(redactTarget("/items"), { target: "/items", masked: [] });
  });
});
