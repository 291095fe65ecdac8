// Coverage per endpoint end to end with real Flask (legacy) and FastAPI (candidate): the matrix
// (GET and POST of one path are two endpoints, inventory endpoints nobody called are listed as
// never exercised, `workers: 2` counts what `workers: 1` counts), the judge's per-endpoint
// coverage gate, and the matrix in the HTML report and the dashboard in headless Chromium.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { chromium } from "playwright-core";
import { request } from "undici";
import { bucketOf } from "../src/split/hash.js";
import { coverage as coverageCommand } from "../src/cli/commands/coverage.js";
import type { CoverageRow, CoverageView } from "../src/coverage/wire.js";
import type { RolloutOn } from "../src/rollout/wire.js";
import { ROLLOUT } from "./helpers/rollout.js";
import { startGateway, TOKEN, useBackends, waitUntil, type TestGateway } from "./helpers/gateway.js";

const INVENTORY = join(process.cwd(), "test", "fixtures", "legacy_flask");

const MATRIX_CONFIG = `
endpoints: [${JSON.stringify(INVENTORY)}]
routes:
  - name: api
    match: { path: /api/* }
    mirror: { percent: 100 }
  - name: echo
    match: { path: /echo }
  - match: { path: /* }
`;

/** Requests in a fixed order: [method, path, times]. */
const TRAFFIC: [string, string, number][] = [
  ["GET", "/echo", 3],
  ["POST", "/echo", 2],
  ["GET", "/api/same/1", 2],
  ["GET", "/api/same/2", 1],
  ["GET", "/api/users/1", 2],
  ["GET", "/api/tags", 1],
];
const SENT = TRAFFIC.reduce((n, [, , k]) => n + k, 0);
const MIRRORED = TRAFFIC.filter(([m, p]) => m === "GET" && p.startsWith("/api/")).reduce((n, [, , k]) => n + k, 0);

async function send(url: string, method: string, path: string, user = "u1"): Promise<void> {
  const res = await request(url + path, {
    method: method as "GET",
    headers: { "x-user-id": user, "content-type": "application/json" },
    ...(method === "POST" ? { body: '{"a":1}' } : {}),
  });
  await res.body.dump();
}

const view = async (g: TestGateway): Promise<CoverageView> =>
  (await g.admin<CoverageView>("GET", "/api/coverage")).body;
const sum = (v: CoverageView, k: "seen" | "compared"): number => v.rows.reduce((n, r) => n + r[k], 0);
const project = (r: CoverageRow) =>
  [r.route, r.endpoint, r.state, r.inventory, r.seen, r.legacy, r.candidate, r.mirrored, r.compared, r.differing].join(
    " ",
  );

