import assert from "node:assert/strict";
import { test } from "node:test";
import { recordSchema } from "../config/schema-evidence.js";
import type { RecordInput } from "../recording/entry.js";
import type { FromWorker } from "./protocol.js";
import { fromWireRecord, type RecordsMessage } from "./record-wire.js";
import { MAX_RECORD_BYTES, RecordShipper } from "./recording.js";

const cfg = recordSchema.parse({ path: "/tmp/unused.har" });

function exchange(i: number, bodyBytes: number): RecordInput {
  // A view into a larger block, as Node's pooled Buffers are: only the view may travel.
  const slab = Buffer.alloc(bodyBytes + 64, 0x61);
  return {
    id: `r${i}`,
    at: 1_700_000_000_000 + i,
    method: "POST",
    target: `/api/items?i=${i}`,
    headers: { "content-type": "application/json", authorization: "Bearer secret" },
    body: slab.subarray(8, 8 + bodyBytes),
    bodyTruncated: false,
    route: "api",
    template: "/api/*",
    served: "legacy",
    userKey: `u${i}`,
    response: {
      status: 201,
      headers: { "content-type": "application/json" },
      body: Buffer.from(`{"id":${i}}`),
      truncated: false,
      timing: { headersMs: 1, totalMs: 2 },
    },
  };
}

test("a recorded exchange crosses the channel whole, bodies as exact-size copies", () => {
  const sent: FromWorker[] = [];
  const s = new RecordShipper(cfg, (m, done) => {
    sent.push(structuredClone(m));
    done?.(null);
    return true;
  });
  const x = exchange(1, 100);
  s.add(x);
  s.flush();
  const m = sent[0] as RecordsMessage;
  assert.equal(m.t, "records");
  const w = m.records[0];
  assert.ok(w);
  assert.equal(w.body?.buffer.byteLength, 100, "the 164-byte slab did not travel");
  const back = fromWireRecord(w);
  assert.ok(Buffer.isBuffer(back.body) && back.body.equals(x.body ?? Buffer.alloc(0)));
  assert.equal(back.response.body.toString(), '{"id":1}');
  assert.deepEqual({ ...back, body: 0, response: 0, candidate: 0 }, { ...x, body: 0, response: 0, candidate: 0 });
  // Nothing new: no message.
  s.flush();
  assert.equal(sent.length, 1);
});

test("a backed-up channel: past MAX_RECORD_BYTES exchanges are dropped and counted, never waited for", () => {
  const pending: (() => void)[] = [];
  const sent: RecordsMessage[] = [];
  const s = new RecordShipper(cfg, (m, done) => {
    if (m.t === "records") sent.push(m);
    pending.push(() => done?.(null));
    return true;
  });
  const size = 100 << 10;
  const fits = Math.floor(MAX_RECORD_BYTES / (size + 512));
  const t0 = performance.now();
  for (let i = 0; i < fits + 40; i++) s.add(exchange(i, size));
  assert.ok(performance.now() - t0 < 5000);
  s.flush();
  const carried = sent.reduce((n, m) => n + m.records.length, 0);
  const dropped = sent.reduce((n, m) => n + m.counts.dropped, 0);
  assert.ok(carried >= fits - 10 && carried <= fits, `${carried} of ${fits}`);
  assert.equal(carried + dropped, fits + 40);
  assert.equal(s.unsent, sent.length);
  // The channel catches up: room again, and the count starts over.
  for (const f of pending.splice(0)) f();
  assert.equal(s.unsent, 0);
  s.add(exchange(9999, size));
  s.flush();
  const last = sent.at(-1);
  assert.equal(last?.records.length, 1);
  assert.equal(last.counts.dropped, 0);
});
