// Recording with request bodies, mirrored or not: 200 mixed requests (GETs mirrored to FastAPI,
// POSTs and PUTs with JSON bodies served by Flask only) through the gateway; the HAR validates,
// holds the request bodies (redacted), holds no raw secret, and `cutover replay` of it finds the
// planted write-path differences (POST /api/items: 400 → 422 and 400 → 201).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { request } from "undici";
import { replayCommand } from "../src/cli/commands/replay.js";
import { validateHar, type Har } from "../src/recording/index.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { startGateway, type TestGateway } from "./helpers/gateway.js";
import { deadPort } from "./helpers/net.js";
import { mixConfig, SECRETS, sendMix } from "./helpers/record-mix.js";

let flask: Backend;
let fastapi: Backend;
let g: TestGateway;
const dir = mkdtempSync(join(tmpdir(), "cutover-record-bodies-"));
const file = join(dir, "traffic.har");

before(async () => {
  [flask, fastapi] = await Promise.all([startFlask({ workerClass: "gthread", threads: 8 }), startFastAPI()]);
  g = await startGateway({
    legacy: flask.url,
    candidate: fastapi.url,
    dir,
    body: mixConfig(file),
  });
});
after(async () => {
  await g.stop();
  await Promise.all([flask.stop(), fastapi.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

test(
  "200 mixed requests with JSON bodies: recorded with bodies, redacted, replayable",
  { timeout: 90_000 },
  async () => {
    const sent = await sendMix(g.url);
    assert.deepEqual([...new Set(sent.filter((s) => s.path === "/api/items").map((s) => s.status))].sort(), [201, 400]);
    const state = (await g.admin<{ state: { kind: string }[] }>("GET", "/api/status")).body.state;
    assert.ok(state.some((s) => s.kind === "recording_inflight"));
    const stats = await g.gw.recording?.close();
    assert.equal(stats?.dropped, 0);
    const text = readFileSync(file, "utf8");
    const har = JSON.parse(text) as Har;
    assert.ok(validateHar(har).ok);
    // Everything but /whoami (route "other"): 180 entries, mirrored or not.
    assert.equal(har.log.entries.length, 180);
    for (const secret of Object.values(SECRETS)) assert.ok(!text.includes(secret), `${secret} is in the recording`);

    const posts = har.log.entries.filter((e) => e.request.method === "POST");
    assert.equal(posts.length, 60);
    for (const e of posts) {
      assert.ok(e.request.postData, "a recorded write holds its body");
      assert.equal(e._cutover?.candidate, undefined, "unmirrored: the served answer only");
      assert.equal(e._cutover?.target, "legacy");
    }
    const body = (e: (typeof posts)[number]): string => e.request.postData?.text ?? "";
    const bad = posts.find((e) => e.response.status === 400 && body(e).includes('"qty":"lots"'));
    assert.ok(bad, "the bad body is recorded");
    assert.ok(
      bad._cutover?.redacted?.some((m) => m.includes("request") && m.includes("password")),
      JSON.stringify(bad._cutover?.redacted),
    );
    const good = posts.find((e) => e.response.status === 201);
    assert.match(good ? body(good) : "", /^\{"name":"n\d+","qty":\d+\}$/);
    const puts = har.log.entries.filter((e) => e.request.method === "PUT");
    assert.equal(puts.length, 20);
    assert.ok(puts.every((e) => body(e).includes('"note":"put ')));
    // Mirrored GETs keep the candidate's answer beside legacy's.
    assert.ok(har.log.entries.some((e) => e.request.method === "GET" && e._cutover?.candidate?.status === 200));

    const r = await replayCommand({ file, legacy: flask.url, candidate: fastapi.url, presets: "flask->fastapi" });
    const data = r.data as {
      requests: number;
      findings: { kind: string; template: string; noise: string }[];
      outcomes: { method: string; target: string; legacy: number; candidate: number }[];
    };
    assert.equal(data.requests, 180);
    assert.ok(
      data.findings.some((f) => f.kind === "status_changed" && f.template === "/api/*" && f.noise === "real"),
      JSON.stringify(data.findings.map((f) => [f.template, f.kind, f.noise])),
    );
    const items = new Set(data.outcomes.filter((o) => o.method === "POST").map((o) => `${o.legacy}>${o.candidate}`));
    assert.deepEqual([...items].sort(), ["201>201", "400>201", "400>422"]);
  },
);

test("a recorded write the split sends to a dead candidate still fails over to legacy, body and all", async () => {
  const dead = await deadPort();
  const dir2 = mkdtempSync(join(tmpdir(), "cutover-record-failover-"));
  const har = join(dir2, "failover.har");
  const gw = await startGateway({
    legacy: flask.url,
    candidate: dead.url,
    dir: dir2,
    body: `
routes:
  - name: api
    match: { path: /api/* }
    candidate_weight: 100
record: { path: ${JSON.stringify(har)}, routes: [api] }
`,
  });
  try {
    const r = await request(`${gw.url}/api/items`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-user-id": "u1" },
      body: JSON.stringify({ name: "x", qty: 2 }),
    });
    assert.equal(r.statusCode, 201);
    await r.body.dump();
    await gw.gw.recording?.close();
    const e = (JSON.parse(readFileSync(har, "utf8")) as Har).log.entries[0];
    assert.ok(e);
    assert.equal(e._cutover?.target, "legacy");
    assert.equal(e.request.postData?.text, '{"name":"x","qty":2}');
    assert.equal(e.response.status, 201);
  } finally {
    await gw.stop();
    rmSync(dir2, { recursive: true, force: true });
  }
});