describe("coverage per endpoint", () => {
  const b = useBackends();

  test(
    "the matrix: GET and POST of one path apart, unused inventory endpoints listed, workers: 2 = workers: 1",
    {
      timeout: 90_000,
    },
    async () => {
      const matrices: CoverageView[] = [];
      for (const workers of [1, 2]) {
        const g = await startGateway(
          { legacy: b.flask.url, candidate: b.fastapi.url, body: MATRIX_CONFIG },
          { workers },
        );
        try {
          for (const [method, path, times] of TRAFFIC) for (let i = 0; i < times; i++) await send(g.url, method, path);
          // Served records and comparisons arrive after the answers (worker reports every 50 ms).
          const settled = await waitUntil(async () => {
            const v = await view(g);
            return sum(v, "seen") === SENT && sum(v, "compared") === MIRRORED;
          }, 20_000);
          const v = await view(g);
          assert.ok(settled, `workers: ${workers}: ${JSON.stringify(v.rows.filter((r) => r.seen > 0))}`);
          matrices.push(v);
          if (workers === 2) await lookInChromium(g);
          else {
            const cli = await coverageCommand({ url: g.adminUrl, token: TOKEN }, {});
            const text = cli.text;
            assert.match(
              text,
              /route echo\n\s+GET \/echo\s+not reached\s+3\s+0\s+0\s+0\s+0\n\s+POST \/echo\s+not reached\s+2\s+0\s+0\s+0\s+0\n/,
            );
            assert.ok(
              text.indexOf("route echo") < text.indexOf("route api"),
              "the route with unreached endpoints first",
            );
          }
        } finally {
          await g.stop();
        }
      }
      const [one, two] = matrices as [CoverageView, CoverageView];
      const row = (endpoint: string): CoverageRow | undefined => one.rows.find((r) => r.endpoint === endpoint);
      assert.deepEqual(
        [row("GET /echo")?.seen, row("POST /echo")?.seen, row("POST /echo")?.state],
        [3, 2, "not_reached"],
        "one path, two methods: two endpoints",
      );
      assert.deepEqual(
        [
          row("GET /api/same/{item_id}")?.seen,
          row("GET /api/same/{item_id}")?.compared,
          row("GET /api/same/{item_id}")?.state,
        ],
        [3, 3, "covered"],
      );
      assert.deepEqual(
        [row("GET /api/users/{user_id}")?.differing, row("GET /api/users/{user_id}")?.state],
        [2, "differing"],
        "the planted renamed field",
      );
      const never = row("DELETE /api/thing/{thing_id}");
      assert.deepEqual([never?.state, never?.inventory, never?.seen], ["never_exercised", true, 0]);
      assert.ok(one.totals.never_exercised >= 20, `inventory endpoints never called: ${one.totals.never_exercised}`);
      assert.ok(
        one.rows.every((r) => r.inventory),
        `every endpoint the traffic hit is an inventory template: ${one.rows
          .filter((r) => !r.inventory)
          .map((r) => r.endpoint)
          .join(", ")}`,
      );
      assert.deepEqual(two.rows.map(project), one.rows.map(project), "workers: 2 gives the matrix workers: 1 gives");
      assert.deepEqual(two.totals, one.totals);
    },
  );

  test(
    "the gate holds the last stage until a planted unreached endpoint reaches the candidate",
    {
      timeout: 120_000,
    },
    async () => {
      const g = await startGateway({
        legacy: b.flask.url,
        candidate: b.fastapi.url,
        body: `endpoints: [${JSON.stringify(INVENTORY)}]\n${ROLLOUT("[50, 100]")}`,
      });
      const rollout = async (): Promise<RolloutOn> => (await g.admin<RolloutOn>("GET", "/api/rollout")).body;
      const tags = async (): Promise<CoverageRow | undefined> =>
        (await view(g)).rows.find((r) => r.endpoint === "GET /api/tags");
      let done = false;
      const load = (async () => {
        for (let n = 0; !done; n++) await send(g.url, "GET", `/api/same/${n % 5}`, `user-${n % 97}`);
      })();
      try {
        // Users by bucket (the split's own function, key and salt): at 50 % a bucket below
        // 5,000 is the candidate's.
        const salt = g.gw.config.bucketing.salt;
        const users = Array.from({ length: 400 }, (_, i) => `tags-${i}`);
        const legacyUser = users.find((u) => bucketOf(`header:${u}`, salt) >= 5000) ?? "";
        const candidateUsers = users.filter((u) => bucketOf(`header:${u}`, salt) < 5000).slice(0, 6);
        assert.ok(legacyUser && candidateUsers.length === 6, `${legacyUser} ${candidateUsers.length}`);
        for (let i = 0; i < 10; i++) await send(g.url, "GET", "/api/tags", legacyUser);
        const planted = await waitUntil(async () => (await tags())?.legacy === 10, 5000);
        assert.ok(planted, JSON.stringify(await tags()));
        assert.equal((await tags())?.candidate, 0);

        // Every other gate passes; coverage alone holds, naming the endpoint.
        const held = await waitUntil(async () => {
          const v = (await rollout()).verdict;
          const open = v?.checks.filter((c) => c.gating && c.status !== "pass").map((c) => c.name);
          return JSON.stringify(open) === '["coverage"]';
        }, 60_000);
        const r = await rollout();
        const cov = r.verdict?.checks.find((c) => c.name === "coverage");
        assert.ok(held, JSON.stringify(r.verdict?.checks.filter((c) => c.status !== "pass")));
        assert.equal(r.stage.index, 0, "held at the stage before the last");
        assert.match(cov?.summary ?? "", /GET \/api\/tags \(0 of 5\)/);
        assert.match(cov?.summary ?? "", /never exercised \(not blocking\): /);
        assert.equal(cov?.numbers.endpoints_missing, 1);

        // Users on the candidate call it too: the candidate answers GET /api/tags, the gate opens.
        for (const u of candidateUsers) await send(g.url, "GET", "/api/tags", u);
        const promoted = await waitUntil(async () => (await rollout()).stage.index === 1, 30_000);
        const after = await rollout();
        assert.ok(
          promoted,
          `${JSON.stringify(await tags())} ${JSON.stringify(after.verdict?.checks.filter((c) => c.name === "coverage"))}`,
        );
        assert.equal((await tags())?.candidate, 6);
      } finally {
        done = true;
        await load;
        await g.stop();
      }
    },
  );
});

/** The HTML report and the dashboard's Coverage page at 1280×800: matrix present, no horizontal overflow. */
async function lookInChromium(g: TestGateway): Promise<void> {
  const dist = join(process.cwd(), "dist", "dashboard", "index.html");
  assert.ok(existsSync(dist), `${dist} is missing: build the dashboard first (npm run build)`);
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  try {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const width = (): Promise<number> => page.evaluate<number>("document.documentElement.scrollWidth");
    const html = (await g.admin<string>("GET", "/api/report.html")).body;
    await page.setContent(html);
    const sections = await page.evaluate<string[]>("[...document.querySelectorAll('h2')].map((h) => h.textContent)");
    assert.deepEqual(
      sections.slice(0, 2),
      ["Summary", "Coverage by endpoint"],
      "the matrix comes right after the summary",
    );
    assert.ok(
      (await page.locator("#coverage td.mono", { hasText: "DELETE /api/thing/{thing_id}" }).count()) === 1,
      "an inventory endpoint nobody called is in the report's matrix",
    );
    assert.ok((await width()) <= 1280, `report scrollWidth ${await width()}`);
    await page.locator("#coverage").screenshot({ path: "/tmp/coverage-report.png" });

    await page.goto(`${g.adminUrl}/#/coverage`);
    await page.fill("input[name=token]", TOKEN);
    await page.click("button[type=submit]");
    await page.locator('tr[data-endpoint="POST /echo"][data-state="not_reached"]').waitFor({ timeout: 10_000 });
    const first = await page.locator("tbody[data-route]").first().getAttribute("data-route");
    assert.equal(first, "echo", "the same grouping and order as the CLI and the report");
    assert.ok((await width()) <= 1280, `dashboard scrollWidth ${await width()}`);
    await page.screenshot({ path: "/tmp/coverage-dashboard.png", fullPage: false });
  } finally {
    await browser.close();
  }
}
