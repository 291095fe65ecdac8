// Replay with state: a twin pair of SQLite apps (legacy reuses deleted ids, the candidate's ids
// start at 1000 and never repeat) replayed twice with --reset hooks that copy the seed databases
// (identical results, ids mapped, the planted 201 → 200 found); and recorded JWTs that have expired
// (401 on both and listed as unauthenticated without a secret, 200 on both when re-signed).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { SignJWT } from "jose";
import { replayCommand, type ReplayArgs } from "../src/cli/commands/replay.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { TestRecorder } from "./helpers/record.js";

interface Summary {
  findings: { template: string; kind: string; groupPath: string; noise: string }[];
  outcomes: { method: string; target: string; legacy: number; candidate: number; unauthenticated?: string }[];
  unauthenticated: { reason: string; status: number }[];
  mappings: number;
  deterministic: boolean;
  runs: { signature: string }[];
}

const dir = mkdtempSync(join(tmpdir(), "cutover-replay-state-"));

async function run(
  args: Partial<ReplayArgs> & { file: string },
): Promise<{ data: Summary; exitCode: number; text: string }> {
  const r = await replayCommand({ presets: "flask->fastapi", ...args });
  return { data: r.data as Summary, exitCode: r.exitCode ?? 0, text: r.text };
}
const real = (s: Summary) => s.findings.filter((f) => f.noise === "real");

describe("twin databases", () => {
  const seedL = join(dir, "seed-legacy.db");
  const seedC = join(dir, "seed-candidate.db");
  const dbL = join(dir, "legacy.db");
  const dbC = join(dir, "candidate.db");
  let legacy: Backend;
  let candidate: Backend;

  before(async () => {
    execFileSync("/usr/bin/python3", ["test/fixtures/twin/seed.py", seedL, seedC]);
    copyFileSync(seedL, dbL);
    copyFileSync(seedC, dbC);
    [legacy, candidate] = await Promise.all([
      startFlask({ module: "twin.twin_flask:app", env: { TWIN_DB: dbL } }),
      startFastAPI({ module: "twin.twin_fastapi:app", env: { TWIN_DB: dbC } }),
    ]);
  });
  after(async () => {
    await Promise.all([legacy.stop(), candidate.stop()]);
  });

  test("replayed twice with --reset: identical results, ids mapped, the write-path difference found", async () => {
    const rec = TestRecorder.in(dir, legacy.url, "notes.har");
    const a = await rec.send("POST", "/notes", { json: { text: "a" } });
    const id = String((a.json["note"] as { id: number }).id);
    await rec.send("GET", `/notes/${id}`);
    await rec.send("DELETE", `/notes/${id}`);
    const b = await rec.send("POST", "/notes", { json: { text: "b" } });
    // SQLite without AUTOINCREMENT reuses the deleted last id: the legacy.
    assert.equal(String((b.json["note"] as { id: number }).id), id);
    await rec.send("GET", `/notes/${id}`);
    await rec.send("POST", "/notes", { json: { text: "c" } });
    await rec.send("GET", "/notes");
    await rec.send("DELETE", `/notes/${id}`);
    await rec.send("GET", "/notes/4");
    await rec.send("POST", "/notes", { json: {} });
    const file = await rec.close();

    const { data, exitCode, text } = await run({
      file,
      legacy: legacy.url,
      candidate: candidate.url,
      resetLegacy: `cp '${seedL}' '${dbL}'`,
      resetCandidate: `cp '${seedC}' '${dbC}'`,
      runs: "2",
      failOn: "status",
      concurrency: "1",
    });
    assert.equal(data.runs.length, 2);
    assert.ok(data.deterministic, text);
    assert.deepEqual(
      real(data).map((f) => `${f.template} ${f.kind} ${f.groupPath}`),
      ["/notes status_changed status"],
      text,
    );
    assert.ok(!data.outcomes.some((o) => o.candidate === 404), JSON.stringify(data.outcomes));
    assert.deepEqual(
      data.outcomes.filter((o) => o.method === "POST").map((o) => `${o.legacy}>${o.candidate}`),
      ["201>200", "201>200", "201>200", "400>400"],
    );
    assert.ok(data.mappings >= 2);
    assert.equal(exitCode, 1);
  });

  test("a failing reset hook stops the replay with its code", async () => {
    await assert.rejects(
      run({
        file: join(dir, "notes.har"),
        legacy: legacy.url,
        candidate: candidate.url,
        reset: "echo nope >&2; exit 3",
      }),
      (err: Error & { code?: string }) => err.code === "CUTOVER_ERR_REPLAY_RESET" && /nope/.test(err.message),
    );
  });
});

