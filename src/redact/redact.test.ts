import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseJson } from "../json/parse.js";
import { stringifyJson } from "../diff/json-stringify.js";
import {
  isCardNumber,
  isSensitiveHeader,
  isSensitiveKey,
  luhn,
  maskCards,
  redactHeaders,
  redactJson,
  redactTarget,
  redactText,
  REDACTED,
} from "./index.js";

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

describe("card numbers and secret-named headers", () => {
  const PAN = "4111111111111111";
  it("masks Luhn-valid card numbers in text, keeps other long numbers", () => {
    assert.ok(luhn(PAN));
    assert.ok(!luhn("4111111111111112"));
    const r = maskCards(`paid with 4111 1111 1111 1111 and 5500-0000-0000-0004 at 1733150000000, ref 4111111111111112`);
    assert.equal(r.count, 2);
    assert.equal(r.text, "paid with [card …1111] and [card …0004] at 1733150000000, ref 4111111111111112");
    assert.equal(redactText(`card=${PAN}`).text.includes(PAN), false);
  });

  it("masks card numbers in JSON strings and numbers, and key=value secrets inside strings", () => {
    const p = parseJson(`{"n":${PAN},"s":"x ${PAN}","q":"api_key=s3cr3tvalue&page=2","id":1733150000000}`);
    assert.ok(p.ok);
    const r = redactJson(p.value);
    const out = stringifyJson(r.value);
    assert.equal(out.includes(PAN), false);
    assert.equal(out.includes("s3cr3tvalue"), false);
    assert.ok(out.includes("1733150000000"));
    assert.ok(out.includes("page=2"));
  });

  it("masks headers named like secrets and card numbers in other header values", () => {
    const r = redactHeaders({
      "X-Session-Token": "abc",
      "x-api-token": "def",
      "x-password": "ghi",
      "x-card": "4111-1111-1111-1111",
      accept: "*/*",
    });
    assert.deepEqual(r.headers, {
      "x-session-token": REDACTED,
      "x-api-token": REDACTED,
      "x-password": REDACTED,
      "x-card": "[card …1111]",
      accept: "*/*",
    });
    assert.ok(isSensitiveHeader("X-Session-Token") && !isSensitiveHeader("content-type"));
  });

  it("masks card numbers in paths and queries, plain or percent-encoded", () => {
    const r = redactTarget(`/cards/${PAN}?n=4111%201111%201111%201111&api_key=k`);
    assert.equal(r.target, "/cards/[card …1111]?n=[card …1111]&api_key=%5Bredacted%5D");
    assert.ok(isCardNumber(PAN) && !isCardNumber("1733150000000"));
  });
});
