import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, it } from "node:test";
import { idHash } from "./ids.js";
import { wholeCharacters } from "./entry.js";
import {
  HarWriter,
  parseRecording,
  readRecording,
  redactBody,
  toHarEntry,
  validateHar,
  type RecordInput,
} from "./index.js";

const JWT =
  "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsImV4cCI6MTYwMDAwMDAwMH0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc";
const opts = {
  maxBody: 64,
  redactHeaders: ["x-tenant"],
  redactPaths: ["$.card"],
  salt: "s",
  rotateBytes: 0,
  rotateMs: 0,
  maxPending: 1 << 20,
};

function exchange(i: number): RecordInput {
  return {
    id: `r${i}`,
    at: 1_700_000_000_000 + i,
    method: "POST",
    target: `/api/items?x=${i}&api_key=sekrit`,
    headers: { authorization: `Bearer ${JWT}`, "content-type": "application/json", "x-tenant": "t1", host: "h" },
    body: Buffer.from(JSON.stringify({ name: "x", password: "hunter2", card: "4111" })),
    route: "api",
    template: "/api/items",
    served: "legacy",
    userKey: "sub:42",
    response: {
      status: 201,
      headers: { "content-type": "application/json", "content-encoding": "gzip", "set-cookie": "sid=abc" },
      body: gzipSync(JSON.stringify({ id: i, token: "t0k3n-value-long" })),
      truncated: false,
      timing: { headersMs: 3, totalMs: 4 },
    },
    candidate: {
      status: 200,
      headers: { "content-type": "application/json" },
      body: Buffer.from('{"id":1}'),
      truncated: false,
    },
  };
}

describe("recording", () => {
  it("redacts before writing: no raw secret, the JWT kept unsigned, user key hashed", () => {
    const e = toHarEntry(exchange(1), opts);
    const text = JSON.stringify(e);
    for (const secret of ["hunter2", "4111", "sekrit", JWT, "c2lnbmF0dXJl", "sid=abc", "t0k3n", "t1", "sub:42"])
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    const c = e._cutover;
    assert.ok(c);
    assert.equal(c.jwt?.claims["sub"], "42");
    assert.equal(c.userKey?.length, 16);
    assert.equal(c.candidate?.status, 200);
    assert.ok(validateHar({ log: { version: "1.2", creator: { name: "t", version: "1" }, entries: [e] } }).ok);
    // The gzip body is stored decoded; content-encoding is gone.
    assert.match(e.response.content.text ?? "", /"id":1/);
    assert.ok(!e.response.headers.some((h) => h.name === "content-encoding"));
  });

  it("caps bodies and says so", () => {
    const x = exchange(2);
    x.body = Buffer.from(JSON.stringify({ name: "y".repeat(200) }));
    const e = toHarEntry(x, opts);
    assert.deepEqual(e._cutover?.truncated, ["request"]);
    assert.ok((e.request.postData?.text ?? "").length <= 64);
  });

  it("writes, rotates by size and reads back the same requests", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cutover-har-"));
    const w = new HarWriter(join(dir, "traffic.har"), { ...opts, rotateBytes: 8000 });
    for (let i = 0; i < 20; i++) assert.ok(w.write(exchange(i)));
    const stats = await w.close();
    assert.equal(stats.written, 20);
    assert.ok(stats.files.length >= 2, `files: ${stats.files.join(", ")}`);
    assert.ok(!readdirSync(dir).some((f) => f.endsWith(".tmp")));
    const all = stats.files.flatMap((f) => readRecording(f));
    assert.equal(all.length, 20);
    const first = all[0];
    assert.ok(first);
    assert.equal(first.method, "POST");
    assert.equal(first.target, "/api/items?x=0&api_key=%5Bredacted%5D");
    assert.equal(first.route, "api");
    assert.equal(first.recorded?.status, 201);
    assert.equal(first.candidate?.status, 200);
    assert.ok(!first.headers.some(([n]) => n === "host"));
    for (const f of stats.files) assert.ok(validateHar(JSON.parse(readFileSync(f, "utf8"))).ok);
  });

  it("rejects a broken HAR with every problem's path", () => {
    assert.throws(
      () => parseRecording(Buffer.from(JSON.stringify({ log: { version: "1.2", creator: {}, entries: [{}] } }))),
      (err: Error & { problems?: { path: string }[] }) =>
        (err.problems ?? []).some((p) => p.path === "log.entries.0.request") &&
        (err.problems ?? []).some((p) => p.path === "log.creator.name"),
    );
  });

  it("imports GoReplay .gor files, pairing original responses", () => {
    const sep = "\n🐵🙈🙉\n";
    const gor =
      '1 abc 1700000000000000000\nPOST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\n{"qty":1}' +
      sep +
      "2 abc 1700000000001000000 1000\nHTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\r\n{}" +
      sep +
      "1 def 1700000000002000000\nGET /api/tags?x=1 HTTP/1.1\r\nHost: x\r\n\r\n" +
      sep;
    const dir = mkdtempSync(join(tmpdir(), "cutover-gor-"));
    writeFileSync(join(dir, "t.gor"), gor);
    const reqs = readRecording(join(dir, "t.gor"));
    assert.equal(reqs.length, 2);
    const [post, get] = reqs;
    assert.ok(post && get);
    assert.equal(post.body?.toString(), '{"qty":1}');
    assert.equal(post.recorded?.status, 201);
    assert.equal(get.target, "/api/tags?x=1");
    assert.equal(get.at, 1_700_000_000_002);
  });

  it("keeps a salted hash of a generated id in a request header masked by its name, never of credentials", () => {
    const sid = "a683765467bb43d7975d53688635413f";
    const e = toHarEntry(
      {
        ...exchange(0),
        headers: { "x-session-id": sid, authorization: "Bearer abcdefghijklmnopqrstuvwxyz", "x-password": "hunter2" },
      },
      { ...opts, idSalt: "salt" },
    );
    assert.ok(!JSON.stringify(e).includes(sid));
    assert.deepEqual(
      e._cutover?.ids?.filter((m) => m.path.startsWith("header:")),
      [{ path: "header:x-session-id", hash: idHash("salt", sid) }],
    );
  });
});

describe("a body cut at the cap", () => {
  it("inside a multi-byte character stays text and is redacted as text, never stored as raw base64", () => {
    const full = Buffer.from('{"password":"hunter2-secret","card":"4111111111111111","name":"José Ñúñez"}');
    const cutAt = full.indexOf(Buffer.from("é")) + 1; // between the two bytes of "é"
    const r = redactBody(full.subarray(0, cutAt), "application/json", []);
    assert.equal(r.encoding, undefined, "text, not base64");
    assert.ok(!r.text.includes("hunter2-secret"), r.text);
    assert.ok(!r.text.includes("4111111111111111"), r.text);
    assert.ok(r.masked.length > 0);
  });
  it("JSON that no longer parses is not kept when redact.paths must apply to it", () => {
    const cut = Buffer.from('{"profile":{"tax_id":"123-45-6789","na');
    const r = redactBody(cut, "application/json", ["$.profile.tax_id"]);
    assert.equal(r.text, "");
    assert.match(r.masked[0] ?? "", /not kept/);
  });
  it("whole characters are kept as they are", () => {
    for (const s of ["plain", "é", "日本", "🙂", "a🙂"]) {
      const b = Buffer.from(s);
      assert.deepEqual(wholeCharacters(b), b);
      for (let k = 1; k < b.length; k++) {
        const w = wholeCharacters(b.subarray(0, k));
        assert.ok(Buffer.from(w.toString("utf8")).equals(w), `${s} cut at ${k}`);
      }
    }
  });
});
