// Streaming through the gateway: SSE framing and time to first event, WebSockets to FastAPI with
// close codes, rollback closing candidate WebSockets, and 200 MiB each way with flat RSS.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { spawnGateway, startGateway, TOKEN, type TestGateway } from "./helpers/gateway.js";
import { closed, nextMessage, wsOpen } from "./helpers/ws.js";

/** sseTimeline reads an SSE response and returns each event with its arrival time (ms from request). */
async function sseTimeline(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ at: number; event: string }[]> {
  const t0 = performance.now();
  const res = await request(url, { headers });
  assert.equal(res.statusCode, 200);
  assert.match(String(res.headers["content-type"]), /^text\/event-stream/);
  const out: { at: number; event: string }[] = [];
  let buf = "";
  for await (const chunk of res.body) {
    buf += (chunk as Buffer).toString("utf8");
    let i;
    while ((i = buf.indexOf("\n\n")) !== -1) {
      out.push({ at: performance.now() - t0, event: buf.slice(0, i) });
      buf = buf.slice(i + 2);
    }
  }
  return out;
}

describe("streaming and upgrades", () => {
  let flask: Backend;
  let fastapi: Backend;
  let g: TestGateway;

  before(async () => {
    [flask, fastapi] = await Promise.all([startFlask({ workerClass: "gthread", threads: 8 }), startFastAPI()]);
    g = await startGateway({
      legacy: flask.url,
      candidate: fastapi.url,
      body: "bucketing: { keys: [header:x-user-id] }\noverride: { enabled: true }\nroutes:\n  - name: ws\n    match: { path: /ws/* }\n    candidate_weight: 100\n  - match: { path: /* }\n",
    });
  });
  after(async () => {
    await g.stop();
    await Promise.all([flask.stop(), fastapi.stop()]);
  });

  for (const side of ["legacy", "candidate"] as const) {
    test(`SSE from ${side}: same events and framing as direct, flushed as they happen`, async () => {
      const direct = side === "legacy" ? flask.url : fastapi.url;
      const q = "/sse?n=5&interval=0.2";
      // Scheduling noise only ever adds delay, so the best of three runs is the fair comparison.
      let bestGap = Infinity;
      for (let trial = 0; trial < 3 && bestGap >= 25; trial++) {
        const [d, p] = await Promise.all([
          sseTimeline(direct + q),
          sseTimeline(g.url + q, { "x-cutover-target": side }),
        ]);
        assert.deepEqual(
          p.map((e) => e.event),
          d.map((e) => e.event),
        );
        assert.equal(p.length, 5);
        assert.match(p[0]!.event, /^event: tick\nid: 1\ndata: \{"i": ?1\}$/);
        // Each event arrives on its own, not buffered to the end: ~200 ms apart.
        for (let i = 1; i < p.length; i++)
          assert.ok(
            p[i]!.at - p[i - 1]!.at > 120,
            `event ${i} arrived ${p[i]!.at - p[i - 1]!.at} ms after the previous`,
          );
        bestGap = Math.min(bestGap, p[0]!.at - d[0]!.at);
      }
      // Time to first event through the gateway within a few ms of direct.
      assert.ok(bestGap < 25, `first event through the gateway ${bestGap.toFixed(1)} ms later than direct (best of 3)`);
    });
  }

  test("WebSocket echo through to FastAPI: text, binary, close code propagated", async () => {
    const ws = await wsOpen(`${g.url.replace("http", "ws")}/ws/echo`, { "x-user-id": "w1" });
    ws.send("hello");
    const m1 = await nextMessage(ws);
    assert.equal(m1.data.toString(), "hello");
    const bin = Buffer.from([0, 1, 2, 250, 251, 252]);
    ws.send(bin);
    const m2 = await nextMessage(ws);
    assert.ok(m2.binary);
    assert.deepEqual(m2.data, bin);
    const big = "x".repeat(200_000);
    ws.send(big);
    assert.equal((await nextMessage(ws)).data.length, big.length);
    const code = closed(ws);
    ws.send("close:4001");
    assert.equal(await code, 4001);
    assert.equal(g.gw.plane.openUpgrades(), 0);
  });

  test("WebSocket to legacy (Flask has none): the upstream's refusal is passed on, not hidden", async () => {
    await assert.rejects(
      wsOpen(`${g.url.replace("http", "ws")}/echo-nowhere`, { "x-cutover-target": "legacy" }),
      /HTTP 400|HTTP 404/,
    );
  });

  test("rollback closes candidate WebSockets with 1001 going away", async () => {
    const ws = await wsOpen(`${g.url.replace("http", "ws")}/ws/echo`, { "x-user-id": "w2" });
    ws.send("ping");
    await nextMessage(ws);
    const code = closed(ws);
    const r = await g.admin("POST", "/api/rollback", { reason: "test" });
    assert.equal(r.status, 200);
    assert.equal(await code, 1001);
    await g.admin("PUT", "/api/routes/ws/weight", { weight: 100 });
  });

  test("200 MiB upload and download through a gateway process with flat RSS", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "cutover-big-"));
    const gp = await spawnGateway({
      legacy: flask.url,
      candidate: fastapi.url,
      dir,
      body: "override: { enabled: true }\nroutes:\n  - match: { path: /* }\n",
    });
    try {
      const url = gp.url;
      const rss = (): number =>
        Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${gp.child.pid}/status`, "utf8"))?.[1] ?? 0) / 1024;
      const baseline = rss();
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, rss())), 50);
      const SIZE = Number(process.env.CUTOVER_BIG_MIB ?? 200) * 1024 * 1024;
      for (const side of ["legacy", "candidate"] as const) {
        // Upload: 200 MiB generated on the fly, hashed by the app.
        const chunk = Buffer.alloc(1 << 20, 7);
        const hash = createHash("sha256");
        const body = Readable.from(
          (function* () {
            for (let i = 0; i < SIZE / chunk.length; i++) {
              hash.update(chunk);
              yield chunk;
            }
          })(),
        );
        const up = await request(`${url}/upload`, {
          method: "POST",
          body,
          headers: { "x-cutover-target": side, "content-length": String(SIZE) },
        });
        const got = (await up.body.json()) as { bytes: number; sha256: string };
        assert.equal(got.bytes, SIZE);
        assert.equal(got.sha256, hash.digest("hex"));
        // Download: 200 MiB streamed by the app, hashed here.
        const down = await request(`${url}/download?bytes=${SIZE}`, { headers: { "x-cutover-target": side } });
        let n = 0;
        for await (const c of down.body) n += (c as Buffer).length;
        assert.equal(n, SIZE);
      }
      clearInterval(sampler);
      // Nothing is buffered whole: the growth is chunk churn before GC and does not depend on the
      // size moved (measured: +70 MiB for 50 MiB and for 400 MiB each way), far below 2 × 200 MiB.
      assert.ok(
        peak - baseline < 100,
        `gateway RSS grew ${(peak - baseline).toFixed(1)} MiB (baseline ${baseline.toFixed(0)}, peak ${peak.toFixed(0)})`,
      );
    } finally {
      await gp.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("graceful shutdown finishes in-flight requests", async () => {
    const g2 = await startGateway({ legacy: flask.url, candidate: fastapi.url });
    const slow = request(`${g2.url}/slow?ms=400`);
    await new Promise((r) => setTimeout(r, 100));
    const stopping = g2.stop();
    const res = await slow;
    assert.equal(res.statusCode, 200);
    assert.equal(((await res.body.json()) as { slept_ms: number }).slept_ms, 400);
    await stopping;
    await assert.rejects(request(`${g2.url}/slow?ms=1`), /ECONNREFUSED/);
  });

  test("admin token used by the CLI-facing status", async () => {
    const s = await g.admin<{ routes: { name: string }[] }>("GET", "/api/status", undefined, TOKEN);
    assert.ok(s.body.routes.some((r) => r.name === "ws"));
  });
});
