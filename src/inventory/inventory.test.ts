import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { compareInventories } from "./compare.js";
import { expressEndpoints } from "./express.js";
import { flaskRoutesEndpoints } from "./flask-routes.js";
import { nextEndpoints, nextRoutePath } from "./nextjs.js";
import { openApiEndpoints } from "./openapi.js";
import { makeEndpoint, pathKey, routeTemplate } from "./path.js";
import { planRoutes } from "./plan.js";
import { fallbackFacts } from "./python-facts.js";
import { pythonRoutes } from "./python-routes.js";
import { listFiles } from "./read.js";
import type { Endpoint } from "./types.js";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}
const FIXTURES = join(repoRoot(), "test", "fixtures", "inventory");

function sources(tree: string) {
  const root = join(FIXTURES, tree);
  return listFiles(root).map((file) => ({ file, text: readFileSync(join(root, file), "utf8") }));
}
const lines = (eps: Endpoint[]) => eps.map((e) => `${e.method} ${e.path}`).sort();

test("framework path syntaxes read into one canonical template", () => {
  assert.equal(
    makeEndpoint("get", "/users/<int:id>/files/<path:rest>", "flask", "x").path,
    "/users/{id}/files/{rest:path}",
  );
  assert.deepEqual(makeEndpoint("GET", "/users/<int:id>", "flask", "x").params, [{ name: "id", type: "int" }]);
  assert.equal(makeEndpoint("GET", "/items/:id(\\d+)", "colon", "x").params[0]?.type, "int");
  assert.equal(makeEndpoint("GET", "/docs/[...slug]", "next", "x").path, "/docs/{slug:path}");
  assert.equal(makeEndpoint("GET", "/w/{rest:path}", "braces", "x").path, "/w/{rest:path}");
  assert.equal(pathKey("/users/{id}/"), pathKey("/users/{user_id}"));
  assert.equal(routeTemplate("/users/{id}/files/{rest:path}"), "/users/:id/files/*");
  assert.equal(nextRoutePath("src/app/(shop)/api/cart/route.ts")?.path, "/api/cart");
  assert.equal(nextRoutePath("app/_lib/route.ts"), undefined);
  assert.equal(nextRoutePath("pages/about.tsx"), undefined);
});

test("OpenAPI: every operation, path-parameter types from schemas and $refs", () => {
  const doc = {
    openapi: "3.1.0",
    servers: [{ url: "https://api.example.test/v1" }],
    components: { parameters: {}, schemas: { Id: { type: "integer" } } },
    paths: {
      "/users/{id}": {
        parameters: [{ name: "id", in: "path", schema: { $ref: "#/components/schemas/Id" } }],
        get: {},
        delete: {},
      },
      "/files/{key}": {
        put: { parameters: [{ name: "key", in: "path", schema: { type: "string", format: "uuid" } }] },
      },
    },
  };
  const eps = openApiEndpoints(doc);
  assert.deepEqual(lines(eps), ["DELETE /v1/users/{id}", "GET /v1/users/{id}", "PUT /v1/files/{key}"]);
  assert.equal(eps.find((e) => e.method === "GET")?.params[0]?.type, "int");
  assert.equal(eps.find((e) => e.method === "PUT")?.params[0]?.type, "uuid");
});

test("flask routes output: HEAD/OPTIONS and Flask's static endpoint left out", () => {
  const out = `Endpoint  Methods                        Rule
--------  -----------------------------  --------------------
echo      DELETE, GET, PATCH, POST, PUT  /echo/<path:_rest>
health    GET                            /health
static    GET                            /static/<path:filename>
`;
  assert.deepEqual(lines(flaskRoutesEndpoints(out)), [
    "DELETE /echo/{_rest:path}",
    "GET /echo/{_rest:path}",
    "GET /health",
    "PATCH /echo/{_rest:path}",
    "POST /echo/{_rest:path}",
    "PUT /echo/{_rest:path}",
  ]);
});

test("Python line reader (no python3): blueprints, prefixes, routers across files", () => {
  const legacy = pythonRoutes(sources("planted/legacy").map((f) => fallbackFacts(f.file, f.text)));
  assert.equal(legacy.framework, "flask");
  assert.ok(lines(legacy.endpoints).includes("GET /api/v1/orders/{order_id}"), lines(legacy.endpoints).join("\n"));
  assert.ok(lines(legacy.endpoints).includes("POST /notes"));
  const cand = pythonRoutes(sources("planted/candidate").map((f) => fallbackFacts(f.file, f.text)));
  assert.equal(cand.framework, "fastapi");
  assert.ok(lines(cand.endpoints).includes("DELETE /api/v2/orders/{order_id}"), lines(cand.endpoints).join("\n"));
  assert.equal(cand.endpoints.find((e) => e.path === "/users/{user_id}")?.params[0]?.type, "str");
  const robyn = pythonRoutes(sources("robyn").map((f) => fallbackFacts(f.file, f.text)));
  assert.deepEqual(lines(robyn.endpoints), [
    "DELETE /api/items/{item_id}",
    "GET /api/items/",
    "GET /health",
    "GET /users/{id}",
    "POST /users",
    "PUT /api/items/{item_id}",
  ]);
});

