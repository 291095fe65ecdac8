// The dashboard end to end in real headless Chromium: real Flask (legacy) and FastAPI (candidate),
// the gateway with a mirrored /api/* route and a rollout that holds (promote: manual), traffic
// with planted differences. The browser signs in, and every number it shows is checked against
// the admin API; a finding's diff is opened and accepted, and the roll back button rolls back.
// Screenshots of each page go to artifacts/dashboard/ (git-ignored).
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { Agent, request } from "undici";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { startGateway, TOKEN, type TestGateway } from "./helpers/gateway.js";

const DIST = join(process.cwd(), "dist", "dashboard", "index.html");
const SHOTS = join(process.cwd(), "artifacts", "dashboard");

const CONFIG = `
bucketing: { keys: [header:x-user-id] }
routes:
  - name: same
    match: { path: /api/same/*, methods: [GET] }
  - name: api
    match: { path: /api/*, methods: [GET] }
    mirror: { percent: 100 }
  - match: { path: /* }
rollout:
  routes: [same]
  stages: [10, 50, 100]
  min_duration: 1s
  warmup: 200ms
  interval: 250ms
  min_requests: 100000
  coverage_min_requests: 5
  margins: { error_rate: 3pt, p95_latency: 300%, parity: 5% }
  max_duration: 10m
  promote: manual
`;

const PATHS = ["/api/same/1", "/api/users/1", "/api/same/2", "/api/products/2", "/api/tags", "/api/same/3"];

interface RouteJson {
  name: string;
  weight: number;
  requests: { legacy: { total: number }; candidate: { total: number } };
}
interface StatusJson {
  routes: RouteJson[];
  upstreams: { name: string; url: string; state: string }[];
  workers: { slot: number; pid: number; state: string; served: number }[];
}
interface RolloutJson {
  status: string;
  weight: number;
  verdict: { checks: unknown[] } | null;
}
interface FindingJson {
  id: string;
  template: string;
  kind: string;
  accepted?: { reason: string };
}

