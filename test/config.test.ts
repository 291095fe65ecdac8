// Config validation reports every problem with its path and line; the init template is valid.
import assert from "node:assert/strict";
import { test } from "node:test";
import { INIT_TEMPLATE } from "../src/config/init-template.js";
import { parseConfig } from "../src/config/load.js";

const env = { CUTOVER_ADMIN_TOKEN: "0123456789abcdef0123" };

test("the init template is a valid config", () => {
  const r = parseConfig(INIT_TEMPLATE, env);
  assert.deepEqual(r.problems, []);
  const config = r.config;
  assert.ok(config);
  assert.equal(config.routes.length, 3);
  assert.equal(config.upstreams.candidate.health?.interval, 5000);
});

test("every problem is reported at once, with path and line", () => {
  const text = `listen: 0.0.0.0:8080
admin: { listen: 127.0.0.1:9901, token: short }
upstreams:
  legacy: { url: http://127.0.0.1:5000 }
  candidate: { url: ftp://127.0.0.1:8000 }
  legacy2: { url: http://127.0.0.1:5001 }
routes:
  - match: { path: /* }
  - match: { path: /agents/* }
    candidate_weight: 120
  - match: { path: /x }
    candidate_weight: -1
    rewrite: { candidate: /y/:id }
workers: 0
`;
  const r = parseConfig(text, env);
  assert.equal(r.config, undefined);
  const byPath = new Map(r.problems.map((p) => [p.path, p]));
  assert.ok(byPath.has("admin.token"), JSON.stringify(r.problems));
  assert.equal(byPath.get("admin.token")?.line, 2);
  assert.ok(byPath.has("upstreams.candidate.url"));
  assert.equal(byPath.get("upstreams.candidate.url")?.line, 5);
  assert.ok(
    r.problems.some((p) => p.path === "upstreams" && /legacy2/.test(p.message)),
    "unknown upstream name",
  );
  assert.equal(byPath.get("routes[1].candidate_weight")?.line, 10);
  assert.ok(byPath.has("routes[2].candidate_weight"));
  assert.equal(byPath.get("workers")?.line, 14);
  assert.ok(r.problems.length >= 6);
});

test("semantic problems: unreachable and duplicate routes, bad rewrites, mirrored writes", () => {
  const text = `admin: { token: 0123456789abcdef0123 }
upstreams:
  legacy: { url: http://127.0.0.1:5000 }
  candidate: { url: http://127.0.0.1:8000 }
routes:
  - match: { path: /agents/* }
  - match: { path: /agents/:id, methods: [GET] }
  - name: a
    match: { path: /a }
  - name: a
    match: { path: /b }
  - match: { path: /users/:id }
    rewrite: { candidate: /v2/users/:uid }
  - match: { path: /orders/*, methods: [POST] }
    mirror: { methods: [POST] }
  - match: { path: /bad/*/x }
`;
  const r = parseConfig(text, env);
  const msgs = r.problems.map((p) => `${p.path}@${p.line}: ${p.message}`);
  assert.ok(
    msgs.some((m) => m.startsWith("routes[1].match@7") && m.includes("unreachable")),
    msgs.join("\n"),
  );
  assert.ok(
    msgs.some((m) => m.startsWith("routes[3].name") && m.includes("already used")),
    msgs.join("\n"),
  );
  assert.ok(
    msgs.some((m) => m.startsWith("routes[4].rewrite.candidate") && m.includes(":uid")),
    msgs.join("\n"),
  );
  assert.ok(
    msgs.some((m) => m.startsWith("routes[5].mirror.methods") && m.includes("isolated")),
    msgs.join("\n"),
  );
  assert.ok(
    msgs.some((m) => m.startsWith("routes[6].match.path") && m.includes("last segment")),
    msgs.join("\n"),
  );
  assert.equal(r.problems.length, 5);
});

test("invalid YAML and missing environment variables", () => {
  const bad = parseConfig("routes: [\n  - a: 1\nb: : :\n", env);
  assert.ok(bad.problems.length >= 1);
  assert.ok(bad.problems.every((p) => p.path === "" && typeof p.line === "number"));
  const missing = parseConfig("admin: { token: ${NOPE_NOT_SET} }\nupstreams: {}\nroutes: []\n", {});
  assert.deepEqual(
    missing.problems.map((p) => [p.path, p.line]),
    [["admin.token", 1]],
  );
  const withDefault = parseConfig(
    INIT_TEMPLATE.replace("${CUTOVER_ADMIN_TOKEN}", "${NOPE:-fallback-token-1234567}"),
    {},
  );
  assert.equal(withDefault.config?.admin.token, "fallback-token-1234567");
});

test("secrets are interpolated after parsing: a value cannot inject YAML", () => {
  const r = parseConfig(INIT_TEMPLATE, { CUTOVER_ADMIN_TOKEN: "abcdefghijklmnop\nlisten: 6.6.6.6:1" });
  assert.equal(r.config?.listen, "0.0.0.0:8080");
});

test("the committed JSON Schema is what the code generates (run `npm run schema` after changing it)", async () => {
  const { readFileSync } = await import("node:fs");
  const { configJsonSchema } = await import("../src/config/json-schema.js");
  const committed = JSON.parse(readFileSync("schema/cutover.schema.json", "utf8")) as unknown;
  assert.deepEqual(committed, JSON.parse(JSON.stringify(configJsonSchema())));
});

test("diff paths and presets are validated", () => {
  const text = INIT_TEMPLATE.replace(
    "# Move traffic by evidence",
    'diff:\n  ignore: { paths: [$.ok, "items["] }\n  presets: [flask->fastapi, cobol->rust]\n# Move traffic by evidence',
  );
  const r = parseConfig(text, env);
  const paths = r.problems.map((p) => p.path);
  assert.deepEqual(paths, ["diff.ignore.paths[1]", "diff.presets[1]"], JSON.stringify(r.problems));
});

test("route conditions: bad regex reported with its path and line; a route with conditions hides nothing", () => {
  const text = `admin: { token: 0123456789abcdef0123 }
upstreams:
  legacy: { url: http://127.0.0.1:5000 }
  candidate: { url: http://127.0.0.1:8000 }
routes:
  - match: { path: /events, headers: { accept: text/event-stream } }
  - match: { path: /events }
  - match: { path: /socket.io/*, query: { EIO: { regex: "[34" } } }
    affinity: engine.io
`;
  const r = parseConfig(text, env);
  const msgs = r.problems.map((p) => `${p.path}@${p.line}: ${p.message}`);
  assert.ok(!msgs.some((m) => m.includes("unreachable")), msgs.join("\n"));
  assert.ok(
    msgs.some((m) => m.startsWith("routes[2].match.query.EIO@8") && m.includes("invalid regex")),
    msgs.join("\n"),
  );
  assert.equal(r.problems.length, 1, msgs.join("\n"));
  const bad = parseConfig(text.replace("accept: text", '"bad name": text'), env);
  assert.ok(
    bad.problems.some((p) => p.path.startsWith("routes[0].match.headers") && p.line === 6),
    JSON.stringify(bad.problems),
  );
});
