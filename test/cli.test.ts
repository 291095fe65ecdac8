// The CLI as users run it: a child process, exit codes, --json on every command.
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { startGateway, TOKEN, type TestGateway } from "./helpers/gateway.js";

/** acli runs the CLI without blocking this process (which may host the gateway it talks to). */
function acli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["bin/cutover.js", ...args],
      { encoding: "utf8", timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

function cli(
  args: string[],
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/cutover.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("cli", () => {
  const dir = mkdtempSync(join(tmpdir(), "cutover-cli-"));
  let flask: Backend;
  let fastapi: Backend;
  let g: TestGateway;
  before(async () => {
    [flask, fastapi] = await Promise.all([startFlask(), startFastAPI()]);
    g = await startGateway({
      legacy: flask.url,
      candidate: fastapi.url,
      body: "routes:\n  - name: api\n    match: { path: /api/* }\n    candidate_weight: 5\n  - name: rest\n    match: { path: /* }\n",
    });
  });
  after(async () => {
    await g.stop();
    await Promise.all([flask.stop(), fastapi.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("init writes a config that check accepts; init refuses to overwrite", () => {
    const file = join(dir, "cutover.yaml");
    assert.equal(cli(["init", "-c", file]).code, 0);
    const ok = cli(["check", "-c", file, "--json"], { CUTOVER_ADMIN_TOKEN: "0123456789abcdef" });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((JSON.parse(ok.stdout) as { ok: boolean }).ok, true);
    const again = cli(["init", "-c", file]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /CUTOVER_ERR_USAGE/);
  });

  test("check lists every problem with its path and line and exits 2", () => {
    const file = join(dir, "broken.yaml");
    writeFileSync(
      file,
      "admin: { token: x }\nupstreams:\n  legacy: { url: http://127.0.0.1:1 }\n  candiate: { url: http://127.0.0.1:2 }\nroutes:\n  - match: { path: /* }\n    candidate_weight: 250\n",
    );
    const r = cli(["check", "-c", file]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /broken\.yaml:1 {2}admin\.token: admin token must be at least 16 characters/);
    assert.match(r.stdout, /upstreams.*candiate/);
    assert.match(r.stdout, /broken\.yaml:7 {2}routes\[0\]\.candidate_weight/);
    const j = cli(["check", "-c", file, "--json"]);
    assert.equal(j.code, 2);
    assert.ok((JSON.parse(j.stdout) as { problems: unknown[] }).problems.length >= 4);
    const missing = cli(["run", "-c", join(dir, "nope.yaml")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /CUTOVER_ERR_CONFIG_NOT_FOUND/);
  });

  test("status, set-weight and rollback against a running gateway, human and --json", async () => {
    const admin = ["--admin", g.adminUrl, "--token", TOKEN];
    const s = await acli(["status", ...admin]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /api\s+5%/);
    assert.match(s.stdout, /candidate\s+(healthy|unknown)/);
    const sj = JSON.parse((await acli(["status", "--json", ...admin])).stdout) as {
      routes: { name: string; weight: number }[];
    };
    assert.equal(sj.routes.find((r) => r.name === "api")?.weight, 5);

    const w = await acli(["set-weight", "api", "25", "--json", ...admin]);
    assert.equal(w.code, 0, w.stderr);
    assert.deepEqual(JSON.parse(w.stdout), { route: "api", weight: 25 });
    assert.equal(g.gw.runtime.weight(g.gw.runtime.route("api")), 25);

    const bad = await acli(["set-weight", "nope", "25", ...admin]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /CUTOVER_ERR_UNKNOWN_ROUTE/);

    const rb = await acli(["rollback", "--json", "--reason", "test", ...admin]);
    assert.equal(rb.code, 0);
    assert.equal(g.gw.runtime.weight(g.gw.runtime.route("api")), 0);
    const [last] = g.gw.runtime.store.auditLog({ limit: 5 });
    assert.ok(last);
    assert.equal(last.action, "rollback");
    assert.equal(last.reason, "test");

    const unauthorized = await acli(["status", "--admin", g.adminUrl, "--token", "wrong-token-wrong-token"]);
    assert.equal(unauthorized.code, 3);
    assert.match(unauthorized.stderr, /CUTOVER_ERR_ADMIN_UNAUTHORIZED/);
    const unreachable = await acli(["status", "--json", "--admin", "http://127.0.0.1:1", "--token", TOKEN]);
    assert.equal(unreachable.code, 3);
    assert.equal(
      (JSON.parse(unreachable.stdout) as { error: { code: string } }).error.code,
      "CUTOVER_ERR_ADMIN_UNREACHABLE",
    );
  });

  test("weights set at runtime survive a restart", async () => {
    const g2 = await startGateway({
      legacy: flask.url,
      candidate: fastapi.url,
      dir: g.dir,
      body: "routes:\n  - name: api\n    match: { path: /api/* }\n    candidate_weight: 5\n",
    });
    try {
      await g2.admin("PUT", "/api/routes/api/weight", { weight: 42.5 });
    } finally {
      await g2.stop();
    }
    const g3 = await startGateway({
      legacy: flask.url,
      candidate: fastapi.url,
      dir: g.dir,
      body: "routes:\n  - name: api\n    match: { path: /api/* }\n    candidate_weight: 5\n",
    });
    try {
      assert.equal(g3.gw.runtime.weight(g3.gw.runtime.route("api")), 42.5);
    } finally {
      await g3.stop();
    }
  });

  test("unknown command and bad flags exit 2 with a usage code", () => {
    assert.equal(cli(["frobnicate"]).code, 2);
    const r = cli(["status", "--nope"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /CUTOVER_ERR_USAGE/);
  });

  test("demo runs with Node alone and stops by itself", () => {
    const r = spawnSync(process.execPath, ["bin/cutover.js", "demo", "--duration", "3s", "--json", "--port", "0"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(r.status, 0, r.stderr);
    const docs = r.stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((x) => JSON.parse(x) as Record<string, unknown>);
    assert.match(String(docs[0]?.gateway), /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(String(docs[0]?.dashboard), /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(String(docs[0]?.sign_in), /browser.*token/);
    // Rollout events may come between the first and the last document.
    const traffic = docs.find((d) => "traffic" in d)?.traffic as { sent: number; failed: number };
    assert.ok(traffic.sent > 20);
    assert.equal(traffic.failed, 0);
  });
});
