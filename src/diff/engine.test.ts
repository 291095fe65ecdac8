import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { diffResponses } from "./engine.js";
import { captured, fastapiHeaders, fastapiJson, flaskHeaders, flaskJson, flaskPair } from "./testing.js";
import type { DiffOptions, Difference } from "./types.js";

const FLASK_FASTAPI: DiffOptions = { ignoreHeaders: [], ignorePaths: [], presets: ["flask->fastapi"] };
const NO_PRESETS: DiffOptions = { ignoreHeaders: [], ignorePaths: [], presets: [] };

const kinds = (ds: Difference[]): string[] => ds.map((d) => `${d.kind} ${d.path}`);

describe("diffResponses: Flask 2.2 vs FastAPI 0.92 byte drift is not a difference", () => {
  it("sorted keys, \\u escapes and a trailing newline vs field order and raw UTF-8", () => {
    const doc = { name: "héllo ☃ 😀", z: 1, a: [1, 2], nested: { y: true, x: null } };
    const [l, c] = flaskPair(doc, doc);
    assert.ok(l.body.toString().includes("\\u00e9") && l.body.toString().includes("\\ud83d\\ude00"));
    assert.ok(c.body.toString().includes("é"));
    assert.deepEqual(diffResponses(l, c, FLASK_FASTAPI), []);
    // Even without presets: parsing makes key order, escapes and whitespace irrelevant.
    assert.deepEqual(diffResponses(l, c, NO_PRESETS), []);
  });

  it("volatile headers (Date, Server, Connection, Content-Length) and header-name case", () => {
    const l = captured(200, { "Content-Type": "application/json", Server: "gunicorn", Connection: "close" }, "{}\n");
    const c = captured(200, { "content-type": "application/json", server: "uvicorn", "content-length": "2" }, "{}");
    assert.deepEqual(diffResponses(l, c, NO_PRESETS), []);
  });

  it("Allow is compared as a set (Flask's order varies between processes)", () => {
    const l = captured(405, { allow: "HEAD, OPTIONS, GET", "content-type": "text/html; charset=utf-8" }, "x");
    const same = captured(405, { allow: "GET, HEAD, OPTIONS", "content-type": "text/html; charset=utf-8" }, "x");
    assert.deepEqual(diffResponses(l, same, NO_PRESETS), []);
    const fewer = captured(405, { allow: "GET", "content-type": "text/html; charset=utf-8" }, "x");
    assert.deepEqual(kinds(diffResponses(l, fewer, NO_PRESETS)), ["header_changed header:allow"]);
  });

  it("application/json with and without charset=utf-8 only under the preset", () => {
    const l = captured(200, { "content-type": "application/json" }, "{}");
    const c = captured(200, { "content-type": "application/json; charset=UTF-8" }, "{}");
    assert.deepEqual(diffResponses(l, c, FLASK_FASTAPI), []);
    assert.deepEqual(kinds(diffResponses(l, c, NO_PRESETS)), ["header_changed header:content-type"]);
  });

  it("trailing newline on text bodies only under the preset", () => {
    const l = captured(200, { "content-type": "text/plain; charset=utf-8" }, "ok\n");
    const c = captured(200, { "content-type": "text/plain; charset=utf-8" }, "ok");
    assert.deepEqual(diffResponses(l, c, FLASK_FASTAPI), []);
    assert.deepEqual(kinds(diffResponses(l, c, NO_PRESETS)), ["body_changed body"]);
  });

  it("204: Flask's text/html Content-Type on an empty answer vs none", () => {
    const l = captured(204, { "content-type": "text/html; charset=utf-8" });
    const c = captured(204, {});
    assert.deepEqual(diffResponses(l, c, FLASK_FASTAPI), []);
    assert.deepEqual(kinds(diffResponses(l, c, NO_PRESETS)), ["content_type_changed header:content-type"]);
  });

  it("gzip, br or deflate on one side only is not a body difference", () => {
    const doc = { items: [1, 2, 3], text: "x".repeat(600) };
    for (const [enc, zip] of [
      ["gzip", gzipSync],
      ["br", brotliCompressSync],
      ["deflate", deflateSync],
    ] as const) {
      const l = captured(200, flaskHeaders(), flaskJson(doc));
      const c = captured(200, fastapiHeaders({ "content-encoding": enc }), zip(fastapiJson(doc)));
      assert.deepEqual(kinds(diffResponses(l, c, FLASK_FASTAPI)), [], enc);
    }
  });

  it("CORS headers on requests without Origin only under the preset and with the request known", () => {
    const l = captured(200, flaskHeaders({ "access-control-allow-origin": "*" }), "{}\n");
    const c = captured(200, fastapiHeaders(), "{}");
    assert.deepEqual(diffResponses(l, c, FLASK_FASTAPI, { method: "GET", headers: {} }), []);
    const withOrigin = { method: "GET", headers: { origin: "http://example.test" } };
    assert.deepEqual(kinds(diffResponses(l, c, FLASK_FASTAPI, withOrigin)), [
      "header_missing header:access-control-allow-origin",
    ]);
    assert.equal(diffResponses(l, c, FLASK_FASTAPI).length, 1, "unknown request: compared");
  });
});

