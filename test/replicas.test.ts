// Several `cutover run` processes on one PostgreSQL database (Debian's, started here): a weight set
// through one replica applies on all within 1 s and keeps 1,000 users on the same side
// everywhere; findings from all three merge; one judge, fenced by an epoch, replaced after SIGKILL
// and after SIGSTOP; kill -9 of everything loses nothing; through PgBouncer in transaction mode the
// replicas poll instead, say so, and still converge.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { chromium } from "playwright-core";
import { setTimeout as sleep } from "node:timers/promises";
import type { ReplicasStatus } from "../src/replicas/wire.js";
import { PostgresStore } from "../src/store/postgres.js";
import { tryLease } from "../src/replicas/lease.js";
import { get, pool, TOKEN, waitUntil } from "./helpers/gateway.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { startPostgres, type Postgres } from "./helpers/postgres.js";
import { startPgBouncer, startReplica, type Replica } from "./helpers/replicas.js";
import { ROLLOUT } from "./helpers/rollout.js";

interface Status {
  routes: { name: string; weight: number }[];
  replicas: ReplicasStatus;
}
interface Findings {
  findings: { id: string; count: number; routeName: string; template: string }[];
}
interface Coverage {
  rows: { endpoint: string; route: string; legacy: number; candidate: number; mirrored: number }[];
}
interface AuditRow {
  action: string;
  actor: string;
  at: number;
  detail?: { decided_by?: { replica: string; epoch: number }; from?: { index: number }; to?: { index: number } };
}
interface RolloutView {
  id: string;
  status: string;
  stage: { index: number };
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

/** Opens the dashboard of one replica in Chromium: the Upstreams page lists the three, one of them leading. */
async function dashboardShowsReplicas(adminUrl: string, leader: string): Promise<void> {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${adminUrl}/`);
    await page.fill("input[name=token]", TOKEN);
    await page.click("button[type=submit]");
    await page.locator(".topbar").waitFor();
    await page.click('a.tab[href="#/upstreams"]');
    const rows = page.locator("section[data-section=replicas] tr[data-replica]");
    await rows.nth(2).waitFor({ timeout: 5000 });
    const ids: (string | null)[] = [];
    for (let i = 0; i < (await rows.count()); i++) ids.push(await rows.nth(i).getAttribute("data-replica"));
    assert.deepEqual(ids.sort(), ["a", "b", "c"]);
    const leading = page.locator(`tr[data-replica="${leader}"] .badge-info`);
    assert.equal(await leading.innerText(), "leader");
    const dir = join(process.cwd(), "artifacts", "dashboard");
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, "replicas.png"), fullPage: true });
  } finally {
    await browser.close();
  }
}

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
      let st = await status(a);
      const fleetUp = await waitUntil(async () => {
        st = await status(a);
        return st.replicas.replicas.filter((r) => r.alive && r.mode === "listen").length === 3;
      }, 5000);
      assert.ok(fleetUp, JSON.stringify(st.replicas));
      assert.equal(st.replicas.mode, "listen");
      assert.equal(st.replicas.replicas.filter((r) => r.leader).length, 1, "exactly one leader");

      // `cutover status` and the dashboard's Upstreams page show the replicas and who leads.
      const cli = await promisify(execFile)(process.execPath, [
        "bin/cutover.js",
        "status",
        "--admin",
        a.admin,
        "--token",
        TOKEN,
      ]);
      const leader = st.replicas.leader ?? "";
      assert.match(cli.stdout, /REPLICA +HOST +PID +MODE +READ TO +LEADER/);
      assert.ok(
        st.replicas.replicas.every((r) => typeof r.seen_seq === "number"),
        "each replica says how far it read (the leader prunes deletion records below the lowest)",
      );
      for (const id of ["a", "b", "c"]) assert.match(cli.stdout, new RegExp(`^${id}( \\(this\\))? `, "m"));
      assert.match(cli.stdout, leader === "a" ? /judges the rollout/ : new RegExp(`follows \\(leader: ${leader}\\)`));
      await dashboardShowsReplicas(a.admin, leader);

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
      // Coverage: what each replica served and mirrored adds up to what all three did.
      const coverage = async (r: Replica): Promise<string> => {
        const v = await r.api<Coverage>("GET", "/api/coverage");
        const users = v.rows.find((x) => x.endpoint === "GET /api/users/{int}");
        const other = v.rows.filter((x) => x.route === "other");
        const sum = (k: "legacy" | "candidate") => other.reduce((n, x) => n + x[k], 0);
        return `users ${users?.legacy}/${users?.mirrored}, other ${sum("legacy") + sum("candidate")}`;
      };
      const wantCoverage = "users 30/30, other 3000";
      let cov = "";
      const covOk = await waitUntil(async () => (cov = await coverage(c)) === wantCoverage, 20_000, 250);
      assert.ok(covOk, `merged coverage on c: ${cov}`);

      // kill -9 of every replica, then a restart: weights, findings, audit log are all there.
      await Promise.all([a, b, c].map((r) => r.kill("SIGKILL")));
      [a, b, c] = (await fleet(store, SPLIT, ["a2", "b2", "c2"])) as [Replica, Replica, Replica];
      assert.equal(await weightOf(c, "other"), 30);
      assert.ok(want((last = await merged(b))), `findings after the restart: ${JSON.stringify([...last])}`);
      assert.equal(await coverage(b), wantCoverage, "coverage after the restart");
      const audit = await c.api<{ action: string; reason: string }[]>("GET", "/api/audit");
      assert.ok(audit.some((e) => e.action === "set_weight" && e.reason === "replicas test"));
      await Promise.all([a, b, c].map((r) => r.kill()));
    },
  );
  test(
    "one judge: only the leader decides; SIGKILL it and another resumes the stage; a SIGSTOPped leader steps down after SIGCONT",
    { timeout: 100_000 },
    async () => {
      const store = await pg.createDatabase(`t${++dbs}`);
      const body = ROLLOUT("[5, 25, 50, 100]").replace("min_duration: 1s", "min_duration: 2s");
      const rs = await fleet(store, body, ["j1", "j2", "j3"]);
      let done = false;
      // Users spread over the three replicas; a killed or stopped replica just fails or waits.
      const load = rs.map(async (r, k) => {
        for (let i = 0; !done; i++) {
          const path = ["/api/same/1", "/api/same/2", "/api/me", "/api/bigint-same"][i % 4] ?? "/";
          await get(`${r.url}${path}`, { "x-user-id": `user-${(i * 3 + k) % 997}` }).catch(() => sleep(50));
        }
      });
      const leaderOf = async (among: Replica[]): Promise<Replica | undefined> => {
        for (const r of among) if ((await status(r).catch(() => undefined))?.replicas.leading) return r;
        return undefined;
      };
      try {
        const promoted = await waitUntil(
          async () => (await rs[0]!.api<RolloutView>("GET", "/api/rollout")).stage.index >= 1,
          40_000,
          200,
        );
        assert.ok(
          promoted,
          "the judge promoted from stage 0: " +
            JSON.stringify(await Promise.all(rs.map((r) => r.api("GET", "/api/rollout")))).slice(0, 3000) +
            JSON.stringify(rs.map((r) => r.logs.map((l) => l.msg))).slice(0, 3000),
        );
        const first = await leaderOf(rs);
        assert.ok(first, "one replica leads");
        const before = await first.api<RolloutView>("GET", "/api/rollout");
        const firstEpoch = (await status(first)).replicas.epoch;
        await first.kill("SIGKILL");
        const t0 = Date.now();
        const rest = rs.filter((r) => r !== first);
        let second: Replica | undefined;
        assert.ok(await waitUntil(async () => (second = await leaderOf(rest)) !== undefined, 10_000, 100));
        const took = Date.now() - t0;
        console.log(`after SIGKILL of the leader, another led after ${took} ms (lease 3000 ms)`);
        assert.ok(second);
        const resumed = await second.api<RolloutView>("GET", "/api/rollout");
        assert.equal(resumed.id, before.id, "the same rollout, not a new one");
        assert.ok(resumed.stage.index >= before.stage.index, "resumed from the stored stage");
        assert.ok((await status(second)).replicas.epoch > firstEpoch, "a takeover increments the epoch");

        // Pause the new leader past its lease: the third takes over; resumed, the paused one steps down.
        second.child.kill("SIGSTOP");
        const third = rest.find((r) => r !== second)!;
        const stopped = Date.now();
        assert.ok(await waitUntil(async () => (await status(third)).replicas.leading, 10_000, 100));
        const takeover = Date.now();
        const thirdEpoch = (await status(third)).replicas.epoch;
        second.child.kill("SIGCONT");
        console.log(`SIGSTOP of the leader: the third led after ${takeover - stopped} ms`);
        assert.ok(
          await waitUntil(async () => !(await status(second!)).replicas.leading, 5000, 100),
          "the resumed replica is not the leader",
        );
        await sleep(1500);
        assert.ok(
          second.logs.some((l) => /stepping down/.test(l.msg)),
          "it says it stepped down: " + second.logs.map((l) => l.msg).join(" | ") + second.stderr(),
        );
        done = true;
        await Promise.all(load);

        // Every decision names one decider; after the last takeover only the third decided.
        const audit = await third.api<AuditRow[]>("GET", "/api/rollout/history?limit=1000");
        const decisions = audit.filter((e) => e.action !== "start");
        assert.ok(decisions.length >= 1);
        for (const d of decisions) assert.ok(d.detail?.decided_by, `decision without decider: ${JSON.stringify(d)}`);
        const byEpoch = new Map<number, Set<string>>();
        for (const d of decisions) {
          const by = d.detail!.decided_by!;
          byEpoch.set(by.epoch, (byEpoch.get(by.epoch) ?? new Set()).add(by.replica));
        }
        for (const [epoch, who] of byEpoch)
          assert.equal(who.size, 1, `epoch ${epoch} decided by ${[...who].join(", ")}`);
        const moves = decisions.map((d) => `${d.detail?.from?.index}->${d.detail?.to?.index}:${d.action}`);
        assert.equal(new Set(moves).size, moves.length, `no decision made twice: ${moves.join(" ")}`);
        const late = decisions.filter((d) => d.at > takeover + 500);
        assert.ok(
          late.every((d) => d.detail?.decided_by?.epoch === thirdEpoch),
          `after the takeover only epoch ${thirdEpoch} decided: ${JSON.stringify(late.map((d) => d.detail?.decided_by))}`,
        );
        assert.equal(audit.filter((e) => e.action === "start").length, 1, "started once");

        // A manual action through a replica that does not judge: the leader applies it, and the
        // replica it went through answers with the new state.
        const follower = second;
        assert.equal((await status(follower)).replicas.leading, false);
        let t = Date.now();
        const paused = await follower
          .api<RolloutView>("POST", "/api/rollout/pause", { reason: "through a follower" })
          .catch((e: unknown) => e as Error);
        if (paused instanceof Error) {
          // The rollout may have completed by now: then the leader refuses, and its own coded
          // error (naming it) reaches the operator through the follower.
          assert.match(paused.message, /409 .*CUTOVER_ERR_ROLLOUT_ILLEGAL_TRANSITION.*completed.*\(leader /);
          assert.equal((await third.api<RolloutView>("GET", "/api/rollout")).status, "completed");
        } else {
          console.log(`pause through a follower applied by the leader in ${Date.now() - t} ms`);
          assert.equal(paused.status, "paused", "the follower answers with the state the leader stored");
          assert.equal((await third.api<RolloutView>("GET", "/api/rollout")).status, "paused");
          const pauseEntry = (await third.api<AuditRow[]>("GET", "/api/rollout/history?limit=1000")).find(
            (e) => e.action === "pause",
          );
          assert.deepEqual(
            pauseEntry?.detail?.decided_by,
            { replica: (await status(third)).replicas.id, epoch: thirdEpoch },
            "decided by the leader, fenced by its epoch",
          );
          assert.equal(pauseEntry.actor, "admin-api", "the operator's actor, not the follower's");
          // An action the state does not allow is refused with the leader's own coded error.
          await assert.rejects(
            follower.api("POST", "/api/rollout/pause", {}),
            (e: Error) => /409|400/.test(e.message) && /CUTOVER_ERR_/.test(e.message),
          );
        }
        // The emergency rollback through the follower: weights to 0 at once, the rollout rolled back by the leader.
        t = Date.now();
        const rb = await follower.api<{ rollout: RolloutView }>("POST", "/api/rollback", {
          reason: "follower rollback",
        });
        console.log(`rollback through a follower: ${Date.now() - t} ms`);
        assert.equal(rb.rollout.status, "rolled_back");
        for (const r of [follower, third]) {
          assert.equal((await r.api<RolloutView>("GET", "/api/rollout")).status, "rolled_back");
          assert.ok(await waitUntil(async () => (await status(r)).routes.every((x) => x.weight === 0), 2000, 50));
        }

        // kill -9 of every replica: a restart resumes the same rollout at its stage.
        const last = await third.api<RolloutView>("GET", "/api/rollout");
        await Promise.all(rs.map((r) => r.kill("SIGKILL")));
        const [again] = await fleet(store, body, ["j4"]);
        const back = await again!.api<RolloutView>("GET", "/api/rollout");
        assert.equal(back.id, last.id);
        assert.ok(back.stage.index >= last.stage.index, `stage ${back.stage.index} after ${last.stage.index}`);
        await again!.kill();
      } finally {
        done = true;
        for (const r of rs) r.child.kill("SIGCONT");
      }
    },
  );

  test(
    "a LISTEN connection the server drops is opened again; meanwhile the replica polls",
    { timeout: 60_000 },
    async () => {
      const db = `t${++dbs}`;
      const store = await pg.createDatabase(db);
      const [a] = (await fleet(store, SPLIT, ["l1"])) as [Replica];
      try {
        assert.ok(await waitUntil(async () => (await status(a)).replicas.mode === "listen", 5000));
        const killed = await pg.query<{ ok: boolean }>(
          `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = '${db}' AND query LIKE 'LISTEN%'`,
        );
        assert.equal(killed.length, 1, "the replica's LISTEN connection");
        const t0 = Date.now();
        assert.ok(await waitUntil(async () => (await status(a)).replicas.mode === "poll", 5000, 50), "polls meanwhile");
        assert.ok(
          await waitUntil(async () => (await status(a)).replicas.mode === "listen", 15_000, 100),
          "listens again",
        );
        console.log(`LISTEN connection dropped: listening again after ${Date.now() - t0} ms`);
      } finally {
        await a.kill();
      }
    },
  );

  test(
    "a rollback takes effect at once on the replica it went through, even while PostgreSQL is unreachable",
    {
      timeout: 60_000,
    },
    async () => {
      const store = await pg.createDatabase(`t${++dbs}`);
      const [a] = (await fleet(store, SPLIT, ["r1"])) as [Replica];
      await a.api("PUT", "/api/routes/other/weight", { weight: 100, reason: "all to the candidate" });
      assert.ok(await waitUntil(async () => (await weightOf(a, "other")) === 100, 3000, 20));
      const side = async (u: string): Promise<string> =>
        (JSON.parse((await get(`${a.url}/whoami`, { "x-user-id": u })).text) as { backend: string }).backend;
      assert.equal(await side("u1"), "fastapi-candidate");
      await pg.halt();
      let halted = true;
      try {
        // Acknowledged only once committed, so the call waits; the request path must not.
        const t0 = Date.now();
        const rollback = a.api("POST", "/api/rollback", { reason: "database down" });
        const onLegacy = await waitUntil(async () => (await side(`u${Date.now()}`)) !== "fastapi-candidate", 2000, 20);
        console.log(`rollback with PostgreSQL halted: users on legacy after ${Date.now() - t0} ms`);
        assert.ok(onLegacy, "the rollback is in effect while the database is down");
        const sides = await Promise.all(Array.from({ length: 50 }, (_, i) => side(`v${i}`)));
        assert.deepEqual(new Set(sides), new Set(["flask-legacy"]));
        await pg.resume();
        halted = false;
        await rollback;
        assert.equal(await weightOf(a, "other"), 0);
      } finally {
        if (halted) await pg.resume();
        await a.kill();
      }
    },
  );

  test(
    "through PgBouncer in transaction mode: polling with a warning, and weights still converge",
    { timeout: 60_000 },
    async () => {
      const name = `t${++dbs}`;
      await pg.createDatabase(name);
      const bdir = mkdtempSync(join(tmpdir(), "cutover-pgbouncer-"));
      const bouncer = await startPgBouncer(bdir, pg.port, name);
      try {
        const [a, b] = (await fleet(bouncer.url(name), SPLIT, ["p1", "p2"])) as [Replica, Replica];
        for (const r of [a, b]) {
          const st = (await status(r)).replicas;
          assert.equal(st.mode, "poll", JSON.stringify(st));
          assert.match(st.mode_reason ?? "", /self-notification/);
          assert.ok(
            await waitUntil(() => r.logs.some((l) => l.level === 40 && /polling instead/.test(l.msg)), 3000),
            "a warning says it polls: " + JSON.stringify(r.logs.slice(0, 8)) + r.stderr(),
          );
        }
        const t0 = Date.now();
        await a.api("PUT", "/api/routes/other/weight", { weight: 40, reason: "through the pooler" });
        const seen = await Promise.all(
          [a, b].map(async (r) => {
            assert.ok(await waitUntil(async () => (await weightOf(r, "other")) === 40, 3000, 10));
            return Date.now() - t0;
          }),
        );
        console.log(`through PgBouncer: weight 40 seen after ${seen.join(", ")} ms (poll 250 ms, apply delay 500 ms)`);
        assert.ok(Math.max(...seen) < 1000, `applied within 1 s: ${seen.join(", ")}`);
        assert.equal((await status(b)).replicas.replicas.filter((r) => r.leader).length, 1, "a lease row leader");
        await Promise.all([a, b].map((r) => r.kill()));
      } finally {
        bouncer.stop();
        rmSync(bdir, { recursive: true, force: true });
      }
    },
  );
});
