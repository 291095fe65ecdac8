// Streams follow the split: a rollback, or a weight change that moves a user off the candidate,
// ends that user's candidate SSE responses cleanly (end of stream between events, never a reset) so
// the client reconnects with Last-Event-ID and lands on legacy; WebSockets of moved users get 1001,
// the others stay; graceful shutdown ends SSE streams cleanly too. In workers: 1 and workers: 2.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { bucketOf } from "../src/split/hash.js";
import { startGateway, useBackends, type TestGateway } from "./helpers/gateway.js";
import { closed, nextMessage, wsOpen } from "./helpers/ws.js";

/** Users by bucket (salt "cutover", key header:x-user-id): `low` stays at weight 20, `mid` moves. */
function userIn(lo: number, hi: number): string {
  for (let i = 0; ; i++) {
    const b = bucketOf(`header:u${i}`, "cutover");
    if (b >= lo && b < hi) return `u${i}`;
  }
}
const LOW = userIn(0, 1500);
const MID = userIn(2500, 4500);

interface SseStream {
  side: "legacy" | "candidate";
  ids: number[];
  /** Resolves when the response ends: `clean` is false when it was cut (reset, error). */
  done: Promise<{ clean: boolean; at: number; partial: string }>;
  /** Resolves once `n` events arrived. */
  events(n: number): Promise<void>;
  /** The client gives up on the stream. */
  close(): void;
}

async function openSse(url: string, user: string, lastEventId?: number): Promise<SseStream> {
  const headers: Record<string, string> = { "x-user-id": user, accept: "text/event-stream" };
  if (lastEventId !== undefined) headers["last-event-id"] = String(lastEventId);
  const ac = new AbortController();
  const res = await request(`${url}/sse?n=100000&interval=0.05`, { headers, signal: ac.signal });
  assert.equal(res.statusCode, 200);
  const side = String(res.headers.server).includes("uvicorn") ? "candidate" : "legacy";
  const ids: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const done = (async () => {
    let buf = "";
    try {
      for await (const chunk of res.body) {
        buf += (chunk as Buffer).toString("utf8");
        let i;
        while ((i = buf.indexOf("\n\n")) !== -1) {
          ids.push(Number(/^id: (\d+)$/m.exec(buf.slice(0, i))?.[1]));
          buf = buf.slice(i + 2);
        }
        for (const w of waiters) if (ids.length >= w.n) w.resolve();
      }
      return { clean: true, at: performance.now(), partial: buf };
    } catch {
      return { clean: false, at: performance.now(), partial: buf };
    }
  })();
  return {
    side,
    ids,
    done,
    events: (n) => new Promise<void>((resolve) => (ids.length >= n ? resolve() : waiters.push({ n, resolve }))),
    close: () => ac.abort(),
  };
}

const BODY = `bucketing: { keys: [header:x-user-id], salt: cutover }
timeouts: { shutdown: 10s }
routes:
  - name: sse
    match: { path: /sse, headers: { accept: text/event-stream } }
    candidate_weight: 50
  - name: ws
    match: { path: /ws/* }
    candidate_weight: 50
  - match: { path: /* }
`;

for (const workers of [1, 2]) {
  describe(`streams follow the split (workers: ${workers})`, () => {
    const b = useBackends();
    let g: TestGateway;
    before(async () => {
      g = await startGateway({ legacy: b.flask.url, candidate: b.fastapi.url, body: BODY }, { workers });
    });
    after(() => g.stop());

    const setWeight = async (route: string, weight: number): Promise<void> => {
      assert.equal((await g.admin("PUT", `/api/routes/${route}/weight`, { weight })).status, 200);
    };

    test("a weight change ends the SSE streams and WebSockets of exactly the users it moves", async () => {
      await setWeight("sse", 50);
      await setWeight("ws", 50);
      const [low, mid] = await Promise.all([openSse(g.url, LOW), openSse(g.url, MID)]);
      assert.deepEqual([low.side, mid.side], ["candidate", "candidate"]);
      const wsUrl = `${g.url.replace("http", "ws")}/ws/echo`;
      const [wsLow, wsMid] = await Promise.all([
        wsOpen(wsUrl, { "x-user-id": LOW }),
        wsOpen(wsUrl, { "x-user-id": MID }),
      ]);
      await Promise.all([low.events(2), mid.events(2)]);
      const midClosed = closed(wsMid);
      const t0 = performance.now();
      await setWeight("sse", 20);
      await setWeight("ws", 20);
      const end = await mid.done;
      assert.ok(end.clean, "the moved user's stream ended cleanly, not cut");
      assert.equal(end.partial, "", "it ended between events");
      assert.ok(end.at - t0 < 1000, `moved stream ended ${Math.round(end.at - t0)} ms after the change`);
      assert.equal(await midClosed, 1001);
      // The user who stays keeps both.
      const seen = low.ids.length;
      await low.events(seen + 3);
      wsLow.send("still here");
      assert.equal((await nextMessage(wsLow)).data.toString(), "still here");
      // The moved user's reconnect lands on legacy and resumes after its last event.
      const last = mid.ids.at(-1)!;
      const again = await openSse(g.url, MID, last);
      assert.equal(again.side, "legacy");
      await again.events(1);
      assert.equal(again.ids[0], last + 1);
      wsLow.close();
      low.close();
      again.close();
      await Promise.all([low.done, again.done]);
    });

    test("rollback ends a candidate SSE stream within 1 s; the reconnect with Last-Event-ID lands on legacy", async () => {
      await setWeight("sse", 100);
      const s = await openSse(g.url, MID);
      assert.equal(s.side, "candidate");
      await s.events(3);
      const t0 = performance.now();
      assert.equal((await g.admin("POST", "/api/rollback", { reason: "test" })).status, 200);
      const end = await s.done;
      assert.ok(end.clean, "ended cleanly, not cut");
      assert.equal(end.partial, "");
      assert.ok(end.at - t0 < 1000, `ended ${Math.round(end.at - t0)} ms after the rollback`);
      const last = s.ids.at(-1)!;
      assert.deepEqual(
        s.ids,
        Array.from({ length: s.ids.length }, (_, i) => i + 1),
      );
      const again = await openSse(g.url, MID, last);
      assert.equal(again.side, "legacy");
      await again.events(2);
      assert.deepEqual(again.ids.slice(0, 2), [last + 1, last + 2]);
      // Shutdown (next) ends this one.
      const t1 = performance.now();
      await g.stop();
      const e2 = await again.done;
      assert.ok(e2.clean, "graceful shutdown ended the SSE stream cleanly, not at timeouts.shutdown with a reset");
      assert.ok(e2.at - t1 < 3000, `ended ${Math.round(e2.at - t1)} ms after stop() (timeouts.shutdown is 10 s)`);
    });
  });
}