describe("diffResponses: client-visible drift is reported", () => {
  it("9007199254740993 vs 9007199254740992 is value_changed (no rounding)", () => {
    const l = captured(200, flaskHeaders(), '{"id":9007199254740993,"n":1}\n');
    const c = captured(200, fastapiHeaders(), '{"n":1,"id":9007199254740992}');
    const ds = diffResponses(l, c, FLASK_FASTAPI);
    assert.deepEqual(ds, [
      {
        kind: "value_changed",
        path: "$.id",
        groupPath: "$.id",
        legacy: "9007199254740993",
        candidate: "9007199254740992",
      },
    ]);
    const same = captured(200, fastapiHeaders(), '{"n":1,"id":9007199254740993}');
    assert.deepEqual(diffResponses(l, same, FLASK_FASTAPI), []);
  });

  it("big integers inside lists and added fields keep their digits", () => {
    const l = captured(200, flaskHeaders(), '{"ids":[9007199254740993,1]}');
    const c = captured(200, fastapiHeaders(), '{"ids":[1,9007199254740993],"x":18446744073709551617}');
    assert.deepEqual(kinds(diffResponses(l, c, FLASK_FASTAPI)), ["list_order $.ids", "field_added $.x"]);
    assert.equal(diffResponses(l, c, FLASK_FASTAPI)[1]?.candidate, "18446744073709551617");
  });

  it('Decimal("10.10"): Flask "10.10" (string) vs FastAPI 10.1 (float) is type_changed', () => {
    const [l, c] = flaskPair({ price: "10.10" }, { price: 10.1 });
    const [d] = diffResponses(l, c, FLASK_FASTAPI);
    assert.deepEqual(d, {
      kind: "type_changed",
      path: "$.price",
      groupPath: "$.price",
      legacy: '"10.10"',
      candidate: "10.1",
      detail: "string (decimal string) → number",
    });
  });

  it("RFC 822 vs ISO 8601 datetimes are format_changed, both formats named", () => {
    const [l, c] = flaskPair({ created: "Tue, 02 Jan 2024 03:04:05 GMT" }, { created: "2024-01-02T03:04:05.678000" });
    const [d] = diffResponses(l, c, FLASK_FASTAPI);
    assert.equal(d?.kind, "format_changed");
    assert.equal(d.detail, "RFC 822 date → ISO 8601 date-time (no zone, fraction)");
  });

  it('404: Werkzeug HTML page vs {"detail":"Not Found"} is content_type_changed + body_changed', () => {
    const html =
      "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server.</p>\n";
    const l = captured(404, flaskHeaders({ "content-type": "text/html; charset=utf-8" }), html);
    const c = captured(404, fastapiHeaders(), '{"detail":"Not Found"}');
    const ds = diffResponses(l, c, FLASK_FASTAPI);
    assert.deepEqual(kinds(ds), ["content_type_changed header:content-type", "body_changed body"]);
    assert.equal(ds[0]?.detail, "text/html → application/json");
  });

  it("text/html vs text/plain for the same body stays a content-type change under the preset", () => {
    const l = captured(200, { "content-type": "text/html; charset=utf-8" }, "ok");
    const c = captured(200, { "content-type": "text/plain; charset=utf-8" }, "ok");
    assert.deepEqual(kinds(diffResponses(l, c, FLASK_FASTAPI)), ["content_type_changed header:content-type"]);
  });

  it('/health returning "ok": text/html ok vs application/json "ok"', () => {
    const l = captured(200, { "content-type": "text/html; charset=utf-8" }, "ok");
    const c = captured(200, { "content-type": "application/json" }, '"ok"');
    assert.deepEqual(kinds(diffResponses(l, c, FLASK_FASTAPI)), [
      "content_type_changed header:content-type",
      "body_changed body",
    ]);
  });

  it("trailing slash: Flask 404 vs Starlette 307 redirect", () => {
    const l = captured(404, flaskHeaders({ "content-type": "text/html; charset=utf-8" }), "<h1>Not Found</h1>");
    const c = captured(307, { location: "http://api.example.test/items", "content-length": "0" });
    assert.deepEqual(kinds(diffResponses(l, c, FLASK_FASTAPI)), [
      "status_changed status",
      "content_type_changed header:content-type",
      "header_added header:location",
      "body_changed body",
    ]);
  });

  it("HEAD on a GET route: Flask 200 vs FastAPI 405; bodies are not compared for HEAD", () => {
    const l = captured(200, flaskHeaders());
    const c = captured(405, fastapiHeaders({ allow: "GET" }), '{"detail":"Method Not Allowed"}');
    assert.deepEqual(kinds(diffResponses(l, c, FLASK_FASTAPI, { method: "HEAD" })), [
      "status_changed status",
      "header_added header:allow",
    ]);
  });

  it("NaN from Flask (invalid JSON) vs FastAPI's 500 falls back to a text diff, no throw", () => {
    const l = captured(200, flaskHeaders(), '{"ratio":NaN}\n');
    const c = captured(500, { "content-type": "text/plain; charset=utf-8" }, "Internal Server Error");
    const ds = diffResponses(l, c, FLASK_FASTAPI);
    assert.deepEqual(kinds(ds), [
      "status_changed status",
      "content_type_changed header:content-type",
      "body_changed body",
    ]);
    assert.match(ds[2]?.detail ?? "", /legacy body is not valid JSON/);
    const both = captured(200, fastapiHeaders(), '{"ratio":NaN}');
    assert.deepEqual(diffResponses(l, both, FLASK_FASTAPI), [], "same NaN text, newline preset");
    const nulls = captured(200, fastapiHeaders(), '{"ratio":null}');
    assert.deepEqual(kinds(diffResponses(l, nulls, FLASK_FASTAPI)), ["body_changed body"]);
  });

  it("empty bodies on both sides are equal; empty vs non-empty is body_changed", () => {
    assert.deepEqual(diffResponses(captured(200, {}), captured(200, {}), NO_PRESETS), []);
    const ds = diffResponses(captured(200, flaskHeaders()), captured(200, fastapiHeaders(), "null"), NO_PRESETS);
    assert.deepEqual(kinds(ds), ["body_changed body"]);
  });

  it("bodies of other types are compared by content, previewed by digest", () => {
    const png = { "content-type": "image/png" };
    assert.deepEqual(
      diffResponses(captured(200, png, Buffer.from([1, 2])), captured(200, png, Buffer.from([1, 2])), NO_PRESETS),
      [],
    );
    const [d] = diffResponses(
      captured(200, png, Buffer.from([1, 2])),
      captured(200, png, Buffer.from([1, 3])),
      NO_PRESETS,
    );
    assert.equal(d?.kind, "body_changed");
    assert.match(d.legacy ?? "", /^sha256:[0-9a-f]{16} \(2 bytes\)$/);
  });
});