test("Express: routers across CommonJS and ESM files, route() chains, app.use prefixes, app.all", () => {
  const r = expressEndpoints(sources("express"));
  assert.deepEqual(lines(r.endpoints), [
    "* /proxy/{rest:path}",
    "DELETE /api/orders/{orderId}",
    "GET /api/orders",
    "GET /api/orders/{orderId}",
    "GET /api/users",
    "GET /api/users/{id}",
    "GET /health",
    "PATCH /api/users/{id}",
    "POST /api/users",
  ]);
  assert.equal(r.endpoints.find((e) => e.method === "GET" && e.path === "/api/users/{id}")?.params[0]?.type, "int");
});

test("Next.js: pages/api methods from req.method tests, app/ route handlers, groups and private folders", () => {
  const r = nextEndpoints(sources("nextjs"));
  assert.deepEqual(lines(r.endpoints), [
    "* /api/health",
    "DELETE /api/orders/{orderId}",
    "GET /api/files/{path:path}",
    "GET /api/news",
    "GET /api/orders",
    "GET /api/orders/{orderId}",
    "GET /api/users",
    "GET /api/users/{id}",
    "HEAD /api/files/{path:path}",
    "POST /api/orders",
    "POST /api/users",
    "PUT /api/users/{id}",
  ]);
});

const E = (method: string, path: string, types: Record<string, "int" | "str"> = {}) =>
  makeEndpoint(method, path, "braces", "test", types);

test("compare: each planted route-set difference is reported exactly once", () => {
  const legacy = [
    E("GET", "/api/v1/orders"),
    E("GET", "/api/v1/orders/{order_id}", { order_id: "int" }),
    E("GET", "/health"),
    E("GET", "/notes"),
    E("POST", "/notes"),
    E("GET", "/reports/{report_id}", { report_id: "int" }),
    E("GET", "/items/"),
    E("GET", "/users/{id}", { id: "int" }),
    E("GET", "/legacy-only"),
    E("GET", "/same"),
  ];
  const candidate = [
    E("GET", "/api/v2/orders"),
    E("GET", "/api/v2/orders/{oid}", { oid: "int" }),
    E("GET", "/healthz"),
    E("GET", "/notes"),
    E("GET", "/reports/{id}", { id: "int" }),
    E("GET", "/items"),
    E("GET", "/users/{id}", { id: "str" }),
    E("POST", "/new-thing"),
    E("GET", "/same"),
  ];
  const cmp = compareInventories(legacy, candidate);
  const kinds = cmp.differences.map((d) => d.kind).sort();
  assert.deepEqual(kinds, [
    "method_mismatch",
    "only_candidate",
    "only_legacy",
    "param_renamed",
    "param_type",
    "path_renamed",
    "prefix_moved",
    "trailing_slash",
  ]);
  assert.deepEqual(
    cmp.rewrites.map((r) => [r.match, r.candidate]),
    [
      ["/api/v1/*", "/api/v2/*"],
      ["/health", "/healthz"],
      ["/items/", "/items"],
    ],
  );
  const mm = cmp.differences.find((d) => d.kind === "method_mismatch");
  assert.deepEqual(mm?.methods, { legacy: ["POST"], candidate: [] });
  // Nothing to report between identical sides.
  assert.deepEqual(compareInventories(legacy, legacy).differences, []);
});

test("compare: one moved path needs a version bump to count as a prefix move; unrelated paths stay apart", () => {
  const one = compareInventories([E("GET", "/api/v1/users")], [E("GET", "/api/v2/users")]);
  assert.deepEqual(one.rewrites[0], {
    match: "/api/v1/*",
    candidate: "/api/v2/*",
    paths: 1,
    reason: "prefix moved: /api/v1 → /api/v2",
  });
  const apart = compareInventories([E("GET", "/a/status")], [E("GET", "/b/status")]);
  assert.deepEqual(apart.differences.map((d) => d.kind).sort(), ["only_candidate", "only_legacy"]);
  // A rename with a parameter keeps legacy's parameter name in the rewrite.
  const renamed = compareInventories([E("GET", "/user/{uid}")], [E("GET", "/users/{id}")]);
  assert.deepEqual(
    renamed.rewrites.map((r) => [r.match, r.candidate]),
    [["/user/:uid", "/users/:uid"]],
  );
});

test("plan: rewrites first, one route per top-level segment, catch-all last", () => {
  const cmp = compareInventories(
    [E("GET", "/health"), E("GET", "/api/a"), E("GET", "/api/b/{id}"), E("POST", "/upload"), E("GET", "/{slug}")],
    [E("GET", "/healthz"), E("GET", "/api/a"), E("GET", "/api/b/{id}")],
  );
  const plan = planRoutes(cmp);
  assert.deepEqual(
    plan.routes.map((r) => [r.name, r.path, r.rewrite ?? "", r.mirror]),
    [
      ["health", "/health", "/healthz", false],
      ["api", "/api/*", "", true],
      ["upload", "/upload", "", false],
      ["everything-else", "/*", "", false],
    ],
  );
  assert.deepEqual(plan.health, { legacy: "/health", candidate: "/healthz" });
  assert.ok(plan.routes[2]?.notes.some((n) => n.includes("not in the candidate yet")));
  assert.ok(plan.routes[3]?.notes.some((n) => n.includes("/{slug}")));
});
