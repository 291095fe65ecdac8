// The PostgreSQL store against a real PostgreSQL (Debian's, started here): migrations and the
// newer-schema refusal on both stores, writes kept in order while the database is down, and a
// gateway killed with SIGKILL that comes back with its weights, audit log, findings and rollout.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { request } from "undici";
import { isCutoverError } from "../src/errors/index.js";
import { housekeep } from "../src/replicas/housekeeping.js";
import { PostgresStore } from "../src/store/postgres.js";
import { PG_MIGRATIONS, redactUrl } from "../src/store/postgres-schema.js";
import { SqliteStore } from "../src/store/sqlite.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { gatewayYaml, spawnGateway, TOKEN, waitUntil } from "./helpers/gateway.js";
import { startPostgres, type Postgres } from "./helpers/postgres.js";

/** The newest schema version. */
const V = PG_MIGRATIONS.length;

const run = promisify(execFile);

describe("PostgreSQL store", () => {
  let pg: Postgres;
  let dbs = 0;
  const freshDb = (): Promise<string> => pg.createDatabase(`t${++dbs}`);
  before(async () => {
    pg = await startPostgres();
  });
  after(async () => {
    await pg.stop();
  });

  test("a database URL is shown without its password", () => {
    assert.equal(redactUrl("postgres://app:s3cret@db.example:5432/prod"), "postgres://app:***@db.example:5432/prod");
    assert.doesNotMatch(redactUrl("not a url s3cret"), /s3cret/);
  });

  test("migrates a fresh database, and a second open reads back every write", async () => {
    const url = await freshDb();
    const a = await PostgresStore.open(url);
    assert.deepEqual(a.info().schema, { from: 0, to: V });
    a.setWeights(new Map([["api", 25]]), { at: 1, actor: "op", action: "set_weight", subject: "api", reason: "r" });
    a.putDoc("rollout", { stage: 2, big: 12345678901234 });
    a.putDoc("rollout", { stage: 3 });
    const id = a.audit({ at: 2, actor: "judge", action: "promote", subject: "ro-1", reason: "ok", detail: { n: 1 } });
    assert.equal(a.getDoc("rollout") !== undefined, true);
    await a.flush();
    assert.equal(a.info().pending, 0);
    await a.close();

    const b = await PostgresStore.open(url);
    try {
      assert.deepEqual(b.info().schema, { from: V, to: V });
      assert.deepEqual([...b.getWeights()], [["api", 25]]);
      assert.deepEqual(b.getDoc("rollout"), { stage: 3 });
      const log = b.auditLog();
      assert.deepEqual(
        log.map((e) => [e.action, e.subject]),
        [
          ["promote", "ro-1"],
          ["set_weight", "api"],
        ],
      );
      assert.equal(log[0]?.id, id);
      assert.deepEqual(log[0].detail, { n: 1 });
      assert.deepEqual(
        b.auditLog({ subject: "api" }).map((e) => e.action),
        ["set_weight"],
      );
      // New ids come from a new block: never reused, still increasing.
      assert.ok(b.audit({ at: 3, actor: "x", action: "y", subject: "z", reason: "" }) > id);
    } finally {
      await b.close();
    }
  });

  test("writes made while PostgreSQL is down are kept, in order, and flush() resolves only once they commit", async () => {
    const url = await freshDb();
    const s = await PostgresStore.open(url);
    let down = false;
    try {
      await pg.halt();
      down = true;
      for (let i = 1; i <= 50; i++) s.setWeight("api", i, "op");
      s.audit({ at: 1, actor: "op", action: "set_weight", subject: "api", reason: "while down" });
      s.putDoc("d", { v: "while down" });
      // Reads see the writes at once; the request path never waits for the database.
      assert.equal(s.getWeights().get("api"), 50);
      let flushed = false;
      const flush = s.flush().then(() => (flushed = true));
      await waitUntil(() => s.info().last_error !== null, 5000);
      assert.equal(flushed, false);
      // The first weight went out at once and is retried; the 49 after it coalesce into one write
      // queued behind it; then the audit entry and the document.
      assert.equal(s.info().pending, 4);
      assert.ok(s.info().last_error, "the failure is visible in status");
      await pg.resume();
      down = false;
      await flush;
      assert.equal(s.info().last_error, null);
      const rows = await pg.query<{ weight: number }>("SELECT weight FROM cutover.weights", `t${dbs}`);
      assert.deepEqual(rows, [{ weight: 50 }]);
      const audit = await pg.query<{ reason: string }>("SELECT reason FROM cutover.audit", `t${dbs}`);
      assert.deepEqual(audit, [{ reason: "while down" }]);
    } finally {
      if (down) await pg.resume();
      await s.close();
    }
  });

  test("deletion records are pruned once every replica read past them; a replica that missed pruned ones still drops the deleted keys", async () => {
    const url = await freshDb();
    const a = await PostgresStore.open(url, undefined, { replica: "a" });
    const b = await PostgresStore.open(url, undefined, { replica: "b" });
    const tombstones = async (): Promise<number> =>
      (await a.query<{ n: number }>("SELECT count(*)::int AS n FROM cutover.deleted"))[0]?.n ?? -1;
    const heartbeat = (s: PostgresStore): Promise<unknown> =>
      s.query(
        `INSERT INTO cutover.replicas (id, started_at, seen_at, info) VALUES ($1, now(), now(), $2)
         ON CONFLICT (id) DO UPDATE SET info = $2`,
        [s.replica, JSON.stringify({ host: "h", pid: 1, mode: "listen", last_sync: 0, seen_seq: s.seen })],
      );
    try {
      a.putDoc("gone", { x: 1 });
      a.putDoc("kept", { y: 2 });
      a.putRows("findings", [
        { key: "k1", value: { n: 1 } },
        { key: "k2", value: { n: 2 } },
      ]);
      await a.flush();
      await b.refresh();
      assert.deepEqual(b.getDoc("gone"), { x: 1 });
      assert.deepEqual(
        b.getRows("findings").map((r) => r.key),
        ["k1", "k2"],
      );

      a.deleteDoc("gone");
      a.putRows("findings", [], ["k1"]);
      await a.flush();
      await a.refresh();
      assert.equal(await tombstones(), 2);
      // The leader prunes only what every listed replica has read: b has not read the deletions.
      await Promise.all([heartbeat(a), heartbeat(b)]);
      assert.equal((await housekeep(a, "a", "s")).pruned, 0);
      assert.equal(await tombstones(), 2);
      await b.refresh();
      await heartbeat(b);
      assert.equal((await housekeep(a, "a", "s")).pruned, 2);
      assert.equal(await tombstones(), 0);

      // A third replica away for good (its row removed) misses deletions pruned meanwhile.
      const c = await PostgresStore.open(url, undefined, { replica: "c" });
      try {
        assert.deepEqual(c.getDoc("kept"), { y: 2 });
        a.deleteDoc("kept");
        a.putRows("findings", [], ["k2"]);
        a.putDoc("new", { z: 3 });
        await a.flush();
        await a.refresh();
        await b.refresh();
        await Promise.all([heartbeat(a), heartbeat(b)]);
        assert.equal((await housekeep(a, "a", "s")).pruned, 2, "c is not listed: nothing holds pruning back");
        // c's own document write is still in flight (the change counter row is locked elsewhere),
        // so the database does not have it yet: comparing keys must not drop it.
        const lock = a.client();
        await lock.connect();
        let changes;
        try {
          await lock.query("BEGIN");
          await lock.query("SELECT value FROM cutover.meta WHERE key = 'change_seq' FOR UPDATE");
          c.putDoc("mine", { w: 4 });
          changes = await c.refresh();
          assert.deepEqual(c.getDoc("mine"), { w: 4 }, "a queued write of its own stays");
        } finally {
          await lock.end();
        }
        await c.flush();
        assert.equal(c.getDoc("kept"), undefined);
        assert.deepEqual(c.getDoc("new"), { z: 3 });
        assert.deepEqual(c.getRows("findings"), []);
        assert.ok(changes.docs.includes("kept") && changes.rows.includes("findings"), JSON.stringify(changes));
      } finally {
        await c.close();
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  test("a store migrated by a newer cutover is refused with CUTOVER_ERR_STORE_SCHEMA (PostgreSQL and SQLite)", async () => {
    const url = await freshDb();
    await (await PostgresStore.open(url)).close();
    await pg.query("UPDATE cutover.meta SET value = '99' WHERE key = 'schema_version'", `t${dbs}`);
    await assert.rejects(PostgresStore.open(url), (e: unknown) => {
      assert.ok(isCutoverError(e) && e.code === "CUTOVER_ERR_STORE_SCHEMA", String(e));
      assert.match(e.message, new RegExp(`schema version 99.*up to ${V}`));
      return true;
    });
    const dir = mkdtempSync(join(tmpdir(), "cutover-schema-"));
    try {
      const file = join(dir, "state.db");
      await new SqliteStore(file).close();
      const db = new Database(file);
      db.prepare("UPDATE meta SET value = '7' WHERE key = 'schema_version'").run();
      db.close();
      assert.throws(
        () => new SqliteStore(file),
        (e: unknown) => isCutoverError(e) && e.code === "CUTOVER_ERR_STORE_SCHEMA",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("cutover store migrate --json migrates once, then reports it up to date; a newer schema exits 1", async () => {
    const url = await freshDb();
    const dir = mkdtempSync(join(tmpdir(), "cutover-migrate-"));
    try {
      const cfg = join(dir, "cutover.yaml");
      writeFileSync(cfg, gatewayYaml({ legacy: "http://127.0.0.1:1", candidate: "http://127.0.0.1:2", store: url }));
      const migrate = async (): Promise<{ code: number; out: Record<string, unknown> }> => {
        const r = await run(process.execPath, ["bin/cutover.js", "store", "migrate", "-c", cfg, "--json"]).then(
          (x) => ({ code: 0, stdout: x.stdout }),
          (e: unknown) => ({ code: (e as { code: number }).code, stdout: (e as { stdout: string }).stdout }),
        );
        return { code: r.code, out: JSON.parse(r.stdout) as Record<string, unknown> };
      };
      const first = await migrate();
      assert.deepEqual(first, {
        code: 0,
        out: { store: "postgres", location: url.replace(/\/t\d+$/, `/t${dbs}`), from: 0, to: V, applied: V },
      });
      assert.equal((await migrate()).out.applied, 0);
      await pg.query(`UPDATE cutover.meta SET value = '${V + 1}' WHERE key = 'schema_version'`, `t${dbs}`);
      const refused = await migrate();
      assert.equal(refused.code, 1);
      assert.equal((refused.out.error as { code: string }).code, "CUTOVER_ERR_STORE_SCHEMA");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("a gateway on PostgreSQL", () => {
    let flask: Backend;
    let fastapi: Backend;
    before(async () => {
      [flask, fastapi] = await Promise.all([startFlask(), startFastAPI()]);
    });
    after(async () => {
      await Promise.all([flask.stop(), fastapi.stop()]);
    });

    test(
      "after kill -9 and a restart: weights, audit log, accepted findings and the rollout stage are all there",
      { timeout: 90_000 },
      async () => {
        const url = await freshDb();
        const dir = mkdtempSync(join(tmpdir(), "cutover-pgkill-"));
        const body = `
bucketing: { keys: [header:x-user-id] }
routes:
  - name: api
    match: { path: /api/*, methods: [GET] }
    mirror: { percent: 100 }
  - name: other
    match: { path: /* }
rollout:
  routes: [api]
  stages: [5, 50, 100]
  min_duration: 1s
  interval: 250ms
  min_requests: 100000
`;
        const start = () => spawnGateway({ legacy: flask.url, candidate: fastapi.url, body, dir, store: url });
        const admin = async <T>(base: string, method: string, path: string, json?: unknown): Promise<T> => {
          const r = await request(`${base}${path}`, {
            method: method as "GET",
            headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
            ...(json === undefined ? {} : { body: JSON.stringify(json) }),
          });
          assert.equal(r.statusCode, 200, `${method} ${path}`);
          return (await r.body.json()) as T;
        };
        type Findings = { findings: { id: string; accepted?: unknown }[] };
        const a = await start();
        try {
          // Mirrored traffic until the parity pipeline has found a difference.
          const found = await waitUntil(
            async () => {
              for (let i = 0; i < 10; i++) await (await request(`${a.url}/api/users/${i}`)).body.dump();
              return (await admin<Findings>(a.admin, "GET", "/api/findings")).findings.length > 0;
            },
            30_000,
            10,
          );
          assert.ok(found, "mirrored traffic produced a finding");
          const finding = (await admin<Findings>(a.admin, "GET", "/api/findings")).findings[0]?.id ?? "";
          // Each acknowledged change is durable when the admin API answers: SIGKILL right after.
          await admin(a.admin, "PUT", "/api/routes/other/weight", { weight: 30, reason: "pg test" });
          await admin(a.admin, "POST", `/api/findings/${finding}/accept`, { reason: "renamed on purpose" });
          const promoted = await admin<{ id: string; stage: { index: number } }>(
            a.admin,
            "POST",
            "/api/rollout/promote",
            {
              reason: "to 50",
            },
          );
          assert.equal(promoted.stage.index, 1);
          await a.kill("SIGKILL");

          const b = await start();
          try {
            const status = await admin<{
              routes: { name: string; weight: number }[];
              store: { kind: string; schema: unknown };
            }>(b.admin, "GET", "/api/status");
            assert.equal(status.store.kind, "postgres");
            assert.deepEqual(status.store.schema, { from: V, to: V });
            assert.equal(status.routes.find((r) => r.name === "other")?.weight, 30);
            assert.equal(status.routes.find((r) => r.name === "api")?.weight, 50);
            const ro = await admin<{ id: string; stage: { index: number }; status: string }>(
              b.admin,
              "GET",
              "/api/rollout",
            );
            assert.equal(ro.id, promoted.id);
            assert.equal(ro.stage.index, 1);
            const audit = await admin<{ action: string; reason: string }[]>(b.admin, "GET", "/api/audit");
            assert.ok(
              audit.some((e) => e.action === "set_weight" && e.reason === "pg test"),
              JSON.stringify(audit),
            );
            const accepted = await admin<Findings>(b.admin, "GET", "/api/findings?accepted=1");
            assert.ok(
              accepted.findings.find((f) => f.id === finding)?.accepted,
              "the accepted finding is still accepted",
            );
          } finally {
            await b.kill();
          }
        } finally {
          await a.kill("SIGKILL");
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );
  });
});
