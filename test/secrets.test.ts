// Secrets at rest: real traffic with planted credentials (query parameters, secret-named headers,
// card numbers in the path, the query, a header and echoed bodies) is mirrored from a real Flask
// legacy to a real FastAPI candidate; then the SQLite store file, its WAL, the JSON and HTML
// reports, the findings API and the gateway's log are scanned byte for byte for any raw secret.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pino } from "pino";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { get, pool, startGateway, waitUntil, type TestGateway } from "./helpers/gateway.js";

const ROUTES = `
routes:
  - name: all
    match: { path: /* }
    mirror: { percent: 100, timeout: 5s }
`;

// Each secret is distinctive, so a hit anywhere is a leak, never a coincidence.
const SECRETS = {
  apiKey: "ApiKeyPlanted7Q2x9",
  accessToken: "AccessTokPlanted8W3v1",
  sessionHeader: "SessHdrPlanted4K8m2",
  apiTokenHeader: "ApiTokHdrPlanted6J1p0",
  passwordHeader: "PwdHdrPlanted3R5t7",
  bearer: "BearerPlanted9Z4c6a1b",
  cookie: "CookiePlanted2N7y5",
};
// Luhn-valid test card numbers, each used in one place (path, query, header).
const PAN_PATH = "4111111111111111";
const PAN_QUERY = "5500000000000004";
const PAN_HEADER = "4012888888881881";
const PANS = [PAN_PATH, PAN_QUERY, PAN_HEADER, "5500 0000 0000 0004", "4012 8888 8888 1881"];

function leaks(text: string): string[] {
  return [...Object.values(SECRETS), ...PANS].filter((s) => text.includes(s));
}

describe("no raw secret at rest", () => {
  let flask: Backend;
  let fastapi: Backend;
  let g: TestGateway;
  const dir = mkdtempSync(join(tmpdir(), "cutover-secrets-"));
  const logFile = join(dir, "gateway.log");

  before(async () => {
    [flask, fastapi] = await Promise.all([startFlask({ workerClass: "gthread", threads: 4 }), startFastAPI()]);
    const log = pino({ level: "trace" }, pino.destination({ dest: logFile, sync: true }));
    g = await startGateway({ legacy: flask.url, candidate: fastapi.url, body: ROUTES, dir }, { log });
  });
  after(async () => {
    await g.stop();
    await Promise.all([flask.stop(), fastapi.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test(
    "query, header and card-number secrets are masked in the store, its WAL, reports and logs",
    { timeout: 60_000 },
    async () => {
      const headers = {
        "x-session-token": SECRETS.sessionHeader,
        "x-api-token": SECRETS.apiTokenHeader,
        "x-password": SECRETS.passwordHeader,
        authorization: `Bearer ${SECRETS.bearer}`,
        cookie: `sid=${SECRETS.cookie}`,
        "x-card": PAN_HEADER.replace(/(\d{4})(?=\d)/g, "$1 "),
      };
      const query = `?api_key=${SECRETS.apiKey}&access_token=${SECRETS.accessToken}&card=${PAN_QUERY}&page=2`;
      const paths = [`/whoami/${PAN_PATH}${query}`, `/echo/${PAN_PATH}${query}`, `/whoami${query}`];
      const n = 12;
      const results = await pool(
        Array.from({ length: n }, (_, i) => paths[i % paths.length] as string),
        4,
        (p) => get(g.url + p, headers),
      );
      assert.ok(results.every((r) => r.status === 200));
      assert.ok(await waitUntil(() => g.gw.parity.compared >= n, 20_000), `compared ${g.gw.parity.compared} of ${n}`);
      g.gw.parity.persist(true);

      // Not vacuous: findings with examples exist, and they show the masks where the secrets were.
      const f = await g.admin<{
        findings: { examples: { path: string; requestHeaders: Record<string, unknown> }[] }[];
      }>("GET", "/api/findings?examples=1&noise=1&accepted=1&ignored=1");
      const examples = f.body.findings.flatMap((x) => x.examples);
      assert.ok(examples.length > 0, "mirrored traffic left no example");
      const ex = examples[0];
      assert.ok(ex);
      assert.equal(ex.requestHeaders["x-session-token"], "[redacted]");
      assert.match(ex.path, /api_key=%5Bredacted%5D/);
      assert.match(ex.path, /\[card …0004\]/);

      const report = await g.admin<string>("GET", "/api/report.json");
      const html = await g.admin<string>("GET", "/api/report.html");
      const scanned: Record<string, string> = {
        findingsApi: JSON.stringify(f.body),
        reportJson: JSON.stringify(report.body),
        reportHtml: html.body,
      };
      const db = join(dir, "state.db");
      scanned.store = readFileSync(db).toString("latin1");
      if (existsSync(`${db}-wal`)) scanned.wal = readFileSync(`${db}-wal`).toString("latin1");
      await g.stop();
      scanned.storeAfterStop = readFileSync(db).toString("latin1");
      scanned.log = readFileSync(logFile, "utf8");
      assert.ok(scanned.store.length > 0 && (scanned.reportHtml ?? "").length > 0);
      for (const [where, text] of Object.entries(scanned)) assert.deepEqual(leaks(text), [], `raw secret in ${where}`);
    },
  );
});
