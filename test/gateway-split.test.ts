// Split, stickiness, monotonicity, aliases and the override header, through the gateway to real
// Flask (gunicorn) and FastAPI (uvicorn) apps.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { bucketOf, weightLine } from "../src/split/hash.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { get, pool, rawRequest, startGateway, type TestGateway } from "./helpers/gateway.js";

interface WhoAmI {
  backend: string;
  path: string;
  user: string | null;
  forwarded_for: string | null;
  forwarded_proto: string | null;
  forwarded_host: string | null;
  hop_headers_seen: string[];
}

describe("split through the gateway", () => {
  let flask: Backend;
  let fastapi: Backend;
  let g: TestGateway;

  before(async () => {
    [flask, fastapi] = await Promise.all([startFlask({ workerClass: "gthread", threads: 8 }), startFastAPI()]);
    g = await startGateway({
      legacy: flask.url,
      candidate: fastapi.url,
      body: `
bucketing: { keys: [jwt.sub, header:x-user-id, ip], salt: s1 }
override: { enabled: true, secret: tester-secret }
routes:
  - name: health
    match: { path: /health }
    rewrite: { candidate: /healthz }
  - name: users
    match: { path: /whoami, methods: [GET, HEAD, OPTIONS] }
    candidate_weight: 25
  - name: rest
    match: { path: /* }
`,
    });
  });
  after(async () => {
    await g.stop();
    await Promise.all([flask.stop(), fastapi.stop()]);
  });

  const side = async (user: string): Promise<string> => {
    const r = await get(`${g.url}/whoami`, { "x-user-id": user });
    assert.equal(r.status, 200, r.text);
    return (JSON.parse(r.text) as WhoAmI).backend;
  };

  test("25 % of 10,000 distinct users reach the candidate, within binomial tolerance", async () => {
    const users = Array.from({ length: 10_000 }, (_, i) => `u${i}`);
    const sides = await pool(users, 32, side);
    const onCandidate = sides.filter((s) => s === "fastapi-candidate").length;
    // sd = sqrt(.25 × .75 / 10,000) = 0.43 points; 4 sd ≈ 1.7 points.
    assert.ok(Math.abs(onCandidate / 10_000 - 0.25) < 0.017, `candidate share ${onCandidate / 100}%`);
    // And exactly the users whose bucket is under the line: the split is deterministic.
    const expected = users.filter((u) => bucketOf("header:" + u, "s1") < weightLine(25)).length;
    assert.equal(onCandidate, expected);
  });

  test("sticky and monotone across weight changes", async () => {
    const users = Array.from({ length: 1500 }, (_, i) => `sticky-${i}`);
    const set = async (w: number): Promise<void> => {
      const r = await g.admin("PUT", "/api/routes/users/weight", { weight: w });
      assert.equal(r.status, 200);
    };
    const candidates = async (): Promise<Set<string>> => {
      const sides = await pool(users, 32, side);
      return new Set(users.filter((_, i) => sides[i] === "fastapi-candidate"));
    };
    await set(5);
    const at5 = await candidates();
    const again = await candidates();
    assert.deepEqual([...again].sort(), [...at5].sort(), "same users on the same side on every request");
    await set(25);
    const at25 = await candidates();
    for (const u of at5) assert.ok(at25.has(u), `${u} was on the candidate at 5 % but not at 25 %`);
    assert.ok(at25.size > at5.size * 2);
    await set(10);
    const at10 = await candidates();
    for (const u of at10) assert.ok(at25.has(u), "lowering the weight never adds users");
    for (const u of at5) assert.ok(at10.has(u), "users under the lower line stay");
    const moved = [...at25].filter((u) => !at10.has(u));
    for (const u of moved)
      assert.ok(bucketOf("header:" + u, "s1") >= weightLine(10), "only users above the new line moved back");
    await set(25);
  });

  test("JWT sub is the key when present (decoded, not verified)", async () => {
    const jwt = (sub: string): string =>
      `Bearer ${Buffer.from('{"alg":"none"}').toString("base64url")}.${Buffer.from(JSON.stringify({ sub })).toString("base64url")}.sig`;
    const subs = Array.from({ length: 400 }, (_, i) => `jwt-user-${i}`);
    const sides = await pool(subs, 16, async (s) => {
      const r = await get(`${g.url}/whoami`, { authorization: jwt(s), "x-user-id": "someone-else" });
      return (JSON.parse(r.text) as WhoAmI).backend;
    });
    subs.forEach((s, i) => {
      const expect = bucketOf("sub:" + s, "s1") < weightLine(25) ? "fastapi-candidate" : "flask-legacy";
      assert.equal(sides[i], expect, s);
    });
  });

  test("alias: /health reaches legacy /health and candidate /healthz", async () => {
    const legacy = await get(`${g.url}/health`, { "x-cutover-target": "legacy", "x-cutover-secret": "tester-secret" });
    assert.equal(legacy.status, 200);
    assert.equal(legacy.text, "ok");
    const cand = await get(`${g.url}/health`, { "x-cutover-target": "candidate", "x-cutover-secret": "tester-secret" });
    assert.equal(cand.status, 200);
    assert.deepEqual(JSON.parse(cand.text), { status: "ok" });
  });

  test("override header needs the secret and a valid target", async () => {
    const noSecret = await get(`${g.url}/whoami`, { "x-cutover-target": "candidate" });
    assert.equal(noSecret.status, 403);
    assert.equal(
      (JSON.parse(noSecret.text) as { error: { code: string } }).error.code,
      "CUTOVER_ERR_OVERRIDE_FORBIDDEN",
    );
    const bad = await get(`${g.url}/whoami`, { "x-cutover-target": "elsewhere", "x-cutover-secret": "tester-secret" });
    assert.equal(bad.status, 400);
    const ok = await get(`${g.url}/whoami`, {
      "x-cutover-target": "candidate",
      "x-cutover-secret": "tester-secret",
      "x-user-id": "u1",
    });
    assert.equal((JSON.parse(ok.text) as WhoAmI).backend, "fastapi-candidate");
  });

  test("X-Forwarded-* set, hop-by-hop headers stripped, query kept", async () => {
    const r = await rawRequest(`${g.url}/whoami?a=1&b=%20x`, {
      "x-cutover-target": "legacy",
      "x-cutover-secret": "tester-secret",
      connection: "keep-alive, x-hop-test",
      "x-hop-test": "secret",
      "keep-alive": "timeout=5",
      "proxy-connection": "keep-alive",
      "x-forwarded-for": "203.0.113.9",
      host: "shop.example.test",
    });
    const w = JSON.parse(r.text) as WhoAmI & { query: string };
    assert.equal(w.backend, "flask-legacy");
    assert.equal(w.query, "a=1&b=%20x");
    assert.equal(w.forwarded_for, "203.0.113.9, 127.0.0.1");
    assert.equal(w.forwarded_proto, "http");
    assert.equal(w.forwarded_host, "shop.example.test");
    assert.deepEqual(w.hop_headers_seen, []);
    // The override headers themselves never reach the upstream either.
  });

  test("HEAD and OPTIONS pass through with each framework's own answer", async () => {
    const hl = await get(
      `${g.url}/whoami`,
      { "x-cutover-target": "legacy", "x-cutover-secret": "tester-secret" },
      "HEAD",
    );
    assert.equal(hl.status, 200);
    assert.equal(hl.text, "");
    assert.ok(Number(hl.headers["content-length"]) > 0);
    const hc = await get(
      `${g.url}/whoami`,
      { "x-cutover-target": "candidate", "x-cutover-secret": "tester-secret" },
      "HEAD",
    );
    assert.equal(hc.status, 405, "FastAPI does not answer HEAD on GET routes; the gateway must not hide that");
    const ol = await get(
      `${g.url}/whoami`,
      { "x-cutover-target": "legacy", "x-cutover-secret": "tester-secret" },
      "OPTIONS",
    );
    assert.equal(ol.status, 200);
    assert.match(String(ol.headers.allow), /GET/);
  });
});
