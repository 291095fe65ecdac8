// The route inventory as users run it: `cutover routes` and `cutover init` as child processes, on
// the real fixture apps (FastAPI's /openapi.json from a running uvicorn, Flask statically and via
// `flask routes`) and on the source trees in test/fixtures/inventory/.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { parseConfig } from "../src/config/load.js";
import type { Endpoint } from "../src/inventory/index.js";
import { compileTemplate, matchSegments, type PathTemplate } from "../src/route/template.js";
import { RouteTable } from "../src/route/table.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { startGateway } from "./helpers/gateway.js";

const TOKEN_ENV = { CUTOVER_ADMIN_TOKEN: "0123456789abcdef0123" };

function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["bin/cutover.js", ...args],
      { encoding: "utf8", timeout: 60_000, env: { ...process.env, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

interface RoutesJson {
  legacy: { framework: string; endpoints: Endpoint[] };
  candidate: { framework: string; endpoints: Endpoint[] };
  comparison: {
    pairs: { legacy: string; candidate: string; methods: { legacy: string[]; candidate: string[] } }[];
    differences: { kind: string; message: string }[];
    rewrites: { match: string; candidate: string }[];
  };
}

async function routesJson(...args: string[]): Promise<RoutesJson> {
  const r = await cli(["routes", ...args, "--json"]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  return JSON.parse(r.stdout) as RoutesJson;
}

const lines = (eps: Endpoint[]) => eps.map((e) => `${e.method} ${e.path}`).sort();

/** A concrete request path for a canonical template: `1` for a parameter, `a/b` for the rest. */
function concrete(path: string): string {
  return path.replace(/\{[^}]+:path\}/g, "a/b").replace(/\{[^}]+\}/g, "1");
}
function template(path: string): PathTemplate {
  const t = compileTemplate(path.replace(/\{([^}:]+):path\}.*$/, "*").replace(/\{([^}]+)\}/g, ":$1"));
  assert.ok(!("error" in t), path);
  return t;
}

