// Recording at the gateway: 200 mixed requests through a gateway that mirrors to the FastAPI
// candidate and records (record:), then the HAR validates, holds no raw secret, carries the
// _cutover fields (route, template, user-key hash, the candidate's answer), and replays.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { request } from "undici";
import { replayCommand } from "../src/cli/commands/replay.js";
import { validateHar, type Har } from "../src/recording/index.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { startGateway, type TestGateway } from "./helpers/gateway.js";

const SECRET_TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ";
let flask: Backend;
let fastapi: Backend;
let g: TestGateway;

before(async () => {
  [flask, fastapi] = await Promise.all([startFlask({ workerClass: "gthread", threads: 8 }), startFastAPI()]);
  const dir = mkdtempSync(join(tmpdir(), "cutover-record-"));
  g = await startGateway({
    legacy: flask.url,
    candidate: fastapi.url,
    dir,
    body: `
bucketing: { keys: [jwt.sub, header:x-user-id] }
routes:
  - name: api
    match: { path: /api/* }
    mirror: { percent: 100, timeout: 2s }
  - name: other
    match: { path: /* }
record: { path: ${JSON.stringify(join(dir, "traffic.har"))}, routes: [api], percent: 100 }
`,
  });
});
after(async () => {
  await g.stop();
  await Promise.all([flask.stop(), fastapi.stop()]);
});

test(
  "200 mixed requests recorded at the gateway: valid HAR, no raw secret, replayable",
  { timeout: 90_000 },
  async () => {
    const paths = ["/api/same/1", "/api/users/2", "/api/tags?api_key=querysecret", "/api/products/3", "/api/settings"];
    const statuses: number[] = [];
    for (let i = 0; i < 200; i++) {
      const path = i % 10 === 9 ? "/whoami" : (paths[i % paths.length] as string);
      const headers: Record<string, string> =
        i % 2
          ? { authorization: `Bearer ${SECRET_TOKEN}` }
          : { "x-user-id": `u${i % 7}`, cookie: "session=cookiesecret" };
      const r = await request(g.url + path, { headers });
      await r.body.dump();
      statuses.push(r.statusCode);
    }
    assert.ok(statuses.every((s) => s === 200));
    const file = g.gw.config.record?.path ?? "";
    await g.stop();
    const text = readFileSync(file, "utf8");
    const har = JSON.parse(text) as Har;
    assert.ok(validateHar(har).ok);
    // /whoami (route "other") is not recorded: 180 api requests.
    assert.equal(har.log.entries.length, 180);
    for (const secret of [SECRET_TOKEN, "c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ", "querysecret", "cookiesecret"])
      assert.ok(!text.includes(secret), `${secret} is in the recording`);
    const e = har.log.entries.find((x) => x.request.url.includes("/api/users/2"));
    const c = e?._cutover;
    assert.ok(c);
    assert.equal(c.route, "api");
    assert.equal(c.template, "/api/*");
    assert.equal(c.candidate?.status, 200);
    assert.equal(c.userKey?.length, 16);

    const r = await replayCommand({ file, legacy: flask.url, candidate: fastapi.url, presets: "flask->fastapi" });
    const data = r.data as { requests: number; findings: { kind: string; groupPath: string; noise: string }[] };
    assert.equal(data.requests, 180);
    assert.ok(data.findings.some((f) => f.kind === "field_renamed" && f.groupPath === "$.user_name"));
  },
);
