import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { isCutoverError } from "../errors/index.js";
import { fingerprint, ParityTally } from "./answer.js";
import { parseRecording } from "../recording/index.js";
import { fromRecording, parseUrlList } from "./input.js";

const json = { "content-type": "application/json" };

describe("bench input", () => {
  it("reads METHOD URL and URL lines, absolute or paths, skipping comments and blanks", () => {
    const list = parseUrlList("# c\n\n/api/users/7?x=1\nDELETE http://h:5000/api/thing/3\n  https://h/api/tags  \n");
    assert.deepEqual(
      list.map((r) => [r.method, r.path, r.kind]),
      [
        ["GET", "/api/users/7?x=1", "GET /api/users/{int}"],
        ["DELETE", "/api/thing/3", "DELETE /api/thing/{int}"],
        ["GET", "/api/tags", "GET /api/tags"],
      ],
    );
  });

  it("names the line of a bad entry", () => {
    assert.throws(
      () => parseUrlList("/ok\nget /lower\n", "urls.txt"),
      (e: unknown) => isCutoverError(e) && e.code === "CUTOVER_ERR_BENCH_INPUT" && /urls\.txt:2/.test(e.message),
    );
    assert.throws(() => parseUrlList("ftp://h/x"), /not an http\(s\) URL/);
    assert.throws(() => parseUrlList("GET /a extra"), /expected "METHOD URL"/);
  });

  it("takes a recording's method, path, headers (hop-by-hop, Host, pseudo-headers dropped), body and template", () => {
    const entry = {
      startedDateTime: "2026-01-01T00:00:00.000Z",
      time: 1,
      request: {
        method: "POST",
        url: "https://shop.example/api/items/7?a=1",
        httpVersion: "HTTP/1.1",
        headers: [
          { name: ":authority", value: "shop.example" },
          { name: "Host", value: "shop.example" },
          { name: "Connection", value: "keep-alive" },
          { name: "Content-Type", value: "application/json" },
          { name: "X-Tag", value: "a" },
          { name: "x-tag", value: "b" },
        ],
        queryString: [],
        cookies: [],
        headersSize: -1,
        bodySize: 9,
        postData: { mimeType: "application/json", text: '{"qty":1}' },
      },
      response: { status: 201, statusText: "Created", httpVersion: "HTTP/1.1", headers: [], cookies: [], content: { size: 0, mimeType: "x-unknown" }, redirectURL: "", headersSize: -1, bodySize: -1 }, // prettier-ignore
      cache: {},
      timings: { send: 0, wait: 1, receive: 0 },
    };
    const har = (e: object) => Buffer.from(JSON.stringify({ log: { version: "1.2", creator: { name: "t", version: "1" }, entries: [e] } })); // prettier-ignore
    const [r] = fromRecording(parseRecording(har(entry)));
    assert.deepEqual(
      { ...r, body: r?.body?.toString() },
      {
        method: "POST",
        path: "/api/items/7?a=1",
        headers: { "content-type": "application/json", "x-tag": "a, b" },
        body: '{"qty":1}',
        kind: "POST /api/items/{int}",
      },
    );
    const [t] = fromRecording(
      parseRecording(har({ ...entry, _cutover: { route: "api", template: "/api/items/:id" } })),
    );
    assert.equal(t?.kind, "POST /api/items/:id", "the recorded endpoint template names the kind");
  });
});

describe("answer fingerprints", () => {
  it("ignore byte-only drift: key order, whitespace, \\u escapes, gzip, an empty body's content type", () => {
    const flask = fingerprint(200, json, Buffer.from('{"a":1,"name":"h\\u00e9llo","n":[1,2]}\n'), false);
    const fastapi = fingerprint(200, json, Buffer.from('{"n":[1,2],"name":"héllo","a":1}'), false);
    assert.equal(flask, fastapi);
    const gz = fingerprint(
      200,
      { ...json, "content-encoding": "gzip" },
      gzipSync('{"n":[1,2],"name":"héllo","a":1}'),
      false,
    );
    assert.equal(gz, flask);
    assert.equal(
      fingerprint(204, { "content-type": "text/html; charset=utf-8" }, Buffer.alloc(0), false),
      fingerprint(204, {}, Buffer.alloc(0), false),
    );
  });

  it("tell apart what may mean something: status, type, a renamed key, list order, digits beyond 2^53", () => {
    const base = fingerprint(200, json, Buffer.from('{"id":9007199254740993,"tags":["a","b"]}'), false);
    for (const [status, body] of [
      [201, '{"id":9007199254740993,"tags":["a","b"]}'],
      [200, '{"id":9007199254740992,"tags":["a","b"]}'],
      [200, '{"id":9007199254740993,"tags":["b","a"]}'],
      [200, '{"ID":9007199254740993,"tags":["a","b"]}'],
      [200, '{"id":"9007199254740993","tags":["a","b"]}'],
    ] as const)
      assert.notEqual(fingerprint(status, json, Buffer.from(body), false), base, body);
    assert.notEqual(
      fingerprint(200, { "content-type": "text/html" }, Buffer.from("ok"), false),
      fingerprint(200, json, Buffer.from('"ok"'), false),
    );
    assert.match(base, /^200 application\/json \S{10}$/);
  });
});

describe("parity tally", () => {
  const reqs = parseUrlList("/a/1\n/a/2\n/noisy\n/b\n");
  const A = "200 application/json AAAA";
  const B = "200 application/json BBBB";

  it("counts candidate answers legacy never gave, per kind; legacy's own variation is noise", () => {
    const t = new ParityTally(reqs);
    for (let i = 0; i < 3; i++) {
      t.record(0, "legacy", A);
      t.record(0, "candidate", A);
      t.record(1, "legacy", A);
      t.record(1, "candidate", i === 2 ? "500 text/plain CCCC" : A);
      t.record(2, "legacy", `200 application/json N${i}`);
      t.record(2, "candidate", `200 application/json M${i}`);
      t.record(3, "legacy", A);
      t.record(3, "candidate", B);
    }
    const s = t.summary();
    assert.equal(s.compared, 4);
    assert.equal(s.differingAnswers, 4);
    const by = Object.fromEntries(s.kinds.map((k) => [k.kind, k]));
    assert.deepEqual(
      [by["GET /a/{int}"]?.differingAnswers, by["GET /a/{int}"]?.legacyAnswers, by["GET /a/{int}"]?.candidateAnswers],
      [1, 6, 6],
    );
    assert.equal(by["GET /a/{int}"]?.statusDiffers, 0, "the most frequent answers agree");
    assert.deepEqual([by["GET /noisy"]?.differingAnswers, by["GET /noisy"]?.unstable], [0, 1]);
    assert.deepEqual([by["GET /b"]?.differingAnswers, by["GET /b"]?.bodyDiffers], [3, 1]);
    assert.deepEqual(by["GET /b"]?.example, { method: "GET", path: "/b", legacy: A, candidate: B });
    assert.equal(s.kinds[0]?.kind, "GET /b", "most differing first");
  });

  it("compares only requests both sides answered, and keeps a bounded number of distinct answers", () => {
    const t = new ParityTally(reqs);
    t.record(0, "legacy", A);
    for (let i = 0; i < 1000; i++) t.record(1, "legacy", `200 x ${i}`);
    t.record(1, "candidate", "500 x y");
    const s = t.summary();
    assert.equal(s.compared, 1);
    const [k] = s.kinds;
    assert.deepEqual([k?.statusDiffers, k?.legacyAnswers], [1, 1000]);
  });
});