describe("route inventory", () => {
  const dir = mkdtempSync(join(tmpdir(), "cutover-inventory-"));
  let fastapi: Backend;
  before(async () => {
    fastapi = await startFastAPI();
  });
  after(async () => {
    await fastapi.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("FastAPI's /openapi.json against the Flask fixture read statically: only /health → /healthz differs", async () => {
    const r = await routesJson("--legacy", "test/fixtures/legacy_flask", "--candidate", fastapi.url);
    assert.equal(r.legacy.framework, "flask");
    assert.equal(r.candidate.framework, "openapi");
    const users = r.candidate.endpoints.find((e) => e.path === "/api/users/{user_id}");
    assert.deepEqual(users?.params, [{ name: "user_id", type: "int" }]);
    assert.deepEqual(
      r.comparison.differences.map((d) => d.kind),
      ["path_renamed"],
      JSON.stringify(r.comparison.differences),
    );
    assert.deepEqual(r.comparison.rewrites, [
      { match: "/health", candidate: "/healthz", paths: 1, reason: "renamed: /health → /healthz" },
    ]);
    // Every endpoint of the Flask fixture is paired (39 paths), with the same methods.
    assert.equal(r.comparison.pairs.length, 39);
    for (const p of r.comparison.pairs) assert.deepEqual(p.methods.legacy, p.methods.candidate, p.legacy);
  });

  test("the FastAPI source and its served OpenAPI document list the same endpoints", async () => {
    const r = await routesJson(
      "--legacy",
      "test/fixtures/candidate_fastapi",
      "--candidate",
      `${fastapi.url}/openapi.json`,
    );
    assert.equal(r.legacy.framework, "fastapi");
    assert.deepEqual(r.comparison.differences, []);
  });

  test("the Flask fixture read statically and through `flask routes` gives the same endpoints", async () => {
    const r = await routesJson(
      "--legacy",
      "test/fixtures/legacy_flask",
      "--candidate",
      "flask:test/fixtures/legacy_flask/app.py",
    );
    assert.equal(lines(r.legacy.endpoints).length, 51);
    assert.deepEqual(lines(r.legacy.endpoints), lines(r.candidate.endpoints));
    assert.deepEqual(r.comparison.differences, []);
  });

  test("planted route-set differences through the CLI: each reported once, with suggested rewrites", async () => {
    const r = await routesJson(
      "--legacy",
      "test/fixtures/inventory/planted/legacy",
      "--candidate",
      "test/fixtures/inventory/planted/candidate",
    );
    // The planted pair holds one of each of the eight kinds (test/fixtures/inventory/README.md).
    const kinds = r.comparison.differences.map((d) => d.kind);
    assert.equal(kinds.length, 8, JSON.stringify(r.comparison.differences));
    assert.equal(new Set(kinds).size, 8);
    assert.deepEqual(
      r.comparison.rewrites.map((w) => `${w.match} → ${w.candidate}`),
      ["/api/v1/* → /api/v2/*", "/health → /healthz", "/items/ → /items"],
    );
    const text = await cli([
      "routes",
      "--legacy",
      "test/fixtures/inventory/planted/legacy",
      "--candidate",
      "test/fixtures/inventory/planted/candidate",
    ]);
    assert.match(text.stdout, /only_legacy\s+GET \/legacy-only: not in the candidate/);
    assert.match(text.stdout, /rewrite: \{ candidate: \/api\/v2\/\* \}/);
  });

  test("flask blueprints, Robyn, Express and Next.js trees are recognised", async () => {
    const expect: Record<string, [string, string]> = {
      flask_blueprints: ["flask", "GET /shop/reviews/{score}"],
      robyn: ["robyn", "PUT /api/items/{item_id}"],
      express: ["express", "DELETE /api/orders/{orderId}"],
      nextjs: ["nextjs", "DELETE /api/orders/{orderId}"],
    };
    for (const [tree, [framework, line]] of Object.entries(expect)) {
      const r = await cli(["routes", `test/fixtures/inventory/${tree}`, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const inv = (JSON.parse(r.stdout) as { legacy: { framework: string; endpoints: Endpoint[] } }).legacy;
      assert.equal(inv.framework, framework);
      assert.ok(lines(inv.endpoints).includes(line), `${tree}: ${lines(inv.endpoints).join(", ")}`);
    }
    const fb = JSON.parse((await cli(["routes", "test/fixtures/inventory/flask_blueprints", "--json"])).stdout) as {
      legacy: { endpoints: Endpoint[]; warnings: string[] };
    };
    assert.deepEqual(fb.legacy.warnings, []);
    assert.deepEqual(lines(fb.legacy.endpoints), [
      "GET /ping",
      "GET /shop/catalog/",
      "GET /shop/catalog/{product_id}/price",
      "GET /shop/catalog/{slug}",
      "GET /shop/reviews/{score}",
      "GET /widgets/{widget_id}",
      "PATCH /shop/catalog/{product_id}/price",
      "POST /admin/reindex",
      "POST /upload",
      "PUT /upload",
      "PUT /widgets/{widget_id}",
    ]);
  });

  test("bad sources fail with CUTOVER_ERR_INVENTORY_SOURCE (exit 2)", async () => {
    const missing = await cli(["routes", "--legacy", join(dir, "nope")]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /CUTOVER_ERR_INVENTORY_SOURCE/);
    const notApi = await cli(["routes", "--legacy", `${fastapi.url}/healthz`, "--json"]);
    assert.equal(notApi.code, 2);
    assert.equal((JSON.parse(notApi.stdout) as { error: { code: string } }).error.code, "CUTOVER_ERR_INVENTORY_SOURCE");
  });

  /** init on `tree`, then: check accepts it, and every legacy endpoint is routed as the inventory says. */
  async function initAndVerify(tree: string, file: string): Promise<string> {
    const w = await cli(["init", "-c", file, tree, "--json"]);
    assert.equal(w.code, 0, w.stderr + w.stdout);
    const ok = await cli(["check", "-c", file, "--json"], TOKEN_ENV);
    assert.equal(ok.code, 0, ok.stdout);
    const text = readFileSync(file, "utf8");
    const parsed = parseConfig(text, TOKEN_ENV);
    assert.ok(parsed.config, JSON.stringify(parsed.problems));
    const table = new RouteTable(parsed.config.routes);
    const data = JSON.parse(w.stdout) as { legacy: { origin: string }; candidate: { origin: string } };
    const r = await routesJson("--legacy", data.legacy.origin, "--candidate", data.candidate.origin);
    for (const p of r.comparison.pairs) {
      for (const method of p.methods.legacy) {
        const path = concrete(p.legacy);
        const m = table.match(method, path);
        assert.ok(m, `${method} ${path} is routed`);
        assert.notEqual(m.route.name, "everything-else", `${method} ${path} has its own route`);
        const sent = RouteTable.rewritePath(m, "candidate", path);
        assert.ok(
          matchSegments(template(p.candidate), sent.slice(1).split("/")),
          `${path} → ${sent} reaches ${p.candidate}`,
        );
      }
    }
    return text;
  }

  test("init on a directory with a Flask and a FastAPI app writes routes that check accepts and match the inventory", async () => {
    const text = await initAndVerify("test/fixtures/inventory/planted", join(dir, "planted.yaml"));
    assert.match(
      text,
      /- name: api-v1\n {4}match: \{ path: \/api\/v1\/\* \}\n {4}rewrite: \{ candidate: \/api\/v2\/\* \}/,
    );
    assert.match(text, /# GET \/legacy-only {2}— not in the candidate yet/);
    assert.match(
      text,
      /\nendpoints: \[test\/fixtures\/inventory\/planted\/legacy, test\/fixtures\/inventory\/planted\/candidate\]\n/,
    );
    assert.match(text, /health: \{ path: \/health, interval: 5s \}[\s\S]*health: \{ path: \/healthz, interval: 5s \}/);
    // The real fixture pair, in directories whose names do not say which side is which.
    const pair = join(dir, "pair");
    for (const [sub, src] of [
      ["svc-a", "test/fixtures/candidate_fastapi/app.py"],
      ["svc-b", "test/fixtures/legacy_flask/app.py"],
    ] as const) {
      mkdirSync(join(pair, sub), { recursive: true });
      copyFileSync(src, join(pair, sub, "app.py"));
    }
    const real = await initAndVerify(pair, join(dir, "pair.yaml"));
    assert.match(real, /legacy:\n {4}url: http:\/\/127\.0\.0\.1:5000\n {4}framework: flask/);
    assert.match(real, /- name: health\n {4}match: \{ path: \/health \}\n {4}rewrite: \{ candidate: \/healthz \}/);
  });

  test("a gateway with endpoints: keys findings by method + inventory template", async () => {
    const flask = await startFlask();
    const g = await startGateway({
      legacy: flask.url,
      candidate: fastapi.url,
      body: `endpoints: [test/fixtures/legacy_flask, "${fastapi.url}/openapi.json"]
routes:
  - name: api
    match: { path: /api/* }
    mirror: { percent: 100 }
  - match: { path: /* }
`,
    });
    try {
      for (const id of [1, 2, 3]) {
        const r = await fetch(`${g.url}/api/users/${id}`);
        await r.arrayBuffer();
      }
      const deadline = Date.now() + 15_000;
      while (g.gw.parity.compared < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const list = (
        await g.admin<{ findings: { template: string; kind: string; rate: { rate: number } }[] }>(
          "GET",
          "/api/findings",
        )
      ).body.findings;
      const renamed = list.find((f) => f.kind === "field_renamed");
      assert.equal(renamed?.template, "GET /api/users/{user_id}", JSON.stringify(list));
      assert.equal(renamed.rate.rate, 1);
    } finally {
      await g.stop();
      await flask.stop();
    }
  });
});