describe("JWTs on replay", () => {
  const secret = "replay-test-secret-0123456789";
  let flask: Backend;
  let fastapi: Backend;
  let expired: string;

  before(async () => {
    [flask, fastapi] = await Promise.all([
      startFlask({ env: { JWT_SECRET: secret } }),
      startFastAPI({ env: { JWT_SECRET: secret } }),
    ]);
    const now = Math.floor(Date.now() / 1000);
    expired = await new SignJWT({ sub: "42" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt(now - 7200)
      .setExpirationTime(now - 3600)
      .sign(new TextEncoder().encode(secret));
  });
  after(async () => {
    await Promise.all([flask.stop(), fastapi.stop()]);
  });

  test("a browser HAR with an expired token: 401 on both and listed; re-signed: 200 on both", async () => {
    const entry = (url: string) => ({
      startedDateTime: new Date().toISOString(),
      time: 1,
      request: {
        method: "GET",
        url: `https://app.example${url}`,
        httpVersion: "HTTP/2",
        cookies: [],
        headers: [
          { name: ":authority", value: "app.example" },
          { name: "authorization", value: `Bearer ${expired}` },
        ],
        queryString: [],
        headersSize: -1,
        bodySize: 0,
      },
      response: {
        status: 200,
        statusText: "",
        httpVersion: "HTTP/2",
        cookies: [],
        headers: [],
        content: { size: 0, mimeType: "application/json" },
        redirectURL: "",
        headersSize: -1,
        bodySize: 0,
      },
      cache: {},
      timings: { send: 0, wait: 1, receive: 0 },
    });
    const file = join(dir, "devtools.har");
    const entries = [entry("/api/secure"), entry("/api/secure?x=1"), entry("/api/same/7")];
    writeFileSync(
      file,
      JSON.stringify({ log: { version: "1.2", creator: { name: "devtools", version: "1" }, entries } }),
    );

    const plain = await run({ file, legacy: flask.url, candidate: fastapi.url });
    assert.deepEqual(
      plain.data.unauthenticated.map((u) => `${u.reason} ${u.status}`),
      ["expired 401", "expired 401"],
    );
    assert.deepEqual(real(plain.data), []);
    assert.match(plain.text, /2 request\(s\) could not be authenticated \(recorded JWT expired/);
    assert.equal(plain.exitCode, 0);

    const signed = await run({ file, legacy: flask.url, candidate: fastapi.url, resignSecret: secret });
    assert.deepEqual(signed.data.unauthenticated, []);
    assert.deepEqual(
      signed.data.outcomes.map((o) => `${o.target} ${o.legacy} ${o.candidate}`),
      ["/api/secure 200 200", "/api/secure?x=1 200 200", "/api/same/7 200 200"],
    );
    assert.deepEqual(real(signed.data), []);
  });

  test("cutover's own recording keeps only the unsigned claims: listed as redacted, re-signed to 200", async () => {
    const rec = TestRecorder.in(dir, flask.url, "jwt.har");
    const now = Math.floor(Date.now() / 1000);
    const valid = await new SignJWT({ sub: "7" })
      .setProtectedHeader({ alg: "HS256" })
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(secret));
    assert.equal((await rec.send("GET", "/api/secure", { headers: { authorization: `Bearer ${valid}` } })).status, 200);
    const file = await rec.close();
    const plain = await run({ file, legacy: flask.url, candidate: fastapi.url });
    assert.deepEqual(
      plain.data.unauthenticated.map((u) => u.reason),
      ["redacted"],
    );
    const signed = await run({ file, legacy: flask.url, candidate: fastapi.url, resignSecret: secret });
    assert.deepEqual(
      signed.data.outcomes.map((o) => `${o.legacy} ${o.candidate}`),
      ["200 200"],
    );
  });
});
