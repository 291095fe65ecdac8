// Hostile and broken clients: slowloris connections are closed at the header timeout while normal
// clients are served; requests the gateway refuses by itself are 4xx and never an upstream's
// error (double Host cannot roll back a healthy candidate); connection caps refuse clearly.
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { describe, test } from "node:test";
import { parseConfig } from "../src/config/load.js";
import { get, pool, startGateway, useBackends, waitUntil } from "./helpers/gateway.js";
import { raw } from "./helpers/net.js";
import { ROLLOUT, traffic } from "./helpers/rollout.js";

describe("client limits and forged evidence", () => {
  const b = useBackends();

  test(
    "slowloris connections are closed at the header timeout while normal clients are served",
    { timeout: 60_000 },
    async () => {
      const g = await startGateway({
        legacy: b.flask.url,
        candidate: b.fastapi.url,
        body: "timeouts: { client_headers: 1s }\nroutes:\n  - match: { path: /* }\n",
      });
      const u = new URL(g.url);
      const slow: { socket: Socket; closedAfter: number; answer: string }[] = [];
      const timers: NodeJS.Timeout[] = [];
      try {
        const t0 = performance.now();
        for (let i = 0; i < 200; i++) {
          const entry = { socket: connect(Number(u.port), u.hostname), closedAfter: NaN, answer: "" };
          entry.socket.on("error", () => undefined);
          entry.socket.on("data", (d: Buffer) => (entry.answer += d.toString("latin1")));
          entry.socket.on("close", () => (entry.closedAfter = performance.now() - t0));
          entry.socket.write(`GET /whoami HTTP/1.1\r\nHost: a\r\n`);
          // One more header line every 200 ms: always busy, never finished.
          timers.push(setInterval(() => entry.socket.writable && entry.socket.write(`x-drip-${i}: 1\r\n`), 200));
          slow.push(entry);
        }
        const served = await pool(
          Array.from({ length: 60 }, (_, i) => i),
          4,
          (i) => get(`${g.url}/whoami?n=${i}`),
        );
        assert.ok(
          served.every((r) => r.status === 200),
          "normal clients are served meanwhile",
        );
        const closed = await waitUntil(() => slow.every((s) => !Number.isNaN(s.closedAfter)), 6000);
        const open = slow.filter((s) => Number.isNaN(s.closedAfter)).length;
        assert.ok(closed, `${open} of ${slow.length} slowloris connections still open`);
        const latest = Math.max(...slow.map((s) => s.closedAfter));
        // The 1 s timeout plus Node's connection check interval (250 ms here) and a loaded machine.
        assert.ok(latest < 4000, `the last one was closed after ${latest.toFixed(0)} ms`);
        assert.ok(slow.filter((s) => s.answer.startsWith("HTTP/1.1 408")).length >= slow.length * 0.9, "answered 408");
      } finally {
        for (const t of timers) clearInterval(t);
        for (const s of slow) s.socket.destroy();
        await g.stop();
      }
    },
  );

  test("double-Host requests from candidate users get 400 and cause no rollback", { timeout: 60_000 }, async () => {
    const g = await startGateway({
      legacy: b.flask.url,
      candidate: b.fastapi.url,
      body: ROLLOUT("[50, 100]").replace("max_duration: 2m", "max_duration: 2m\n  promote: manual"),
    });
    try {
      let done = false;
      const load = traffic(g.url, ["/api/same/1", "/api/same/2"], () => done);
      // Half of 120 users land on the candidate at 50 %: far more than the 30 that rolled it back.
      const answers = await pool(
        Array.from({ length: 120 }, (_, i) => i),
        8,
        (i) =>
          raw(
            g.url,
            `GET /api/same/1 HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nx-user-id: forger-${i}\r\nConnection: close\r\n\r\n`,
          ),
      );
      // Give the judge several intervals (250 ms) over a window that holds the forged requests.
      await new Promise((r) => setTimeout(r, 3000));
      done = true;
      const counts = await load;
      const view = (await g.admin<{ status: string; weight: number; verdict: unknown }>("GET", "/api/rollout")).body;
      assert.ok(
        answers.every((a) => a.startsWith("HTTP/1.1 400") && a.includes("CUTOVER_ERR_BAD_REQUEST")),
        answers.find((a) => !a.startsWith("HTTP/1.1 400")),
      );
      assert.equal(view.status, "running", JSON.stringify(view.verdict));
      assert.equal(view.weight, 50);
      assert.deepEqual(Object.keys(counts), ["200"], "real users unaffected");
      const m = await g.admin<string>("GET", "/metrics");
      assert.doesNotMatch(m.body, /cutover_upstream_errors_total\{upstream="candidate"/);
    } finally {
      await g.stop();
    }
  });

  test("a transfer coding other than chunked, too many header lines, too many connections: refused with a code", async () => {
    const g = await startGateway({
      legacy: b.flask.url,
      candidate: b.fastapi.url,
      body: "limits: { max_headers: 50, max_connections_per_ip: 20 }\nroutes:\n  - match: { path: /* }\n",
    });
    const held: Socket[] = [];
    try {
      const te = await raw(
        g.url,
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      );
      assert.match(te, /^HTTP\/1\.1 501/);
      assert.match(te, /CUTOVER_ERR_TRANSFER_CODING/);
      // 60 header lines, Content-Length last: Node would have dropped it and lost the body.
      const many = Array.from({ length: 59 }, (_, i) => `x-h${i}: 1\r\n`).join("");
      const long = await raw(
        g.url,
        `POST /echo HTTP/1.1\r\nHost: a\r\n${many}Content-Length: 5\r\nConnection: close\r\n\r\nhello`,
      );
      assert.match(long, /^HTTP\/1\.1 431/);
      assert.match(long, /CUTOVER_ERR_HEADERS_TOO_LARGE/);

      const u = new URL(g.url);
      for (let i = 0; i < 20; i++) {
        const s = connect(Number(u.port), u.hostname);
        s.on("error", () => undefined);
        held.push(s);
      }
      await waitUntil(() => held.every((s) => s.readyState === "open"), 3000);
      await new Promise((r) => setTimeout(r, 100));
      const refused = await raw(g.url, "GET /whoami HTTP/1.1\r\nHost: a\r\n\r\n");
      assert.match(refused, /^HTTP\/1\.1 503/);
      assert.match(refused, /CUTOVER_ERR_TOO_MANY_CONNECTIONS/);
      const m = await g.admin<string>("GET", "/metrics");
      assert.match(m.body, /cutover_connections_refused_total\{reason="max_connections_per_ip"\} [1-9]/);
      for (const s of held) s.destroy();
      assert.ok(
        await waitUntil(async () => (await get(`${g.url}/whoami`)).status === 200, 3000),
        "served again once connections close",
      );
    } finally {
      for (const s of held) s.destroy();
      await g.stop();
    }
  });

  test("an upstream URL with a query string or fragment is a config problem", () => {
    const res = parseConfig(`
upstreams:
  legacy: { url: "http://127.0.0.1:1/?a=1" }
  candidate: { url: "http://127.0.0.1:2/#x" }
routes:
  - match: { path: /* }
`);
    assert.equal(res.config, undefined);
    const paths = res.problems.map((p) => p.path);
    assert.ok(paths.includes("upstreams.legacy.url"), JSON.stringify(res.problems));
    assert.ok(paths.includes("upstreams.candidate.url"), JSON.stringify(res.problems));
  });
});
