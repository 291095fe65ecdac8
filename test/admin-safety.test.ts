// Safe start and a safe admin API: a non-loopback admin listener and a guessable token are refused
// by `cutover run` itself (exit 2, the field named); a start that fails on a busy admin port writes
// nothing to the store; malformed admin input is a 400 with a code; the bucket salt is generated
// per install and kept.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import Database from "better-sqlite3";
import { parseConfig } from "../src/config/load.js";
import { Gateway, SALT_DOC } from "../src/gateway/gateway.js";
import { SqliteStore } from "../src/store/sqlite.js";
import { startGateway, TOKEN } from "./helpers/gateway.js";

const dir = mkdtempSync(join(tmpdir(), "cutover-admin-safety-"));
after(() => rmSync(dir, { recursive: true, force: true }));

// Upstreams are never contacted: health checks are off and no client request is sent.
function yaml(o: { admin: string; store: string; extra?: string }): string {
  return `listen: 127.0.0.1:0
admin: ${o.admin}
store: { path: ${o.store} }
log: { level: silent }
upstreams:
  legacy: { url: http://127.0.0.1:9 }
  candidate: { url: http://127.0.0.1:9 }
routes:
  - name: api
    match: { path: /* }
${o.extra ?? ""}`;
}

function runCli(name: string, admin: string): { code: number | null; out: string } {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml({ admin, store: join(dir, `${name}.db`) }));
  const r = spawnSync(process.execPath, ["bin/cutover.js", "run", "-c", file], { encoding: "utf8", timeout: 20_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** Everything the store holds, as comparable data. */
function dump(path: string): unknown {
  const db = new Database(path, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
      name: string;
    }[];
    return Object.fromEntries(tables.map((t) => [t.name, db.prepare(`SELECT * FROM "${t.name}"`).all()]));
  } finally {
    db.close();
  }
}

describe("safe start", () => {
  test("an admin listener off loopback is refused unless admin.expose is set", () => {
    const r = runCli("exposed", `{ listen: 0.0.0.0:0, token: ${TOKEN} }`);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /CUTOVER_ERR_CONFIG_INVALID/);
    assert.match(r.out, /admin\.listen: 0\.0\.0\.0:0 is not a loopback address/);
    const allowed = parseConfig(yaml({ admin: `{ listen: 0.0.0.0:0, expose: true, token: ${TOKEN} }`, store: "x" }));
    assert.deepEqual(allowed.problems, []);
    for (const host of ["127.0.0.1", "[::1]", "localhost"]) {
      const ok = parseConfig(yaml({ admin: `{ listen: "${host}:0", token: ${TOKEN} }`, store: "x" }));
      assert.deepEqual(ok.problems, [], host);
    }
  });

  test("a weak admin token is refused", () => {
    const r = runCli("weak", "{ listen: 127.0.0.1:0, token: '0000000000000000' }");
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /admin\.token: admin token is too easy to guess/);
    const alternating = parseConfig(yaml({ admin: "{ token: abababababababababab }", store: "x" }));
    assert.equal(alternating.problems[0]?.path, "admin.token");
  });

  test("a start that fails on a busy admin port leaves the store untouched", { timeout: 30_000 }, async () => {
    const store = join(dir, "failed-start.db");
    // An existing install: weights and an audit entry already stored.
    const s = new SqliteStore(store);
    s.setWeights(new Map([["api", 3]]), {
      at: 1,
      actor: "test",
      action: "set_weight",
      subject: "api",
      reason: "before",
    });
    await s.close();
    const before = dump(store);

    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", r));
    const port = (busy.address() as { port: number }).port;
    try {
      const res = parseConfig(
        yaml({
          admin: `{ listen: 127.0.0.1:${port}, token: ${TOKEN} }`,
          store,
          extra: "rollout:\n  stages: [5, 100]\n  min_duration: 1m\n",
        }),
      );
      assert.ok(res.config, JSON.stringify(res.problems));
      const gw = new Gateway(res.config);
      await assert.rejects(gw.start(), { code: "CUTOVER_ERR_LISTEN" });
      await gw.stop();
    } finally {
      busy.close();
    }
    assert.deepEqual(dump(store), before);
  });

  test("the bucket salt is generated per install, kept across restarts, and a configured one wins", async () => {
    const salts: string[] = [];
    for (const name of ["one", "two", "one"]) {
      const d = join(dir, `salt-${name}`);
      const g = await startGateway({ legacy: "http://127.0.0.1:9", candidate: "http://127.0.0.1:9", dir: d });
      salts.push(g.gw.config.bucketing.salt);
      assert.equal(g.gw.runtime.store.getDoc(SALT_DOC), g.gw.config.bucketing.salt);
      await g.stop();
    }
    const [one, two, oneAgain] = salts;
    assert.match(one ?? "", /^[0-9a-f]{32}$/);
    assert.notEqual(one, two);
    assert.equal(oneAgain, one);
    const set = await startGateway({
      legacy: "http://127.0.0.1:9",
      candidate: "http://127.0.0.1:9",
      body: "bucketing: { salt: mine }\nroutes:\n  - match: { path: /* }\n",
    });
    assert.equal(set.gw.config.bucketing.salt, "mine");
    await set.stop();
  });
});

describe("admin input errors", () => {
  test("malformed percent-encoding and non-numeric limits are 400 with a code", async () => {
    const g = await startGateway({ legacy: "http://127.0.0.1:9", candidate: "http://127.0.0.1:9" });
    try {
      for (const path of [
        "/api/findings/%E0%A4%A",
        "/api/audit?limit=abc",
        "/api/audit?limit=-1",
        "/api/audit?limit=1e9",
        "/api/findings?limit=abc",
        "/api/findings?offset=x",
      ]) {
        const r = await g.admin<{ error?: { code?: string } }>("GET", path);
        assert.equal(r.status, 400, `${path}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.error?.code, "CUTOVER_ERR_ADMIN_BAD_REQUEST", path);
      }
      assert.equal((await g.admin("GET", "/api/audit?limit=5")).status, 200);
    } finally {
      await g.stop();
    }
  });
});
