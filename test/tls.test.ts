// TLS on the data listener with a self-signed certificate made here by openssl: HTTPS, SSE and
// wss through the gateway to the real Flask/FastAPI fixtures, and certificate reloads (file change,
// SIGHUP, a broken pair refused) that never drop an open connection.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { Agent, request } from "undici";
import WebSocket from "ws";
import { parseConfig } from "../src/config/load.js";
import { DataPlane } from "../src/dataplane/plane.js";
import { Gateway } from "../src/gateway/gateway.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { startGateway, TOKEN, waitUntil, type TestGateway } from "./helpers/gateway.js";
import { deadPort } from "./helpers/net.js";
import { nextMessage } from "./helpers/ws.js";

const run = promisify(execFile);

/** makeCert writes a fresh self-signed certificate for 127.0.0.1 (EC P-256) to `<base>.crt/.key`. */
async function makeCert(base: string, cn: string): Promise<{ cert: string; key: string }> {
  const out = { cert: `${base}.crt`, key: `${base}.key` };
  await run("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", out.key, "-out", out.cert, "-days", "1", "-subj", `/CN=${cn}`,
    "-addext", "subjectAltName=IP:127.0.0.1",
  ]); // prettier-ignore
  return out;
}

/** fingerprint is the certificate a new TLS handshake gets from the gateway. */
function fingerprint(url: string): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect({ host: u.hostname, port: Number(u.port), rejectUnauthorized: false }, () => {
      resolve(s.getPeerCertificate().fingerprint256);
      s.end();
    });
    s.once("error", reject);
  });
}

describe("TLS on the data listener", () => {
  let flask: Backend;
  let fastapi: Backend;
  let g: TestGateway;
  let dir: string;
  let files: { cert: string; key: string };
  let agent: Agent;
  const ca = (): Buffer => readFileSync(files.cert);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cutover-tls-"));
    files = await makeCert(join(dir, "live"), "first");
    [flask, fastapi] = await Promise.all([startFlask({ workerClass: "gthread", threads: 8 }), startFastAPI()]);
    g = await startGateway({
      legacy: flask.url,
      candidate: fastapi.url,
      body: `tls: { cert: ${files.cert}, key: ${files.key} }
bucketing: { keys: [header:x-user-id] }
routes:
  - name: ws
    match: { path: /ws/* }
    candidate_weight: 100
  - match: { path: /* }
`,
    });
    agent = new Agent({ connect: { ca: ca() } });
  });
  after(async () => {
    await agent.close();
    await g.stop();
    await Promise.all([flask.stop(), fastapi.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("HTTPS: the URL says https, the certificate verifies, the upstream is told the client used https", async () => {
    assert.match(g.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const r = await request(`${g.url}/whoami`, { dispatcher: agent });
    assert.equal(r.statusCode, 200);
    const who = (await r.body.json()) as { backend: string; forwarded_proto: string };
    assert.equal(who.backend, "flask-legacy");
    assert.equal(who.forwarded_proto, "https");
    // Plain HTTP to the TLS port is not served.
    await assert.rejects(request(g.url.replace("https", "http") + "/whoami", { headersTimeout: 2000 }));
    const health = await request(`${g.url}/_cutover/health`, { dispatcher: agent });
    assert.equal(health.statusCode, 200);
    await health.body.dump();
  });

  test("SSE over HTTPS: every event, each as it happens", async () => {
    const t0 = performance.now();
    const r = await request(`${g.url}/sse?n=4&interval=0.2`, { dispatcher: agent });
    assert.equal(r.headers["content-type"], "text/event-stream; charset=utf-8");
    const at: number[] = [];
    let text = "";
    for await (const chunk of r.body) {
      text += (chunk as Buffer).toString();
      while (at.length < (text.match(/\n\n/g) ?? []).length) at.push(performance.now() - t0);
    }
    assert.equal(at.length, 4, text);
    for (let i = 1; i < at.length; i++)
      assert.ok((at[i] ?? 0) - (at[i - 1] ?? 0) > 120, `events ${JSON.stringify(at)}`);
  });

  test("wss through to FastAPI; certificate reloads (file change, SIGHUP) keep it open; a broken pair is refused", async () => {
    const ws = new WebSocket(`${g.url.replace("https", "wss")}/ws/echo`, { headers: { "x-user-id": "t1" }, ca: ca() });
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const echo = async (m: string): Promise<void> => {
      const next = nextMessage(ws);
      ws.send(m);
      assert.equal((await next).data.toString(), m);
    };
    await echo("before");
    const plane = g.gw.plane;
    assert.ok(plane instanceof DataPlane);
    const certs = plane.certs;
    assert.ok(certs);
    const first = await fingerprint(g.url);

    // A new pair, moved into place the way a secret update does: the next handshake gets it.
    const next = await makeCert(join(dir, "next"), "second");
    renameSync(next.key, files.key);
    renameSync(next.cert, files.cert);
    assert.ok(await waitUntil(async () => (await fingerprint(g.url)) !== first, 5000), "new certificate served");
    const second = await fingerprint(g.url);
    await echo("after a file change");

    // SIGHUP alone reloads (the files did not change).
    const reloads = certs.reloads;
    process.kill(process.pid, "SIGHUP");
    assert.ok(await waitUntil(() => certs.reloads > reloads, 2000), "SIGHUP reloaded");
    await echo("after SIGHUP");

    // A half-written or mismatched pair is refused and the current certificate stays.
    const failures = certs.failures;
    writeFileSync(files.cert, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
    process.kill(process.pid, "SIGHUP");
    assert.ok(await waitUntil(() => certs.failures > failures, 3000), "broken pair refused");
    assert.equal(await fingerprint(g.url), second);
    await echo("after a refused reload");
    const code = new Promise<number>((resolve) => ws.once("close", resolve));
    ws.close(1000);
    assert.equal(await code, 1000);
  });
});

test("admin.tls serves the admin API over HTTPS", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cutover-tls-admin-"));
  const files = await makeCert(join(dir, "admin"), "admin");
  const [legacy, candidate] = [await deadPort(), await deadPort()];
  const res = parseConfig(`listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0, token: ${TOKEN}, tls: { cert: ${files.cert}, key: ${files.key} } }
store: ${join(dir, "admin.db")}
log: { level: silent }
upstreams: { legacy: { url: ${legacy.url} }, candidate: { url: ${candidate.url} } }
routes: [{ match: { path: /* } }]
`);
  assert.ok(res.config, JSON.stringify(res.problems));
  const gw = await Gateway.open(res.config);
  const agent = new Agent({ connect: { ca: readFileSync(files.cert) } });
  try {
    const { adminUrl, url } = await gw.start();
    assert.match(adminUrl, /^https:/);
    assert.match(url, /^http:/, "the data listener stays plain without tls:");
    const r = await request(`${adminUrl}/api/status`, {
      dispatcher: agent,
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(r.statusCode, 200);
    assert.equal(((await r.body.json()) as { store: { kind: string } }).store.kind, "sqlite");
  } finally {
    await agent.close();
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