describe("diffResponses: failures", () => {
  it("an upstream error on one side is exactly one upstream_error", () => {
    const l = captured(200, flaskHeaders(), "{}");
    const c = captured(0, {}, "", { error: "CUTOVER_ERR_UPSTREAM_TIMEOUT" });
    assert.deepEqual(diffResponses(l, c, NO_PRESETS), [
      {
        kind: "upstream_error",
        path: "upstream",
        groupPath: "upstream",
        legacy: "answered 200",
        candidate: "CUTOVER_ERR_UPSTREAM_TIMEOUT",
        detail: "candidate gave no response",
      },
    ]);
    assert.deepEqual(diffResponses(c, c, NO_PRESETS), [], "the same failure on both sides");
  });

  it("a body that cannot be decoded is a difference, not a crash", () => {
    const l = captured(200, flaskHeaders({ "content-encoding": "gzip" }), "definitely not gzip");
    const c = captured(200, fastapiHeaders(), "{}");
    const ds = diffResponses(l, c, NO_PRESETS);
    assert.deepEqual(kinds(ds), ["body_changed body"]);
    assert.match(ds[0]?.detail ?? "", /^legacy: gzip decoding failed/);
    const zstd = captured(200, fastapiHeaders({ "content-encoding": "zstd" }), "(bytes)");
    assert.match(diffResponses(c, zstd, NO_PRESETS)[0]?.detail ?? "", /unsupported content-encoding "zstd"/);
  });

  it("truncated captures: equal prefixes are not a difference, different ones say what was cut", () => {
    const big = { items: Array.from({ length: 50 }, (_, i) => ({ id: i })) };
    const text = fastapiJson(big);
    const cut = (s: string): Buffer => Buffer.from(s).subarray(0, 100);
    const l = captured(200, fastapiHeaders(), cut(text), { truncated: true });
    assert.deepEqual(diffResponses(l, captured(200, fastapiHeaders(), cut(text), { truncated: true }), NO_PRESETS), []);
    const other = captured(200, fastapiHeaders(), cut(text.replace('"id":3', '"id":4')), { truncated: true });
    const [d] = diffResponses(l, other, NO_PRESETS);
    assert.equal(d?.kind, "body_changed");
    assert.match(d.detail ?? "", /legacy body truncated at 100 bytes, candidate body truncated at 100 bytes/);
  });

  it("a truncated gzip capture is decoded as far as it goes", () => {
    const text = fastapiJson({ items: Array.from({ length: 400 }, (_, i) => ({ id: i, name: `item ${i}` })) });
    const zipped = gzipSync(text).subarray(0, 600);
    const l = captured(200, fastapiHeaders({ "content-encoding": "gzip" }), zipped, { truncated: true });
    const c = captured(200, fastapiHeaders(), Buffer.from(text).subarray(0, 1000), { truncated: true });
    assert.deepEqual(kinds(diffResponses(l, c, NO_PRESETS)), [], "the decoded prefix matches");
  });
});

