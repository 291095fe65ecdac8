// The HTML report as a reviewer sees it, in real headless Chromium at 1280×800: the summary comes
// first, nothing scrolls sideways (long paths, unbroken values and tokens, wide bodies, every
// finding opened), and the file stays small with hundreds of findings. Screenshots go to
// artifacts/report/ (git-ignored).
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { diffResponses } from "../src/diff/engine.js";
import { captured, fastapiHeaders, fastapiJson, flaskHeaders, flaskJson } from "../src/diff/testing.js";
import type { DiffOptions } from "../src/diff/types.js";
import { FindingsAggregator } from "../src/findings/aggregator.js";
import { buildReport } from "../src/findings/report-data.js";
import { renderHtmlReport } from "../src/findings/report-html.js";

const SHOTS = join(process.cwd(), "artifacts", "report");
const OPTS: DiffOptions = { ignoreHeaders: [], ignorePaths: [], presets: ["flask->fastapi"] };

/** 40 endpoints × 25 requests with differences of every severity, long paths and unbroken values. */
function aggregator(): FindingsAggregator {
  const agg = new FindingsAggregator({ examples: 5 });
  const long = "x".repeat(600);
  const deep = "a_rather_long_field_name_that_keeps_going_and_going";
  for (let e = 0; e < 40; e++) {
    const template = `/api/v1/organisations/{org}/projects/{project}/resources-with-long-names-${e}/{id}`;
    for (let i = 0; i < 25; i++) {
      const rows = Array.from({ length: 60 }, (_, k) => ({ id: k, label: `row ${k} ${long.slice(0, 80)}` }));
      const legacy = captured(
        e % 7 === 0 && i % 3 === 0 ? 400 : 200,
        flaskHeaders({ "x-trace": long }),
        flaskJson({
          id: i,
          user_name: "ada",
          created_at: "2026-12-02T16:36:08.216301",
          price: "10.10",
          [deep]: { [deep]: { [deep]: long } },
          rows,
        }),
      );
      const candidate = captured(
        200,
        fastapiHeaders({ "x-trace": `${long}y` }),
        fastapiJson({
          id: i,
          username: "ada",
          created_at: "2026-12-02T16:36:08.287777Z",
          price: 10.1,
          [deep]: { [deep]: { [deep]: `${long}y` } },
          rows,
          extra: { note: long },
        }),
      );
      agg.countMirrored(`api-${e % 5}`, template);
      agg.add(
        {
          id: `x${e}-${i}`,
          at: Date.UTC(2026, 11, 2) + i,
          method: "GET",
          path: `/api/v1/organisations/acme/projects/p${e}/resources-with-long-names-${e}/${i}?q=${long}`,
          routeName: `api-${e % 5}`,
          template,
          requestHeaders: { accept: "application/json" },
          legacy,
          candidate,
        },
        diffResponses(legacy, candidate, OPTS),
        (d) => (d.path.startsWith("header:") ? "noise_generated" : "real"),
      );
    }
  }
  return agg;
}

let browser: Browser;
let page: Page;
let html: string;
let file: string;

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  html = renderHtmlReport(
    buildReport(aggregator(), { presets: ["flask->fastapi"], generatedAt: Date.UTC(2026, 11, 2) }),
  );
  file = join(SHOTS, "report.html");
  writeFileSync(file, html);
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`file://${file}`);
});

after(async () => {
  await browser.close();
});

const scrollWidth = (): Promise<number> => page.evaluate<number>("document.documentElement.scrollWidth");

test("the report leads with the summary, by how likely differences break clients", async () => {
  const headings = await page.locator("h2").allInnerTexts();
  assert.equal(headings[0], "Summary");
  const box = await page.locator("#summary").boundingBox();
  assert.ok(box && box.y < 200, `summary starts at ${box?.y}`);
  const rows = await page.locator("table.severity tbody tr").allInnerTexts();
  assert.match(rows[0] ?? "", /^Status codes and removed or renamed fields[\s\S]*\t\d+\t\d+\t[\s\S]*status changed/);
  assert.match(rows[1] ?? "", /^Type and format changes[\s\S]*format changed/);
  assert.match(rows[3] ?? "", /^Additions[\s\S]*field added/);
  await page.screenshot({ path: join(SHOTS, "summary.png") });
});

test("no horizontal scroll at 1280 px, closed and with every finding and example opened", async () => {
  assert.ok((await scrollWidth()) <= 1280, `scrollWidth ${await scrollWidth()} with findings closed`);
  await page.evaluate("document.getElementById('real').scrollIntoView()");
  await page.screenshot({ path: join(SHOTS, "findings-by-endpoint.png") });
  await page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })");
  const opened = await page.evaluate<number>("document.querySelectorAll('details[open]').length");
  assert.ok(opened > 100, `${opened} details opened`);
  assert.ok((await scrollWidth()) <= 1280, `scrollWidth ${await scrollWidth()} with everything open`);
  await page.locator("section.endpoint").first().scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, "finding-open.png") });
});

test("size is bounded: 40 endpoints, 1,000 requests, hundreds of findings in well under 1.5 MB", () => {
  const findings = html.match(/<details class="finding"/g)?.length ?? 0;
  assert.ok(findings >= 200, `${findings} findings`);
  assert.ok(html.length < 1_000_000, `${html.length} characters`);
  assert.match(html, /Further examples left out to keep the report small/);
});
