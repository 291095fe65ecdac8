// Cluster workers (`workers: N`): the data plane in N processes sharing the listener, the control
// plane (admin, store, judge, findings) in the primary. Real Flask (gunicorn) and FastAPI (uvicorn).
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { Agent, request } from "undici";
import type { Status } from "../src/admin/wire.js";
import type { Finding } from "../src/findings/wire.js";
import { knob } from "./helpers/backends.js";
import { deadPort } from "./helpers/net.js";
import { ROLLOUT, traffic } from "./helpers/rollout.js";
import { closed, nextMessage, wsOpen } from "./helpers/ws.js";
import { get, pool, spawnGateway, startGateway, TOKEN, useBackends, waitUntil } from "./helpers/gateway.js";

const WORKERS = { workers: 2 };

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const metricValue = (text: string, line: string): number => {
  const l = text.split("\n").find((x) => x.startsWith(line + " "));
  return l === undefined ? Number.NaN : Number(l.slice(line.length + 1));
};

describe("cluster workers", () => {
  const b = useBackends();

  test("two workers share the listener; split, stickiness and weight changes hold across them", async () => {
    const g = await startGateway(
      {
        legacy: b.flask.url,
        candidate: b.fastapi.url,
        body: `
bucketing: { keys: [header:x-user-id] }
routes:
  - name: users
    match: { path: /whoami }
    candidate_weight: 25
  - name: rest
    match: { path: /* }
`,
      },
      WORKERS,
    );
    try {
      const users = Array.from({ length: 4000 }, (_, i) => `c${i}`);
      // Fresh connections per pass, so each user lands on whichever worker accepts it.
      const pass = async (): Promise<boolean[]> => {
        const agent = new Agent({ connections: 32 });
        try {
          return await pool(users, 32, async (u) => {
            const r = await request(`${g.url}/whoami`, { dispatcher: agent, headers: { "x-user-id": u } });
            const text = await r.body.text();
            assert.equal(r.statusCode, 200, text);
            return text.includes("fastapi-candidate");
          });
        } finally {
          await agent.close();
        }
      };
      const at25 = await pass();
      const share25 = at25.filter(Boolean).length / users.length;
      // sd = sqrt(.25 × .75 / 4,000) = 0.68 points; 4 sd ≈ 2.7 points.
      assert.ok(Math.abs(share25 - 0.25) < 0.027, `candidate share ${share25}`);

      const set = await g.admin("PUT", "/api/routes/users/weight", { weight: 50 });
      assert.equal(set.status, 200);
      await new Promise((r) => setTimeout(r, 100));
      const at50 = await pass();
      const share50 = at50.filter(Boolean).length / users.length;
      assert.ok(Math.abs(share50 - 0.5) < 0.032, `candidate share ${share50}`);
      assert.ok(
        at25.every((onCandidate, i) => !onCandidate || at50[i]),
        "every user on the candidate at 25 % is still on it at 50 %, whichever worker served them",
      );

      // The primary counts what the workers served (reports come every 50 ms).
      const total = 2 * users.length;
      const counted = async (): Promise<Status> => (await g.admin<Status>("GET", "/api/status")).body;
      assert.ok(
        await waitUntil(async () => {
          const r = (await counted()).routes.find((x) => x.name === "users");
          return (r?.requests.legacy.total ?? 0) + (r?.requests.candidate.total ?? 0) === total;
        }, 5000),
      );
      const s = await counted();
      assert.equal(s.workers.length, 2);
      assert.ok(
        s.workers.every((w) => w.state === "serving" && w.served > 0 && alive(w.pid) && w.pid !== process.pid),
        JSON.stringify(s.workers),
      );
      assert.equal(
        s.workers.reduce((n, w) => n + w.served, 0),
        total,
      );

      // One scrape sums every worker with the primary: counts once, weights once.
      const m = (await g.admin<string>("GET", "/metrics")).body;
      const legacy = metricValue(m, 'cutover_requests_total{route="users",target="legacy",code="200"}');
      const candidate = metricValue(m, 'cutover_requests_total{route="users",target="candidate",code="200"}');
      assert.equal(legacy + candidate, total);
      assert.equal(metricValue(m, 'cutover_route_candidate_weight{route="users"}'), 50);
      assert.equal(metricValue(m, 'cutover_upstream_healthy{upstream="candidate"}'), 1);
      assert.ok(metricValue(m, "cutover_process_process_resident_memory_bytes") > 0);
    } finally {
      await g.stop();
    }
    // stop drained and took the workers down.
    assert.equal(g.gw.plane.workers().filter((w) => w.state !== "exited").length, 0);
  });

  test("mirrored requests are compared in the primary: planted differences found through two workers", async () => {
    const g = await startGateway(
      {
        legacy: b.flask.url,
        candidate: b.fastapi.url,
        body: `
routes:
  - name: api
    match: { path: /api/*, methods: [GET] }
    mirror: { percent: 100 }
  - match: { path: /* }
`,
      },
      WORKERS,
    );
    try {
      const paths = [1, 2, 3, 4, 5, 6].map((id) => `/api/users/${id}`);
      const res = await pool(paths, 6, (p) => get(g.url + p));
      assert.ok(res.every((r) => r.status === 200));
      assert.ok(await waitUntil(() => g.gw.parity.compared >= paths.length, 5000), `${g.gw.parity.compared} compared`);
      const f = await g.admin<{ findings: Finding[] }>("GET", "/api/findings");
      const renamed = f.body.findings.find((x) => x.template === "GET /api/users/{int}" && x.kind === "field_renamed");
      assert.ok(renamed, JSON.stringify(f.body.findings.map((x) => [x.template, x.kind])));
      assert.equal(renamed.count, paths.length);
      const m = (await g.admin<string>("GET", "/metrics")).body;
      assert.equal(metricValue(m, 'cutover_mirror_total{route="api",outcome="different"}'), paths.length);
    } finally {
      await g.stop();
    }
  });

  test("candidate unhealthy by the primary's probes → every worker serves legacy, zero failed requests", async () => {
    const g = await startGateway(
      {
        legacy: b.flask.url,
        candidate: b.fastapi.url,
        health: true,
        body: "bucketing: { keys: [header:x-user-id] }\nroutes:\n  - match: { path: /* }\n    candidate_weight: 50\n",
      },
      WORKERS,
    );
    const health = (healthy: boolean) => knob(b.fastapi.url, "health-mode", { healthy });
    try {
      const users = Array.from({ length: 400 }, (_, i) => `h${i}`);
      const whoami = (u: string) => get(`${g.url}/whoami`, { "x-user-id": u });
      assert.ok((await pool(users, 16, whoami)).some((r) => r.text.includes("fastapi-candidate")));
      await health(false);
      assert.ok(await waitUntil(() => g.gw.runtime.upstreams.candidate.state === "unhealthy", 5000));
      await new Promise((r) => setTimeout(r, 50));
      const during = await pool(users, 16, whoami);
      assert.ok(
        during.every((r) => r.status === 200 && r.text.includes("flask-legacy")),
        "all served by legacy",
      );
    } finally {
      await health(true);
      await g.stop();
    }
  });

  test("a candidate refusing connections, seen by the workers, is marked unhealthy for all of them", async () => {
    const dead = await deadPort();
    const g = await startGateway(
      {
        legacy: b.flask.url,
        candidate: dead.url,
        body: "routes:\n  - match: { path: /* }\n    candidate_weight: 100\n",
      },
      WORKERS,
    );
    try {
      const results = await pool(
        Array.from({ length: 200 }, (_, i) => i),
        8,
        (i) => get(`${g.url}/whoami`, { "x-user-id": `f${i}` }),
      );
      assert.ok(results.every((r) => r.status === 200 && r.text.includes("flask-legacy")));
      assert.ok(await waitUntil(() => g.gw.runtime.upstreams.candidate.state === "unhealthy", 2000));
      const audit = await g.admin<{ action: string; reason: string }[]>("GET", "/api/audit");
      assert.ok(
        audit.body.some((e) => e.action === "upstream_unhealthy" && /^worker \d: /.test(e.reason)),
        JSON.stringify(audit.body),
      );
    } finally {
      await g.stop();
    }
  });

  test("WebSockets through the workers: echoed, counted in status, closed with 1001 by a rollback", async () => {
    const g = await startGateway(
      {
        legacy: b.flask.url,
        candidate: b.fastapi.url,
        body: "bucketing: { keys: [header:x-user-id] }\nroutes:\n  - name: ws\n    match: { path: /ws/* }\n    candidate_weight: 100\n  - match: { path: /* }\n",
      },
      WORKERS,
    );
    try {
      const sockets = await Promise.all(
        [1, 2, 3, 4].map((i) => wsOpen(`${g.url.replace("http", "ws")}/ws/echo`, { "x-user-id": `ws${i}` })),
      );
      for (const [i, ws] of sockets.entries()) {
        ws.send(`hello ${i}`);
        assert.equal((await nextMessage(ws)).data.toString(), `hello ${i}`);
      }
      assert.ok(await waitUntil(async () => (await g.admin<Status>("GET", "/api/status")).body.open_upgrades === 4));
      const codes = sockets.map(closed);
      assert.equal((await g.admin("POST", "/api/rollback", { reason: "test" })).status, 200);
      assert.deepEqual(await Promise.all(codes), [1001, 1001, 1001, 1001]);
      assert.ok(await waitUntil(async () => (await g.admin<Status>("GET", "/api/status")).body.open_upgrades === 0));
    } finally {
      await g.stop();
    }
  });

  test("a worker killed with SIGKILL is replaced in its slot and clients keep being served", async () => {
    const g = await startGateway({ legacy: b.flask.url, candidate: b.fastapi.url }, WORKERS);
    try {
      const [victim] = (await g.admin<Status>("GET", "/api/status")).body.workers;
      assert.ok(victim);
      process.kill(victim.pid, "SIGKILL");
      assert.ok(
        await waitUntil(async () => {
          const w = (await g.admin<Status>("GET", "/api/status")).body.workers[0];
          return w?.state === "serving" && w.restarts === 1 && w.pid !== victim.pid;
        }, 10_000),
      );
      const agent = new Agent({ connections: 8 });
      try {
        const res = await pool(
          Array.from({ length: 200 }, (_, i) => i),
          8,
          async (i) => {
            const r = await request(`${g.url}/whoami?i=${i}`, { dispatcher: agent });
            await r.body.dump();
            return r.statusCode;
          },
        );
        assert.deepEqual([...new Set(res)], [200]);
      } finally {
        await agent.close();
      }
    } finally {
      await g.stop();
    }
  });

  test("a rollout through two workers: the judge promotes on the workers' traffic", { timeout: 120_000 }, async () => {
    const g = await startGateway(
      {
        legacy: b.flask.url,
        candidate: b.fastapi.url,
        body: ROLLOUT("[shadow, 50, 100]"),
      },
      WORKERS,
    );
    try {
      let done = false;
      const load = traffic(g.url, ["/api/same/0", "/api/same/1", "/api/same/2"], () => done);
      const view = async () => (await g.admin<{ status: string; weight: number }>("GET", "/api/rollout")).body;
      const completed = await waitUntil(async () => (await view()).status === "completed", 90_000);
      done = true;
      const counts = await load;
      assert.ok(completed, JSON.stringify(await view()));
      assert.equal((await view()).weight, 100);
      assert.deepEqual(Object.keys(counts), ["200"]);
      assert.ok(g.gw.parity.compared > 0, "the shadow stage compared the workers' mirrored requests");
    } finally {
      await g.stop();
    }
  });

  test("`cutover run --workers 2`: the workers follow the primary down when it is killed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cutover-cluster-"));
    const p = await spawnGateway({
      legacy: b.flask.url,
      candidate: b.fastapi.url,
      dir,
      body: "routes:\n  - match: { path: /* }\n",
      args: ["--workers", "2"],
    });
    try {
      const r = await get(`${p.url}/whoami`);
      assert.equal(r.status, 200);
      const s = await request(`${p.admin}/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const status = (await s.body.json()) as Status;
      const pids = status.workers.map((w) => w.pid);
      assert.equal(pids.length, 2);
      assert.ok(pids.every(alive));
      await p.kill("SIGKILL");
      assert.ok(await waitUntil(() => !pids.some(alive), 5000), "no orphaned worker keeps serving");
    } finally {
      await p.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
