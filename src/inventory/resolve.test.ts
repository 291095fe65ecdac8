import assert from "node:assert/strict";
import { test } from "node:test";
import { diffResponses } from "../diff/engine.js";
import { captured, fastapiHeaders, fastapiJson, flaskHeaders, flaskJson } from "../diff/testing.js";
import { FindingsAggregator } from "../findings/aggregator.js";
import { EndpointResolver, MAX_WORDS } from "./resolve.js";

// A small, deterministic PRNG so a failure can be replayed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
const word = (r: () => number, n: number) =>
  Array.from({ length: n }, () => "abcdefghijklmnopqrstuvwxyz"[Math.floor(r() * 26)]).join("");

/** User data of every shape a path can carry. */
function userValue(r: () => number): string {
  const w = word(r, 3 + Math.floor(r() * 8));
  return pick(r, [
    w, // plain lowercase name: "grace"
    w.charAt(0).toUpperCase() + w.slice(1), // "Grace"
    `${w}${Math.floor(r() * 1000)}`, // "grace42"
    `${w}@example.test`, // e-mail
    `${w}.${word(r, 4)}`, // "grace.hopper"
    `how-to-${w}-${word(r, 5)}`, // slug
    `${w}_${word(r, 4)}_${word(r, 3)}`,
    `${Math.floor(r() * 1e6)}`,
    encodeURIComponent(`${w} ${word(r, 4)}`), // "grace%20hopper"
  ]);
}

const INVENTORY = [
  { method: "GET", path: "/api/profiles/{username}" },
  { method: "POST", path: "/api/profiles/{username}/follow" },
  { method: "GET", path: "/api/articles" },
  { method: "POST", path: "/api/articles" },
  { method: "GET", path: "/api/articles/{slug}" },
  { method: "GET", path: "/api/articles/{slug}/comments/{id}", types: { id: "int" as const } },
  { method: "GET", path: "/api/users/{id}", types: { id: "int" as const } },
  { method: "GET", path: "/api/users/me" },
  { method: "GET", path: "/files/{rest:path}" },
];

test("inventory templates: the most specific wins, keyed by method; typed parameters checked", () => {
  const r = new EndpointResolver(INVENTORY);
  assert.equal(r.resolve("GET", "/api/users/me"), "GET /api/users/me");
  assert.equal(r.resolve("GET", "/api/users/42?x=1"), "GET /api/users/{id}");
  assert.equal(r.resolve("POST", "/api/articles"), "POST /api/articles");
  assert.equal(r.resolve("GET", "/api/articles"), "GET /api/articles");
  assert.equal(r.resolve("GET", "/files/a/b/c.txt"), "GET /files/{rest:path}");
  // A method the inventory does not list still lands on the path's template.
  assert.equal(r.resolve("DELETE", "/api/articles/how-to-train-your-dragon"), "DELETE /api/articles/{slug}");
  // Not an int, and the inventory takes a parameter there: never the raw value.
  assert.equal(r.resolve("GET", "/api/users/grace"), "GET /api/users/{str}");
});

test("fuzz: 1,000 random user values in paths never reach a template; at most the inventory's templates", () => {
  const r = rng(12);
  const resolver = new EndpointResolver(INVENTORY);
  const seen = new Set<string>();
  const shapes = [
    (v: string) => ["GET", `/api/profiles/${v}`],
    (v: string) => ["POST", `/api/profiles/${v}/follow`],
    (v: string) => ["GET", `/api/articles/${v}`],
    (v: string) => ["GET", `/api/articles/${v}/comments/${Math.floor(r() * 100)}`],
    (v: string) => ["GET", `/files/${v}/${v}.txt`],
  ];
  const allowed = new Set(INVENTORY.map((t) => `${t.method} ${t.path}`));
  for (let i = 0; i < 1000; i++) {
    const v = userValue(r);
    const [method, path] = pick(r, shapes)(v) as [string, string];
    const key = resolver.resolve(method, path);
    assert.ok(allowed.has(key), `${method} ${path} → ${key}`);
    seen.add(key);
  }
  assert.ok(seen.size <= INVENTORY.length, [...seen].join("\n"));
});

test("fallback without an inventory: data becomes placeholders; unknown words are capped per position", () => {
  const r = rng(7);
  const resolver = new EndpointResolver([], ["api"]);
  const templates = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const v = userValue(r);
    const key = resolver.resolve("GET", `/api/profiles/${v}`);
    templates.add(key);
    if (!/^[a-z]+$/.test(v)) assert.ok(!key.includes(decodeURIComponent(v)), `${v} → ${key}`);
  }
  // {int} {email} {slug} {str} plus at most MAX_WORDS plain words kept before the cap.
  assert.ok(templates.size <= MAX_WORDS + 6, `${templates.size} templates`);
  assert.equal(resolver.resolve("GET", "/api/users/123"), "GET /api/users/{int}");
  assert.equal(resolver.resolve("GET", "/api/noisy"), "GET /api/noisy");
  assert.equal(resolver.resolve("GET", "/api/users/ada@example.test"), "GET /api/users/{email}");
  assert.equal(resolver.resolve("GET", "/api/articles/how-to-train-your-dragon"), "GET /api/articles/{slug}");
  assert.equal(resolver.resolve("GET", "/api/users/Grace"), "GET /api/users/{str}");
});

test("same path, GET and POST differing differently: two findings, each at 100 % of its method", () => {
  const resolver = new EndpointResolver([{ method: "*", path: "/api/articles" }]);
  const agg = new FindingsAggregator();
  for (let i = 0; i < 20; i++) {
    for (const method of ["GET", "POST"]) {
      const template = resolver.resolve(method, "/api/articles");
      const legacy = captured(200, flaskHeaders(), flaskJson({ id: i, title: "t" }));
      const candidate =
        method === "POST"
          ? captured(201, fastapiHeaders(), fastapiJson({ id: i, title: "t" }))
          : captured(200, fastapiHeaders(), fastapiJson({ id: i, headline: "t" }));
      const ds = diffResponses(legacy, candidate, { ignoreHeaders: [], ignorePaths: [], presets: ["flask->fastapi"] });
      agg.countMirrored("api", template);
      const ex = { id: `${method}${i}`, at: i, method, path: "/api/articles", routeName: "api", template };
      agg.add({ ...ex, requestHeaders: {}, legacy, candidate }, ds, "real");
    }
  }
  const found = agg.list().map((f) => [f.template, f.kind, f.count, f.rate.rate]);
  assert.deepEqual(found.sort(), [
    ["GET /api/articles", "field_renamed", 20, 1],
    ["POST /api/articles", "status_changed", 20, 1],
  ]);
});
