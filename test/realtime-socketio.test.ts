// Socket.IO / Engine.IO affinity through the gateway: legacy = Flask-SocketIO (gunicorn eventlet),
// candidate = python-socketio ASGI (uvicorn), client = socket.io-client, polling first then
// WebSocket. Weights moving up and down across the line during 200 sessions give no "Session ID
// unknown" 400 (the same churn without affinity does, as a baseline); a rollback brings every client
// back to legacy within pingInterval + pingTimeout. Run with workers: 2, so the polls of one session
// land on different processes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { Backend } from "./helpers/backends.js";
import { pool, startGateway, waitUntil, type TestGateway } from "./helpers/gateway.js";
import { connect, startSocketIO, type SioClient } from "./helpers/socketio.js";

const PING_INTERVAL = 2; // seconds, both fixtures (1 s is too tight for a loaded 2-core CI box)
const PING_TIMEOUT = 2;

/** Answers with status 400 counted by the gateway, on one route. */
async function count400(g: TestGateway, route: string): Promise<number> {
  const text = await g.gw.renderMetrics();
  let n = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("cutover_requests_total{") && line.includes(`route="${route}"`) && line.includes('code="400"'))
      n += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return n;
}

/** One session: connect, greeted by a side, three echoes over ~400 ms that must come from that side. */
async function session(
  url: string,
  user: string,
  path: string,
): Promise<{ ok: boolean; side: string; why: string; upgraded: boolean }> {
  const c = connect(url, { "x-user-id": user }, path);
  try {
    const side = await Promise.race([
      c.nextHello(),
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error("no hello in 5 s")), 5000)),
    ]);
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 130));
      const echoed = await c.echo(i, 3000);
      if (echoed !== side) return { ok: false, side, why: `echo from ${echoed}`, upgraded: false };
    }
    const upgraded = c.socket.io.engine.transport.name === "websocket";
    const broken = c.hellos.length > 1 || c.disconnects.length > 0;
    return { ok: !broken, side, why: broken ? `reconnected: ${c.disconnects.join(",")}` : "", upgraded };
  } catch (err) {
    return { ok: false, side: "", why: `${(err as Error).message} ${c.errors.join(",")}`, upgraded: false };
  } finally {
    c.close();
  }
}

describe("Socket.IO sessions through the split (workers: 2)", () => {
  let legacy: Backend;
  let candidate: Backend;
  let g: TestGateway;
  before(async () => {
    const o = { pingInterval: PING_INTERVAL, pingTimeout: PING_TIMEOUT };
    [legacy, candidate] = await Promise.all([startSocketIO("legacy", o), startSocketIO("candidate", o)]);
    g = await startGateway(
      {
        legacy: legacy.url,
        candidate: candidate.url,
        body: `bucketing: { keys: [header:x-user-id] }
routes:
  - name: sio
    match: { path: /socket.io/* }
    affinity: engine.io
    candidate_weight: 50
  # The same servers without affinity, as the baseline.
  - name: plain
    match: { path: /plain/* }
    rewrite: { legacy: "/*", candidate: "/*" }
    candidate_weight: 50
  - match: { path: /* }
`,
      },
      { workers: 2 },
    );
  });
  after(async () => {
    await g.stop();
    await Promise.all([legacy.stop(), candidate.stop()]);
  });

  /** churn runs `fn` while the route's weight flips between 20 and 80 every 150 ms. */
  async function churn<T>(route: string, fn: () => Promise<T>): Promise<T> {
    let stop = false;
    const flipper = (async () => {
      for (let i = 0; !stop; i++) {
        await g.admin("PUT", `/api/routes/${route}/weight`, { weight: i % 2 ? 80 : 20 });
        await new Promise((r) => setTimeout(r, 150));
      }
    })();
    try {
      return await fn();
    } finally {
      stop = true;
      await flipper;
    }
  }

  test(
    "weights moving across the line during 200 sessions: no Session ID unknown, every session stays whole",
    { timeout: 90_000 },
    async () => {
      const users = Array.from({ length: 200 }, (_, i) => `s${i}`);
      const results = await churn("sio", () => pool(users, 20, (u) => session(g.url, u, "/socket.io/")));
      const bad = results.filter((r) => !r.ok);
      assert.deepEqual(bad.slice(0, 5), [], `${bad.length} of 200 sessions broke`);
      assert.equal(await count400(g, "sio"), 0, 'no 400 ("Session ID unknown") on the affinity route');
      const sides = new Set(results.map((r) => r.side));
      assert.deepEqual([...sides].sort(), ["candidate", "legacy"]);
      assert.ok(results.filter((r) => r.upgraded).length > 100, "most sessions upgraded to WebSocket");

      // Baseline in the same run: the same churn without affinity breaks sessions.
      const plain = await churn("plain", () =>
        pool(users.slice(0, 40), 20, (u) => session(g.url, u, "/plain/socket.io/")),
      );
      const broken400 = await count400(g, "plain");
      assert.ok(
        broken400 > 0,
        `without affinity the churn gives 400s (saw ${broken400}, ${plain.filter((r) => !r.ok).length} broken sessions)`,
      );
    },
  );

  test("rollback: every client is back on legacy within pingInterval + pingTimeout", { timeout: 60_000 }, async () => {
    await g.admin("PUT", "/api/routes/sio/weight", { weight: 50 });
    const clients: SioClient[] = Array.from({ length: 30 }, (_, i) =>
      connect(g.url, { "x-user-id": `r${i}` }, "/socket.io/"),
    );
    try {
      assert.ok(await waitUntil(() => clients.every((c) => c.hellos.length === 1), 10_000), "all greeted");
      const onCandidate = clients.filter((c) => c.hellos[0] === "candidate");
      assert.ok(onCandidate.length >= 5, `${onCandidate.length} clients on the candidate`);
      // Some stay on long-polling, most upgrade: give the upgrades a moment, then roll back.
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      assert.equal((await g.admin("POST", "/api/rollback", { reason: "test" })).status, 200);
      const bound = (PING_INTERVAL + PING_TIMEOUT) * 1000;
      const back = await waitUntil(
        () => clients.every((c) => c.hellos.at(-1) === "legacy" && c.socket.connected),
        bound,
        20,
      );
      const ms = performance.now() - t0;
      assert.ok(
        back,
        `after ${Math.round(ms)} ms: ${clients.filter((c) => c.hellos.at(-1) !== "legacy").length} clients not back on legacy`,
      );
      for (const c of clients.slice(0, 5)) assert.equal(await c.echo("after"), "legacy");
      assert.equal(await count400(g, "sio"), 0);
    } finally {
      for (const c of clients) c.close();
    }
  });
});