describe("diffResponses: options", () => {
  it("ignore.headers and ignore.paths (with [*] and ..)", () => {
    const opts: DiffOptions = {
      ignoreHeaders: ["X-Request-Id"],
      ignorePaths: ["$.meta.request_id", "$.items[*].etag", "$..trace_id"],
      presets: [],
    };
    const l = captured(
      200,
      { "x-request-id": "a", "content-type": "application/json" },
      flaskJson({
        meta: { request_id: "a", page: 1 },
        items: [{ id: 1, etag: "x", deep: { trace_id: "t1" } }],
        trace_id: "t0",
      }),
    );
    const c = captured(
      200,
      { "x-request-id": "b", "content-type": "application/json" },
      fastapiJson({
        meta: { request_id: "b", page: 1 },
        items: [{ id: 1, etag: "y", deep: { trace_id: "t2" } }],
        trace_id: "t9",
      }),
    );
    assert.deepEqual(diffResponses(l, c, opts), []);
    assert.equal(diffResponses(l, c, NO_PRESETS).length, 5);
  });

  it("previews never show credentials: sensitive headers, secret-like keys, configured paths, JWTs", () => {
    const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
    const opts: DiffOptions = {
      ignoreHeaders: [],
      ignorePaths: [],
      presets: [],
      redactPaths: ["$.user.email"],
      redactHeaders: ["x-session"],
    };
    const l = captured(
      200,
      { "set-cookie": "sid=abc", "x-session": "s1", "content-type": "application/json" },
      fastapiJson({
        password: "hunter2",
        user: { email: "a@example.test", api_key: "k1", note: jwt },
      }),
    );
    const c = captured(
      200,
      { "set-cookie": "sid=def", "x-session": "s2", "content-type": "application/json" },
      fastapiJson({
        password: "hunter3",
        user: { email: "b@example.test", api_key: "k2", note: "plain" },
      }),
    );
    const ds = diffResponses(l, c, opts);
    assert.equal(ds.length, 6);
    const text = JSON.stringify(ds);
    for (const secret of ["abc", "def", "s1", "s2", "hunter", "example.test", "k1", "k2", jwt]) {
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    }
    assert.equal(ds.find((d) => d.path === "$.user.note")?.candidate, '"plain"');
  });

  it("the same options object can be reused across calls and presets change behaviour per object", () => {
    const l = captured(200, { "content-type": "text/plain" }, "ok\n");
    const c = captured(200, { "content-type": "text/plain" }, "ok");
    for (let i = 0; i < 3; i++) assert.deepEqual(diffResponses(l, c, FLASK_FASTAPI), []);
    assert.equal(diffResponses(l, c, { ...FLASK_FASTAPI, presets: [] }).length, 1);
  });
});
