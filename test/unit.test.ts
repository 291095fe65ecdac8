// Pure pieces of the request path: hashing, keys, route templates, the WebSocket frame tracker.
import assert from "node:assert/strict";
import { test } from "node:test";
import { GOING_AWAY, FrameTracker, closeFrame, maskedCloseFrame } from "../src/proxy/ws-frames.js";
import { pathShape } from "../src/route/shape.js";
import { RouteTable } from "../src/route/table.js";
import { compileTemplate, covers, type PathTemplate } from "../src/route/template.js";
import { decide } from "../src/split/decide.js";
import { BUCKETS, bucketOf, murmur3 } from "../src/split/hash.js";
import { cookieValue, jwtSub } from "../src/split/keys.js";

const enc = new TextEncoder();
const t = (s: string): PathTemplate => compileTemplate(s) as PathTemplate;

test("murmur3 matches the reference vectors", () => {
  assert.equal(murmur3(enc.encode(""), 0), 0);
  assert.equal(murmur3(enc.encode(""), 1), 0x514e28b7);
  assert.equal(murmur3(enc.encode("hello"), 0), 0x248bfa47);
  assert.equal(murmur3(enc.encode("Hello, world!"), 1234), 0xfaf6cdb3);
  assert.equal(murmur3(enc.encode("The quick brown fox jumps over the lazy dog"), 0), 0x2e4ff723);
});

test("buckets are uniform (χ² over 100 cells for 100,000 keys)", () => {
  const cells = new Array<number>(100).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const b = bucketOf(`user-${i}`, "salt");
    assert.ok(b >= 0 && b < BUCKETS);
    cells[Math.floor(b / 100)]!++;
  }
  const chi = cells.reduce((s, c) => s + (c - 1000) ** 2 / 1000, 0);
  assert.ok(chi < 150, `χ² = ${chi.toFixed(1)} (99 dof; p=.001 at 148)`);
  assert.notEqual(bucketOf("user-1", "a"), bucketOf("user-1", "b"), "the salt reshuffles");
});

test("decide: weight line, unhealthy candidate, random draw without a key", () => {
  const base = { salt: "s", candidateHealthy: true, random: () => 0.5 };
  assert.equal(decide({ ...base, key: "k", weight: 100 }).target, "candidate");
  assert.equal(decide({ ...base, key: "k", weight: 0 }).target, "legacy");
  assert.deepEqual(decide({ ...base, key: "k", weight: 100, candidateHealthy: false }).reason, "candidate_unhealthy");
  assert.equal(decide({ ...base, key: undefined, weight: 50.01 }).bucket, 5000);
  assert.equal(decide({ ...base, key: undefined, weight: 50.01 }).target, "candidate");
  assert.equal(decide({ ...base, key: undefined, weight: 50 }).target, "legacy");
});

test("keys: JWT sub decoded without verification, cookies found without parsing all", () => {
  const jwt = (claims: object): string => `Bearer e30.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.x`;
  assert.equal(jwtSub(jwt({ sub: "alice" })), "alice");
  assert.equal(jwtSub(jwt({ sub: 42 })), "42");
  assert.equal(jwtSub(jwt({ name: "no sub" })), undefined);
  assert.equal(jwtSub("Bearer not-a-jwt"), undefined);
  assert.equal(jwtSub("Basic Zm9vOmJhcg=="), undefined);
  assert.equal(cookieValue("a=1; session=xyz; b=2", "session"), "xyz");
  assert.equal(cookieValue("session_old=1; session=", "session"), undefined);
  assert.equal(cookieValue(undefined, "session"), undefined);
});

test("route templates: params, wildcard, trailing slash, first match wins, rewrite", () => {
  const table = new RouteTable([
    { match: { path: "/health" }, candidate_weight: 0, rewrite: { candidate: "/healthz" } },
    { match: { path: "/users/:id", methods: ["GET"] }, candidate_weight: 0, rewrite: { candidate: "/v2/users/:id" } },
    { match: { path: "/agents/*" }, candidate_weight: 0, rewrite: { candidate: "/v2/agents/*" } },
    { match: { path: "/items/{item_id}" }, candidate_weight: 0 },
    { match: { path: "/*" }, candidate_weight: 0 },
  ]);
  const name = (m: string, p: string): string | undefined => table.match(m, p)?.route.config.match.path;
  assert.equal(name("GET", "/users/7"), "/users/:id");
  assert.equal(name("POST", "/users/7"), "/*");
  assert.equal(name("GET", "/users/"), "/*", "a param never matches an empty segment");
  assert.equal(name("GET", "/agents"), "/agents/*");
  assert.equal(name("GET", "/agents/a/b"), "/agents/*");
  assert.equal(name("GET", "/agentsX"), "/*");
  assert.equal(name("GET", "/items/9"), "/items/{item_id}");
  const rm = table.match("GET", "/users/7")!;
  assert.equal(RouteTable.rewritePath(rm, "candidate", "/users/7"), "/v2/users/7");
  assert.equal(RouteTable.rewritePath(rm, "legacy", "/users/7"), "/users/7");
  const ag = table.match("GET", "/agents/a/b")!;
  assert.equal(RouteTable.rewritePath(ag, "candidate", "/agents/a/b"), "/v2/agents/a/b");
  const h = table.match("GET", "/health")!;
  assert.equal(RouteTable.rewritePath(h, "candidate", "/health"), "/healthz");
});

