// Shadow traffic end to end: legacy Flask serves, the request is mirrored to FastAPI (and a second
// Flask), every planted difference becomes a finding of the right kind, noise is not reported, and
// a broken candidate never touches the client.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { get, pool, startGateway, TOKEN, waitUntil, type TestGateway } from "./helpers/gateway.js";
import { startHangingServer, startResettingServer } from "./helpers/net.js";

interface FindingJson {
  id: string;
  routeName: string;
  template: string;
  kind: string;
  groupPath: string;
  count: number;
  noise: string;
  rate: { rate: number; low: number; high: number };
  examples: {
    legacy: { headers: Record<string, unknown> };
    candidate: unknown;
    requestHeaders: Record<string, unknown>;
    masked: string[];
  }[];
}

const MIRROR_ROUTES = `
bucketing: { keys: [header:x-user-id] }
routes:
  - name: api
    match: { path: /api/* }
    mirror: { percent: 100, methods: [GET, POST], writes: isolated, timeout: 2s }
  - name: unmirrored
    match: { path: /plain/* }
    rewrite: { legacy: /api/*, candidate: /api/* }
  - match: { path: /* }
`;

async function waitFor(fn: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  if (!(await waitUntil(fn, ms))) throw new Error("timed out waiting");
}

describe("mirror and diff against real Flask and FastAPI", () => {
  let flask: Backend;
  let flask2: Backend;
  let fastapi: Backend;
  let g: TestGateway;

  before(async () => {
    [flask, flask2, fastapi] = await Promise.all([
      startFlask({ workerClass: "gthread", threads: 8 }),
      startFlask({ workerClass: "gthread", threads: 8, env: { INSTANCE: "secondary" } }),
      startFastAPI(),
    ]);
    // A real legacy-secondary is its own process with its own history (it never sees unmirrored
    // traffic), so per-process state such as counters differs from legacy's; model that.
    await pool([1, 2, 3], 1, () => get(`${flask2.url}/api/noisy`));
    g = await startGateway({ legacy: flask.url, candidate: fastapi.url, secondary: flask2.url, body: MIRROR_ROUTES });
  });
  after(async () => {
    await g.stop();
    await Promise.all([flask.stop(), flask2.stop(), fastapi.stop()]);
  });

  test(
    "every planted difference is found and classified; noise and byte-only drift are not findings",
    { timeout: 60_000 },
    async () => {
      const gets = [
        ...[1, 2, 3].flatMap((id) => [
          `/api/same/${id}`,
          `/api/users/${id}`,
          `/api/products/${id}`,
          `/api/orders/${id}`,
          `/api/accounts/${id}`,
          `/api/people/${id}`,
        ]),
        "/api/settings",
        "/api/tags",
        "/api/versioned",
        "/api/plain",
        "/api/bigint",
        "/api/bigint-same",
        "/api/unicode",
        "/api/empty",
        "/api/ordered",
        // Five answers let the time inside each event be learned as noise (legacy-secondary: 5 of 5).
        ...Array.from({ length: 6 }, () => "/api/events"),
        ...Array.from({ length: 40 }, () => "/api/noisy"),
      ];
      const served = await pool(gets, 8, (p) =>
        get(g.url + p, { "x-user-id": "u1", "accept-encoding": "gzip", authorization: "Bearer secret-token-123" }),
      );
      assert.ok(
        served.every((r) => r.status === 200),
        "clients are served by legacy as usual",
      );
      for (let i = 0; i < 4; i++) {
        const gz = await request(`${g.url}/api/gzip`, { headers: { "accept-encoding": "gzip" } });
        assert.equal(gz.headers["content-encoding"], "gzip");
        await gz.body.dump();
      }
      const post = async (body: string): Promise<number> => {
        const r = await request(`${g.url}/api/items`, {
          method: "POST",
          body,
          headers: { "content-type": "application/json" },
        });
        await r.body.dump();
        return r.statusCode;
      };
      assert.equal(await post('{"name":"x","qty":"lots"}'), 400);
      assert.equal(await post('{"name":"x","qty":2}'), 201);

      await waitFor(() => g.gw.parity.compared >= gets.length + 6 && g.gw.plane.mirrorsPending() === 0);

      const all = (await g.admin<{ findings: FindingJson[] }>("GET", "/api/findings?noise=1&examples=1")).body.findings;
      const real = all.filter((f) => f.noise === "real");
      const find = (template: string, kind: string, path?: string): FindingJson | undefined =>
        real.find((f) => f.template === template && f.kind === kind && (path === undefined || f.groupPath === path));
      const expect: [string, string, string?][] = [
        ["GET /api/users/{int}", "field_renamed"],
        ["GET /api/products/{int}", "type_changed", "$.price"],
        ["GET /api/orders/{int}", "format_changed", "$.created_at"],
        ["GET /api/accounts/{int}", "field_missing", "$.created_by"],
        ["GET /api/settings", "field_added", "$.beta_features"],
        ["GET /api/people/{int}", "null_vs_absent", "$.nickname"],
        ["GET /api/tags", "list_order", "$.tags"],
        ["POST /api/items", "status_changed", "status"],
        ["GET /api/versioned", "header_changed", "header:x-api-version"],
        ["GET /api/plain", "content_type_changed"],
        ["GET /api/bigint", "value_changed", "$.id"],
        ["GET /api/events", "sse_event_missing"],
      ];
      for (const [template, kind, path] of expect) {
        assert.ok(
          find(template, kind, path),
          `missing ${kind} ${path ?? ""} on ${template}; found: ${real.map((f) => `${f.template} ${f.kind} ${f.groupPath}`).join("; ")}`,
        );
      }
      const renamed = find("GET /api/users/{int}", "field_renamed")!;
      assert.equal(renamed.count, 3);
      assert.equal(renamed.rate.rate, 1);

      const clean = [
        "GET /api/same/{int}",
        "GET /api/bigint-same",
        "GET /api/unicode",
        "GET /api/empty",
        "GET /api/ordered",
        "GET /api/gzip",
        "GET /api/noisy",
      ];
      for (const t of clean) {
        const wrong = real.filter((f) => f.template === t);
        assert.deepEqual(
          wrong.map((f) => `${f.kind} ${f.groupPath}`),
          [],
          `${t} must have no real finding`,
        );
      }
      assert.deepEqual(
        real.filter((f) => f.template === "GET /api/events").map((f) => `${f.kind} ${f.groupPath}`),
        ["sse_event_missing sse[*]"],
        "the time inside each event is noise, the missing event is the only finding",
      );
      assert.ok(
        all.some((f) => f.template === "GET /api/events" && f.groupPath === "sse[*].data.at" && f.noise !== "real"),
      );
      const noisy = all.filter((f) => f.template === "GET /api/noisy");
      assert.ok(noisy.length > 0 && noisy.every((f) => f.noise !== "real"), "noise is shown apart, not dropped");

      // Secrets never reach a stored example.
      const ex = renamed.examples[0]!;
      assert.equal(ex.requestHeaders.authorization, "[redacted]");
      assert.ok(!JSON.stringify(all).includes("secret-token-123"));
    },
  );

  test("findings: accept with a reason; report as self-contained HTML; CLI table", async () => {
    const list = (await g.admin<{ findings: FindingJson[] }>("GET", "/api/findings")).body.findings;
    const tags = list.find((f) => f.kind === "list_order")!;
    const r = await g.admin<{ accepted: { reason: string; by: string } }>("POST", `/api/findings/${tags.id}/accept`, {
      reason: "order is not part of the contract",
    });
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted.reason, "order is not part of the contract");
    const after = (await g.admin<{ findings: FindingJson[] }>("GET", "/api/findings")).body.findings;
    assert.ok(!after.some((f) => f.id === tags.id), "accepted findings are no longer counted");
    // Accepted differences stop counting against the rollout judge's parity too.
    const heard: string[] = [];
    g.gw.parity.listeners.push((req, outcome) => {
      if (req.path === "/api/tags") heard.push(outcome);
    });
    assert.equal((await get(`${g.url}/api/tags`)).status, 200);
    await waitFor(() => heard.length === 1);
    assert.deepEqual(heard, ["same"]);
    const missing = await g.admin("POST", "/api/findings/nope/accept", { reason: "x" });
    assert.equal(missing.status, 404);
    const html = await g.admin<string>("GET", "/api/report.html");
    assert.match(html.body, /^<!doctype html>/i);
    assert.match(html.body, /field_renamed|renamed/);
    assert.match(html.body, /order is not part of the contract/);
    assert.ok(!/<script src=|<link [^>]*href="http/i.test(html.body), "no external assets");
  });

  test("CLI: findings table with examples, report file, accept", async () => {
    const run = (args: string[]): Promise<{ code: number; stdout: string }> =>
      new Promise((resolve) =>
        execFile(
          process.execPath,
          ["bin/cutover.js", ...args, "--admin", g.adminUrl, "--token", TOKEN],
          { encoding: "utf8" },
          (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout }),
        ),
      );
    const t = await run(["findings", "--route", "api", "--examples"]);
    assert.equal(t.code, 0);
    assert.match(t.stdout, /field_renamed\s+\$\.user_name/);
    assert.match(t.stdout, /legacy {4}200 application\/json/);
    assert.match(t.stdout, /redacted: .*authorization/);
    const j = JSON.parse((await run(["findings", "--json", "--all"])).stdout) as { findings: FindingJson[] };
    assert.ok(
      j.findings.some((f) => f.noise !== "real"),
      "--all includes noise",
    );
    const dir = mkdtempSync(join(tmpdir(), "cutover-report-"));
    const r = await run(["report", "--html", join(dir, "parity.html")]);
    assert.equal(r.code, 0);
    assert.match(readFileSync(join(dir, "parity.html"), "utf8"), /<html/i);
    const target = j.findings.find((f) => f.kind === "header_changed")!;
    const a = await run(["accept", target.id, "--reason", "v2 is announced", "--json"]);
    assert.equal(a.code, 0);
    const noReason = await run(["accept", target.id]);
    assert.equal(noReason.code, 2);
  });

  test("findings survive a restart", async () => {
    g.gw.parity.persist();
    const ids = (x: FindingJson[]): string[] => x.map((f) => `${f.id} ${f.kind} ${f.groupPath} ${f.noise}`).sort();
    const before = ids((await g.admin<{ findings: FindingJson[] }>("GET", "/api/findings")).body.findings);
    const g2 = await startGateway({
      legacy: flask.url,
      candidate: fastapi.url,
      secondary: flask2.url,
      body: MIRROR_ROUTES,
      dir: g.dir,
    });
    try {
      await g.stop();
      const again = ids((await g2.admin<{ findings: FindingJson[] }>("GET", "/api/findings")).body.findings);
      assert.deepEqual(again, before);
    } finally {
      g = g2;
    }
  });
});

