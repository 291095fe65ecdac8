import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { diffResponses } from "./engine.js";
import { parseSse } from "./sse.js";
import { captured } from "./testing.js";
import type { CapturedResponse, DiffOptions, Difference } from "./types.js";

const OPTS: DiffOptions = { ignoreHeaders: [], ignorePaths: ["$..ts"], presets: ["flask->fastapi"] };
const SSE = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };
const stream = (body: string, chunks?: number[]): CapturedResponse =>
  captured(200, SSE, body, { timing: { headersMs: 1, totalMs: chunks?.at(-1) ?? 2, ...(chunks ? { chunks } : {}) } });
const brief = (ds: Difference[]): string[] => ds.map((d) => `${d.kind} ${d.path}`);

// Three events half a second apart, as both frameworks flush them (flask-fastapi-drift.md).
const FLASK =
  'event: message\ndata: {"n": 1, "ts": 1}\n\nevent: message\ndata: {"n": 2, "ts": 2}\n\nevent: done\ndata: bye\n\n';

describe("SSE", () => {
  it("parses event, id, retry and multi-line data; skips comments; drops an unterminated event", () => {
    const events = parseSse(": hi\r\nid: 7\r\nretry: 3000\r\ndata: a\r\ndata:b\r\n\r\nevent: x\ndata\n\ndata: cut");
    assert.deepEqual(events, [
      { event: "message", data: "a\nb", id: "7", retry: "3000" },
      { event: "x", data: "" },
    ]);
  });

  it("equal sequences: event: message vs none, JSON key order, heartbeats, CRLF", () => {
    const fastapi =
      ': ping\r\ndata: {"ts": 9, "n": 1}\r\n\r\ndata: {"n":2,"ts":8}\r\n\r\nevent: done\r\ndata: bye\r\n\r\n';
    assert.deepEqual(diffResponses(stream(FLASK), stream(fastapi), OPTS), []);
  });

  it("a missing, an extra and a changed event, aligned on the rest", () => {
    const missing = 'data: {"n": 2, "ts": 2}\n\nevent: done\ndata: bye\n\n';
    assert.deepEqual(brief(diffResponses(stream(FLASK), stream(missing), OPTS)), ["sse_event_missing sse[0]"]);
    const extra = `${FLASK}data: late\n\n`;
    assert.deepEqual(brief(diffResponses(stream(FLASK), stream(extra), OPTS)), ["sse_event_extra sse[3]"]);
    const changed = FLASK.replace('"n": 2', '"n": "2"').replace("event: done", "event: end");
    const ds = diffResponses(stream(FLASK), stream(changed), OPTS);
    // JSON data is diffed field by field, at paths inside the event.
    assert.deepEqual(brief(ds), ["type_changed sse[1].data.n", "sse_event_changed sse[2].event"]);
    assert.equal(ds[0]?.groupPath, "sse[*].data.n");
  });

  it("GZipMiddleware buffering: legacy streams event by event, the candidate in one burst", () => {
    const legacy = stream(FLASK, [0, 500, 1000, 1500]);
    const buffered = stream(FLASK, [0, 1500]);
    const ds = diffResponses(legacy, buffered, OPTS);
    assert.deepEqual(brief(ds), ["sse_event_changed sse.delivery"]);
    assert.match(ds[0]?.detail ?? "", /one burst/);
    assert.deepEqual(diffResponses(legacy, stream(FLASK, [0, 490, 1010, 1500]), OPTS), []);
    // Fast local streams coalesce chunks: no timing verdict below 100 ms of spread.
    assert.deepEqual(diffResponses(stream(FLASK, [0, 1, 2, 3]), stream(FLASK, [3]), OPTS), []);
  });

  it("event data previews are redacted", () => {
    const l = stream('data: {"token": "abc123secret"}\n\n');
    const c = stream('data: {"token": "zzz999secret"}\n\n');
    const text = JSON.stringify(diffResponses(l, c, OPTS));
    assert.ok(!text.includes("abc123") && !text.includes("zzz999"), text);
  });
});
