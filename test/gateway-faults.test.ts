// Dead, hanging, resetting and lying upstreams; unhealthy candidates; requests the gateway must
// refuse; the admin token. Every refusal carries a CUTOVER_ERR_* code.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { knob } from "./helpers/backends.js";
import { get, pool, startGateway, useBackends, waitUntil, type TestGateway } from "./helpers/gateway.js";
import {
  deadPort,
  raw,
  startGarbageServer,
  startHangingServer,
  startResettingServer,
  startStaleKeepAliveServer,
} from "./helpers/net.js";

function code(text: string): string {
  return (JSON.parse(text) as { error: { code: string } }).error.code;
}

describe("faults", () => {
  const b = useBackends();

  test("upstream down → 502 CUTOVER_ERR_UPSTREAM_CONNECT; hanging → 504; reset → 502; garbage → 502", async () => {
    const dead = await deadPort();
    const hang = await startHangingServer();
    const reset = await startResettingServer();
    const garbage = await startGarbageServer();
    const routes = `
timeouts: { headers: 400ms, connect: 500ms }
routes:
  - match: { path: /* }
`;
    for (const [url, status, expected] of [
      [dead.url, 502, "CUTOVER_ERR_UPSTREAM_CONNECT"],
      [hang.url, 504, "CUTOVER_ERR_UPSTREAM_TIMEOUT"],
      [reset.url, 502, "CUTOVER_ERR_UPSTREAM_RESET"],
      [garbage.url, 502, "CUTOVER_ERR_UPSTREAM_PROTOCOL"],
    ] as const) {
      const g = await startGateway({ legacy: url, candidate: b.fastapi.url, body: routes });
      try {
        const t0 = performance.now();
        const r = await get(`${g.url}/anything`);
        assert.equal(r.status, status, `${expected}: ${r.text}`);
        assert.equal(code(r.text), expected);
        assert.equal(r.headers["x-cutover-error"], expected);
        assert.match(r.text, /"request_id":"[0-9a-z]+-[0-9a-z]+"/);
        if (status === 504) assert.ok(performance.now() - t0 < 2000, "answered at the headers timeout");
        // The gateway is still fine afterwards.
        const again = await get(`${g.url}/anything`);
        assert.equal(again.status, status);
        if (url === reset.url) assert.equal(reset.connections(), 2, "a fresh connection's reset is not sent again");
      } finally {
        await g.stop();
      }
    }
    await Promise.all([hang.close(), reset.close(), garbage.close()]);
  });

  test("candidate marked unhealthy → all traffic to legacy, zero failed client requests", async () => {
    const g = await startGateway({
      legacy: b.flask.url,
      candidate: b.fastapi.url,
      health: true,
      body: "bucketing: { keys: [header:x-user-id] }\nroutes:\n  - match: { path: /* }\n    candidate_weight: 50\n",
    });
    try {
      const users = Array.from({ length: 400 }, (_, i) => `h${i}`);
      const whoami = (u: string) => get(`${g.url}/whoami`, { "x-user-id": u });
      const before = await pool(users, 16, whoami);
      assert.ok(before.some((r) => r.text.includes("fastapi-candidate")));

      await knob(b.fastapi.url, "health-mode", { healthy: false });
      await waitUntil(() => g.gw.runtime.upstreams.candidate.state === "unhealthy", 5000);
      assert.equal(g.gw.runtime.upstreams.candidate.state, "unhealthy");

      const during = await pool(users, 16, whoami);
      assert.ok(
        during.every((r) => r.status === 200),
        "no failed client request",
      );
      assert.ok(
        during.every((r) => r.text.includes("flask-legacy")),
        "every user served by legacy",
      );

      await knob(b.fastapi.url, "health-mode", { healthy: true });
      await waitUntil(() => g.gw.runtime.upstreams.candidate.state === "healthy", 5000);
      const afterwards = await pool(users, 16, whoami);
      assert.deepEqual(
        afterwards.map((r) => r.text.includes("fastapi-candidate")),
        before.map((r) => r.text.includes("fastapi-candidate")),
        "the same users return to the candidate once it recovers",
      );
      const s = await g.admin<{ upstreams: { name: string; state: string }[] }>("GET", "/api/status");
      assert.equal(s.body.upstreams.find((u) => u.name === "candidate")?.state, "healthy");
    } finally {
      await g.stop();
    }
  });

  test("candidate refusing connections: requests fail over to legacy before any error reaches clients", async () => {
    const dead = await deadPort();
    const g = await startGateway({
      legacy: b.flask.url,
      candidate: dead.url,
      body: "routes:\n  - match: { path: /* }\n    candidate_weight: 100\n",
    });
    try {
      const results = await pool(
        Array.from({ length: 200 }, (_, i) => i),
        8,
        (i) => get(`${g.url}/whoami`, { "x-user-id": `f${i}` }),
      );
      assert.ok(results.every((r) => r.status === 200 && r.text.includes("flask-legacy")));
      assert.equal(g.gw.runtime.upstreams.candidate.state, "unhealthy");
    } finally {
      await g.stop();
    }
  });

  test("a kept-alive connection closed under a request: a GET is sent once more (live and mirrored), a POST is not", async () => {
    const { request } = await import("undici");
    const metric = async (g: TestGateway, line: string): Promise<number> => {
      const text = (await g.admin<string>("GET", "/metrics")).body;
      const hit = text.split("\n").find((l) => l.startsWith(line + " "));
      return hit ? Number(hit.slice(line.length + 1)) : 0;
    };
    const staleCandidate = await startStaleKeepAliveServer();
    try {
      for (const close of ["fin", "reset"] as const) {
        const stale = await startStaleKeepAliveServer(close);
        // One connection per pool, so which connection a request takes is certain.
        const g = await startGateway({
          legacy: stale.url,
          candidate: b.fastapi.url,
          upstreamOptions: "connections: 1",
        });
        try {
          // /a opens connection 1; /b goes out on it and the server closes it: sent again, on connection 2.
          const answers = [await get(`${g.url}/a`), await get(`${g.url}/b`)];
          assert.deepEqual(
            answers.map((r) => `${r.status} ${r.text}`),
            ["200 ok", "200 ok"],
            close,
          );
          assert.deepEqual([stale.connections(), stale.requests()], [2, 3]);
          // A POST on connection 2, closed under it: it may have had effects, so the client is told.
          const post = await request(`${g.url}/c`, {
            method: "POST",
            body: "x=1",
            headers: { "content-type": "text/plain" },
          });
          assert.equal(post.statusCode, 502);
          assert.equal(code(await post.body.text()), "CUTOVER_ERR_UPSTREAM_RESET");
          assert.deepEqual([stale.connections(), stale.requests()], [2, 4], "the POST was sent once");
          assert.equal(await metric(g, 'cutover_upstream_retries_total{upstream="legacy",pool="live"}'), 1);
          assert.equal(
            g.gw.runtime.upstreams.legacy.consecutiveFailures,
            1,
            "only the POST's reset counts against health",
          );
        } finally {
          await g.stop();
          await stale.close();
        }
      }

      // The same race on the mirror's connection would file the candidate as resetting.
      const m = await startGateway({
        legacy: b.flask.url,
        candidate: staleCandidate.url,
        body: "diff: { max_concurrency: 1 }\nroutes:\n  - match: { path: /whoami }\n    mirror: { percent: 100 }\n",
      });
      try {
        for (let i = 0; i < 2; i++) assert.equal((await get(`${m.url}/whoami`)).status, 200);
        const compared = async (): Promise<number> =>
          (await metric(m, 'cutover_mirror_total{route="* /whoami",outcome="different"}')) +
          (await metric(m, 'cutover_mirror_total{route="* /whoami",outcome="candidate_error"}'));
        await waitUntil(async () => (await compared()) === 2, 5000);
        assert.equal(await metric(m, 'cutover_mirror_total{route="* /whoami",outcome="candidate_error"}'), 0);
        assert.equal(await metric(m, 'cutover_upstream_retries_total{upstream="candidate",pool="mirror"}'), 1);
        assert.deepEqual([staleCandidate.connections(), staleCandidate.requests()], [2, 3]);
      } finally {
        await m.stop();
      }
    } finally {
      await staleCandidate.close();
    }
  });

  describe("requests the gateway refuses", () => {
    let g: TestGateway;
    before(async () => {
      g = await startGateway({
        legacy: b.flask.url,
        candidate: b.fastapi.url,
        body: "limits: { max_url_length: 300, max_header_size: 4kb }\nroutes:\n  - match: { path: /whoami }\n  - match: { path: /api/* }\n",
      });
    });
    after(() => g.stop());

    test("no route → 404 CUTOVER_ERR_NO_ROUTE", async () => {
      const r = await get(`${g.url}/nowhere`);
      assert.equal(r.status, 404);
      assert.equal(code(r.text), "CUTOVER_ERR_NO_ROUTE");
    });

    test("absolute-form and CONNECT are refused: never an open proxy", async () => {
      const abs = await raw(
        g.url,
        "GET http://example.com/whoami HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n",
      );
      assert.match(abs, /^HTTP\/1\.1 400/);
      assert.match(abs, /CUTOVER_ERR_NOT_A_PROXY/);
      const conn = await raw(g.url, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n");
      assert.match(conn, /^HTTP\/1\.1 400/);
      assert.match(conn, /CUTOVER_ERR_NOT_A_PROXY/);
    });

    test("malformed requests → 400 and never forwarded", async () => {
      const before = g.gw.runtime.metrics.counts(0).legacy.total;
      for (const bytes of [
        "GARBAGE\r\n\r\n",
        "GET /whoami HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET /whoami HTTP/1.1\r\nHo st: x\r\n\r\n",
        "GET /api/../whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
      ]) {
        const out = await raw(g.url, bytes);
        assert.match(out, /^HTTP\/1\.1 400/, JSON.stringify(bytes));
        assert.match(out, /CUTOVER_ERR_(BAD_REQUEST)/);
      }
      assert.equal(g.gw.runtime.metrics.counts(0).legacy.total, before);
    });

    test("URL and header limits → 414 and 431", async () => {
      const long = await get(`${g.url}/whoami?${"x".repeat(400)}`);
      assert.equal(long.status, 414);
      assert.equal(code(long.text), "CUTOVER_ERR_URL_TOO_LONG");
      const big = await raw(g.url, `GET /whoami HTTP/1.1\r\nHost: x\r\nX-Big: ${"y".repeat(6000)}\r\n\r\n`);
      assert.match(big, /^HTTP\/1\.1 431/);
      assert.match(big, /CUTOVER_ERR_HEADERS_TOO_LARGE/);
    });

    test("admin API refuses a missing or wrong token", async () => {
      assert.equal((await get(`${g.url}/whoami`)).status, 200);
      const { request } = await import("undici");
      const none = await request(`${g.adminUrl}/api/status`);
      assert.equal(none.statusCode, 401);
      assert.equal(code(await none.body.text()), "CUTOVER_ERR_ADMIN_UNAUTHORIZED");
      const wrong = await g.admin("GET", "/api/status", undefined, "not-the-token-at-all");
      assert.equal(wrong.status, 401);
      const right = await g.admin("GET", "/api/status");
      assert.equal(right.status, 200);
      const weight = await g.admin("PUT", "/api/routes/nope/weight", { weight: 5 });
      assert.equal(weight.status, 404);
      const bad = await g.admin("PUT", `/api/routes/${encodeURIComponent("* /whoami")}/weight`, { weight: 101 });
      assert.equal(bad.status, 400);
      const metrics = await g.admin<string>("GET", "/metrics");
      assert.match(metrics.body, /cutover_requests_total\{route="\* \/whoami",target="legacy",code="\d+"\}/);
      assert.match(metrics.body, /cutover_upstream_healthy\{upstream="candidate"\} 1/);
    });
  });
});