/** Load from a few users at a modest rate until stopped; paused while `paused()` says so. */
function traffic(url: string, paused: () => boolean): { stop(): Promise<void> } {
  const agent = new Agent({ connections: 4 });
  let done = false;
  let i = 0;
  const worker = async (): Promise<void> => {
    while (!done) {
      if (!paused()) {
        const n = i++;
        const res = await request(url + (PATHS[n % PATHS.length] ?? "/"), {
          dispatcher: agent,
          headers: { "x-user-id": `user-${n % 211}`, authorization: "Bearer client-secret-1" },
        });
        await res.body.dump();
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const all = Promise.all([worker(), worker(), worker()]);
  return {
    async stop() {
      done = true;
      await all;
      await agent.close();
    },
  };
}

async function until(fn: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

const int = (text: string): number => Number(text.replace(/[^\d]/g, ""));

describe("dashboard in headless Chromium", { timeout: 60_000 }, () => {
  let flask: Backend;
  let fastapi: Backend;
  let g: TestGateway;
  let browser: Browser;
  let page: Page;
  let load: { stop(): Promise<void> };
  let paused = false;

  before(async () => {
    assert.ok(existsSync(DIST), `${DIST} is missing: build the dashboard first (npm run build)`);
    mkdirSync(SHOTS, { recursive: true });
    [flask, fastapi] = await Promise.all([startFlask({ workerClass: "gthread", threads: 8 }), startFastAPI()]);
    // Two cluster workers: everything the page shows comes from the primary's control plane.
    g = await startGateway({ legacy: flask.url, candidate: fastapi.url, body: CONFIG }, { workers: 2 });
    load = traffic(g.url, () => paused);
    browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    // A fresh context: its own profile, nothing in sessionStorage.
    page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    // Findings need mirrored comparisons of the planted differences (and a redacted header).
    await until(() => g.gw.parity.compared >= 12, 15_000, "mirrored comparisons");
  });

  after(async () => {
    await load.stop();
    await browser.close();
    await g.stop();
    await Promise.all([flask.stop(), fastapi.stop()]);
  });

  test("sign in: a wrong token shows the API's error, the right one opens the overview", async () => {
    await page.goto(`${g.adminUrl}/`);
    await page.fill("input[name=token]", "not-the-token");
    await page.click("button[type=submit]");
    const err = page.locator(".error-box");
    await err.waitFor();
    assert.match(await err.innerText(), /CUTOVER_ERR_ADMIN_UNAUTHORIZED/);
    await page.screenshot({ path: join(SHOTS, "login.png") });
    await page.fill("input[name=token]", TOKEN);
    await page.click("button[type=submit]");
    await page.locator(".topbar").waitFor();
    await page.locator(".live-ok").waitFor({ timeout: 5000 });
  });

  test("overview: routes, weights and request counts match GET /api/status, live, charts drawn", async () => {
    const rows = page.locator("tr[data-route]");
    await page.locator('tr[data-route="same"] [data-field=weight]').waitFor();
    const api = async (): Promise<StatusJson> => (await g.admin<StatusJson>("GET", "/api/status")).body;
    const status = await api();
    const names: (string | null)[] = [];
    for (const row of await rows.all()) names.push(await row.getAttribute("data-route"));
    assert.deepEqual(
      names,
      status.routes.map((r) => r.name),
    );
    const ui = async (route: string, field: string): Promise<string> =>
      page.locator(`tr[data-route="${route}"] [data-field=${field}]`).innerText();
    for (const r of status.routes) assert.equal((await ui(r.name, "weight")).trim(), `${r.weight} %`, r.name);
    assert.equal(status.routes.find((r) => r.name === "same")?.weight, 10);

    // Pushed, not polled: counts grow with no /api request from the page but the open stream.
    const apiCalls: string[] = [];
    const onRequest = (req: { url(): string }): void => {
      if (req.url().includes("/api/")) apiCalls.push(req.url());
    };
    page.on("request", onRequest);
    const first = int(await ui("api", "legacy-total"));
    await until(async () => int(await ui("api", "legacy-total")) > first, 5000, "a live update");
    page.off("request", onRequest);
    assert.deepEqual(apiCalls, [], "the overview does not poll");

    // With traffic paused the page settles on exactly what the API reports.
    paused = true;
    await new Promise((r) => setTimeout(r, 300));
    const settled = await api();
    await until(
      async () => {
        for (const r of settled.routes) {
          if (int(await ui(r.name, "legacy-total")) !== r.requests.legacy.total) return false;
          if (int(await ui(r.name, "candidate-total")) !== r.requests.candidate.total) return false;
        }
        return true;
      },
      5000,
      "request counts equal to /api/status",
    );
    paused = false;

    // A dropped stream is noticed and reopened by itself (backoff starts at about a second).
    g.gw.admin.server.closeAllConnections();
    assert.match(await page.locator(".live-bad").innerText({ timeout: 3000 }), /Reconnecting in \d s/);
    await page.locator(".live-ok").waitFor({ timeout: 6000 });

    const canvases = page.locator(".chart canvas");
    assert.ok((await canvases.count()) >= 3, "three charts");
    const box = await canvases.first().boundingBox();
    assert.ok(box && box.width > 200 && box.height > 100, `chart size ${JSON.stringify(box)}`);
    // Some pixel of the first chart is not transparent (DOM code as a string: no DOM types here).
    const inked = await page.evaluate<boolean>(
      `(() => { const c = document.querySelector(".chart canvas"); const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) return true; return false; })()`,
    );
    assert.ok(inked, "the chart canvas has something drawn on it");
    assert.match(await page.locator('tr[data-target="legacy"] [data-metric=rps]').innerText(), /^\d/);
    await page.screenshot({ path: join(SHOTS, "overview.png") });
  });

  test("findings: the diff highlights the differing path; accept with a reason", async () => {
    const list = (await g.admin<{ findings: FindingJson[] }>("GET", "/api/findings")).body.findings;
    const renamed = list.find((f) => f.template === "GET /api/users/{int}" && f.kind === "field_renamed");
    assert.ok(renamed, `no field_renamed finding: ${list.map((f) => `${f.template} ${f.kind}`).join("; ")}`);
    await page.click('a.tab[href="#/findings"]');
    await page.click(`a.finding[data-finding="${renamed.id}"]`);
    const detail = page.locator(`.detail[data-finding="${renamed.id}"]`);
    await detail.waitFor();
    const legacyMarked = detail.locator('.side[data-side="legacy"] .jl-marked');
    const candidateMarked = detail.locator('.side[data-side="candidate"] .jl-marked');
    assert.equal(await legacyMarked.getAttribute("data-path"), "$.user_name");
    assert.match(await legacyMarked.innerText(), /"user_name"/);
    assert.match(await candidateMarked.innerText(), /"username"/);
    assert.match(await detail.locator(".example").innerText(), /request header:authorization/);
    await page.screenshot({ path: join(SHOTS, "findings.png") });

    await detail.locator("button", { hasText: "Accept" }).click();
    const dialog = page.locator("dialog[open]");
    await dialog.waitFor();
    for (let i = 0; i < 5; i++) await page.keyboard.press("Tab");
    assert.ok(await page.evaluate<boolean>("document.activeElement?.closest('dialog') !== null"), "focus stays in");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await detail.locator("button", { hasText: "Accept" }).click();
    await page.fill("dialog[open] textarea", "renamed on purpose in v2");
    await page.screenshot({ path: join(SHOTS, "findings-accept.png") });
    await page.click('dialog[open] button[type="submit"]');
    await detail.locator(".note-ok").waitFor();
    const f = (await g.admin<FindingJson>("GET", `/api/findings/${renamed.id}`)).body;
    assert.equal(f.accepted?.reason, "renamed on purpose in v2");
    assert.ok(await page.locator(`#sec-accepted ~ .group a[data-finding="${renamed.id}"]`).count(), "shown apart");
  });

  test("rollout: stages, verdict checks and audit log; roll back (confirmed) rolls everything back", async () => {
    await page.click('a.tab[href="#/rollout"]');
    await page.locator(".step-current").waitFor();
    assert.match(await page.locator(".step-current .step-label").innerText(), /10 %/);
    await page.locator("tr[data-check]").first().waitFor();
    const view = (await g.admin<RolloutJson>("GET", "/api/rollout")).body;
    assert.equal(view.status, "running");
    assert.equal(await page.locator("tr[data-check]").count(), view.verdict?.checks.length);
    await page.locator('.audit-item[data-action="start"]').waitFor();
    await page.screenshot({ path: join(SHOTS, "rollout.png"), fullPage: true });

    await page.click("button[data-action=rollback]");
    const dialog = page.locator("dialog[open]");
    await dialog.waitFor();
    assert.match(
      await dialog.innerText(),
      /Every route goes to 0 % candidate at once; candidate WebSockets are closed/,
    );
    assert.match(await dialog.innerText(), /same \(10 % → 0 %\)/);
    await page.fill("dialog[open] input", "dashboard test");
    await page.screenshot({ path: join(SHOTS, "rollback-dialog.png") });
    await page.click("dialog[open] button.btn-danger");
    await dialog.waitFor({ state: "detached" });

    const after = (await g.admin<RolloutJson>("GET", "/api/rollout")).body;
    assert.equal(after.status, "rolled_back");
    assert.equal(after.weight, 0);
    const status = (await g.admin<StatusJson>("GET", "/api/status")).body;
    assert.deepEqual(
      status.routes.map((r) => r.weight),
      status.routes.map(() => 0),
    );
    await page.locator('.audit-item[data-action="rollback"]').waitFor();
    assert.match(await page.locator('.audit-item[data-action="rollback"]').innerText(), /dashboard test/);
    await page.locator(".step-failed").waitFor();
    await page.screenshot({ path: join(SHOTS, "rollout-rolled-back.png"), fullPage: true });
  });

  test("upstreams: state and URL as the API reports them", async () => {
    await page.click('a.tab[href="#/upstreams"]');
    const status = (await g.admin<StatusJson>("GET", "/api/status")).body;
    for (const u of status.upstreams) {
      const row = page.locator(`tr[data-upstream="${u.name}"]`);
      await row.waitFor();
      const text = await row.innerText();
      assert.ok(text.includes(u.url), `${u.name} URL`);
      assert.ok(text.includes(u.state), `${u.name} state`);
    }
    assert.equal(status.workers.length, 2);
    for (const w of status.workers) {
      const text = await page.locator(`tr[data-worker="${w.slot}"]`).innerText();
      assert.ok(text.includes(String(w.pid)) && text.includes("serving"), text);
      assert.ok(int(await page.locator(`tr[data-worker="${w.slot}"] [data-field=served]`).innerText()) > 0);
    }
    await page.screenshot({ path: join(SHOTS, "upstreams.png") });
  });
});