test("covers decides unreachable routes", () => {
  assert.ok(covers(t("/*"), t("/a/b")));
  assert.ok(covers(t("/a/*"), t("/a/:x/c")));
  assert.ok(covers(t("/a/:x"), t("/a/b")));
  assert.ok(!covers(t("/a/:x"), t("/a/*")));
  assert.ok(!covers(t("/a/b"), t("/a/:x")));
  assert.ok(!covers(t("/a/:x"), t("/a/")));
  assert.ok(!covers(t("/a"), t("/a/")));
});

test("pathShape groups concrete paths by segment shape", () => {
  assert.equal(pathShape("/users/123/orders/9f1c2b1e-1c2d-4e5f-8a9b-0c1d2e3f4a5b?x=1"), "/users/{int}/orders/{uuid}");
  assert.equal(pathShape("/files/2024-01-02"), "/files/{date}");
  // A dot can hold data (`grace.hopper`, `ada@example.test`): never kept by the shape.
  assert.equal(pathShape("/static/app.js"), "/static/{str}");
  assert.equal(pathShape("/u/ada@example.test/how-to-train-your-dragon"), "/u/{email}/{slug}");
});

test("FrameTracker finds frame boundaries across chunk splits", () => {
  // Two frames: a masked 5-byte text frame and a 300-byte binary frame (16-bit length).
  const f1 = Buffer.from([0x81, 0x85, 1, 2, 3, 4, 0x69, 0x67, 0x6f, 0x68, 0x6e]);
  const f2 = Buffer.concat([Buffer.from([0x82, 0x7e, 0x01, 0x2c]), Buffer.alloc(300, 1)]);
  const all = Buffer.concat([f1, f2]);
  for (let split = 1; split < all.length; split += 7) {
    const tr = new FrameTracker();
    tr.feed(all.subarray(0, split));
    tr.feed(all.subarray(split));
    assert.ok(tr.atBoundary, `split at ${split}`);
  }
  const tr = new FrameTracker();
  tr.feed(all.subarray(0, 20));
  assert.ok(!tr.atBoundary);
  assert.equal(tr.feed(all.subarray(20), true), all.length - 20, "stops exactly at the end of frame 2");
  assert.deepEqual([...closeFrame(GOING_AWAY)], [0x88, 2, 0x03, 0xe9]);
  const m = maskedCloseFrame(GOING_AWAY);
  assert.equal(m[1], 0x82);
  assert.equal(((m[6]! ^ m[2]!) << 8) | (m[7]! ^ m[3]!), 1001);
});

test("ComparisonQueue drains in time-boxed slices, lets I/O in between, and drops beyond its bound", async () => {
  const { ComparisonQueue } = await import("../src/mirror/queue.js");
  const dropped: string[] = [];
  const q = new ComparisonQueue(50, (label) => dropped.push(label), 2);
  const ran: number[] = [];
  const busy = (ms: number): void => {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      /* simulated comparison work */
    }
  };
  for (let i = 0; i < 60; i++) q.push(() => (busy(1), ran.push(i)), "api");
  assert.deepEqual(dropped, Array(10).fill("api"), "the bound holds");
  // A timer due now must get its turn long before 50 ms of queued work has finished.
  const timerAt = await new Promise<number>((resolve) => setTimeout(() => resolve(ran.length), 0));
  assert.ok(timerAt < 20, `a timer waited for ${timerAt} comparisons`);
  // The rest drains in later slices; on a loaded machine that can take well over 50 ms.
  for (let i = 0; i < 250 && ran.length < 50; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(ran.length, 50);
  assert.deepEqual(
    ran,
    [...ran].sort((a, b) => a - b),
    "in order",
  );
});