describe("a broken candidate never hurts the client", () => {
  let flask: Backend;
  before(async () => {
    flask = await startFlask({ workerClass: "gthread", threads: 8 });
  });
  after(() => flask.stop());

  for (const kind of ["hanging", "resetting", "killed"] as const) {
    test(`${kind} candidate: zero client errors, no added latency`, { timeout: 60_000 }, async () => {
      const cand =
        kind === "hanging"
          ? await startHangingServer()
          : kind === "resetting"
            ? await startResettingServer()
            : await startFastAPI();
      if (kind === "killed") (cand as Backend).kill("SIGKILL");
      // One case compares inline (diff.worker off), so both comparison paths meet a broken candidate.
      // That case also turns the mirror breaker off, so every one of its requests pays a failing
      // exchange; the others run with the default breaker, which users get.
      const body =
        kind === "resetting"
          ? `${MIRROR_ROUTES.replace("timeout: 2s }", "timeout: 2s, breaker: { failures: 0 } }")}diff: { worker: false }\n`
          : MIRROR_ROUTES;
      assert.ok(body.includes(kind === "resetting" ? "failures: 0" : "timeout: 2s }"));
      const g = await startGateway({ legacy: flask.url, candidate: cand.url, body });
      try {
        // The same gateway, the same legacy endpoint, with and without the mirror, interleaved:
        // whatever the broken candidate costs the client shows up as the difference.
        const plain: number[] = [];
        const mirrored: number[] = [];
        for (let i = 0; i < 80; i++) {
          let t = performance.now();
          const d = await get(`${g.url}/plain/same/${i}`);
          plain.push(performance.now() - t);
          t = performance.now();
          const r = await get(`${g.url}/api/same/${i}`);
          mirrored.push(performance.now() - t);
          assert.equal(r.status, 200);
          assert.equal(d.status, 200);
          assert.equal(r.text, d.text);
        }
        const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        assert.ok(
          med(mirrored) - med(plain) < 3,
          `median added by mirroring to a ${kind} candidate: ${(med(mirrored) - med(plain)).toFixed(2)} ms`,
        );
        // Captures finished, and their comparisons too (queued here or on the worker thread).
        await waitFor(() => g.gw.plane.mirrorsPending() === 0 && g.gw.parity.pending === 0);
        const metrics = await g.admin<string>("GET", "/metrics");
        assert.match(
          metrics.body,
          /cutover_mirror_(total\{route="api",outcome="candidate_error"\}|skipped_total\{route="api",reason="candidate_unhealthy"\})/,
        );
        // Refused connections fail at once: the breaker opens and skips the rest (counted). Hanging
        // exchanges fail only at their 2 s deadline, and the broken-off case never opens.
        const skipped = /cutover_mirror_skipped_total\{route="api",reason="breaker_open"\} [1-9]/;
        if (kind === "killed") assert.match(metrics.body, skipped);
        if (kind === "resetting") assert.doesNotMatch(metrics.body, skipped);
      } finally {
        await g.stop();
        if ("stop" in cand) await cand.stop();
        else await cand.close();
      }
    });
  }
});
