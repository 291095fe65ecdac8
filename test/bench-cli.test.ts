// `cutover bench` as users run it, against the real fixture pair (Flask under gunicorn with two
// workers, FastAPI under uvicorn): short bounded runs (a few seconds each), the table, --json,
// CPU and RSS found by port owner, differing answers counted, the HTML drawn in headless Chromium.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, describe, test } from "node:test";
import { chromium } from "playwright-core";
import type { BenchReport } from "../src/loadtest/run.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";

const SHOTS = join(process.cwd(), "artifacts", "bench");

interface ChartInfo {
  id: string;
  width: number;
  dots: number;
  lines: { series: string | null; points: number; length: number }[];
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["bin/cutover.js", "bench", ...args],
      { encoding: "utf8", timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("cutover bench against Flask (gunicorn) and FastAPI (uvicorn)", { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "cutover-bench-"));
  const urls = join(dir, "urls.txt");
  const html = join(dir, "bench.html");
  let flask: Backend;
  let fastapi: Backend;
  let report: BenchReport & { html?: string };

  before(async () => {
    [flask, fastapi] = await Promise.all([startFlask({ workers: 2, logLevel: "warning" }), startFastAPI()]);
    // users: field renamed on the candidate (PLANTED.md); same: identical; ordered/unicode: byte-only drift.
    writeFileSync(urls, "# planted routes\n/api/same/7\nGET /api/users/1\n/api/ordered\n/api/unicode\n");
  });
  after(async () => {
    await Promise.all([flask.stop(), fastapi.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  test("--json: every load level for both sides, CPU and RSS by port owner, differing answers on /api/users", async () => {
    const r = await cli([
      "--urls", urls, "--legacy", flask.url, "--candidate", fastapi.url,
      "--rounds", "2", "--concurrency", "1,4", "--rate", "40", "--duration", "400ms", "--html", html, "--json",
    ]); // prettier-ignore
    assert.equal(r.code, 0, r.stderr + r.stdout);
    report = JSON.parse(r.stdout) as typeof report;
    assert.equal(report.html, html);
    assert.deepEqual(report.input, { source: urls, requests: 4, kinds: 4 });
    assert.deepEqual(
      report.loads.map((l) => [l.mode, l.level]),
      [
        ["closed", 1],
        ["closed", 4],
        ["open", 40],
      ],
    );
    // gunicorn's master and both workers hold the listening socket; uvicorn is one process.
    assert.equal(report.legacy.process, `port ${flask.port}`);
    assert.ok(report.legacy.pids.includes(flask.pid) && report.legacy.pids.length >= 3, String(report.legacy.pids));
    assert.ok(report.candidate.pids.includes(fastapi.pid), String(report.candidate.pids));
    for (const l of report.loads)
      for (const side of ["legacy", "candidate"] as const) {
        const s = l[side];
        const at = `${l.mode} ${l.level} ${side}`;
        assert.equal(s.rounds.length, 2, at);
        assert.ok(s.requests > 0 && s.rps > 0, at);
        assert.equal(s.errors, 0, `${at}: ${JSON.stringify(s.outcomes)}`);
        const q = s.latencyMs;
        assert.ok(
          q.avg > 0 && q.p50 > 0 && q.p50 <= q.p95 && q.p95 <= q.p99 && q.p99 <= q.max,
          `${at} ${JSON.stringify(q)}`,
        );
        assert.ok(s.cpuPercent !== null && s.cpuPercent > 0, `${at} cpu ${s.cpuPercent}`);
        assert.ok(s.rssMiB !== null && s.rssMiB > 5, `${at} rss ${s.rssMiB}`);
        assert.ok(s.cdf.length > 10 && s.cdf.at(-1)?.[0] === 100, at);
      }
    // Open loop keeps its schedule whatever the answers do: 40/s for 400 ms = 16 sends per round.
    const open = report.loads[2];
    assert.equal(open?.legacy.requests, 32);
    assert.equal(open.candidate.requests, 32);

    const kind = (k: string) => report.parity.kinds.find((x) => x.kind === k);
    const users = kind("GET /api/users/{int}");
    assert.ok(users && users.candidateAnswers > 10, JSON.stringify(users));
    assert.equal(users.differingAnswers, users.candidateAnswers, "every candidate answer on /api/users differs");
    assert.equal(users.bodyDiffers, 1);
    assert.equal(users.statusDiffers, 0);
    assert.match(users.example?.legacy ?? "", /^200 application\/json /);
    for (const same of ["GET /api/same/{int}", "GET /api/ordered", "GET /api/unicode"])
      assert.equal(kind(same)?.differingAnswers, 0, `${same} must not differ: ${JSON.stringify(kind(same))}`);
    assert.equal(report.parity.differingAnswers, users.differingAnswers);
    assert.equal(report.parity.compared, 4);
  });

  test("the terminal table has every column for both sides; a HAR's POST bodies are sent (400 vs 422 counted); a side by pid", async () => {
    const har = join(dir, "traffic.har");
    const entry = (method: string, url: string, body?: string) => ({
      startedDateTime: "2026-01-01T00:00:00.000Z",
      time: 1,
      request: {
        method,
        url: `http://shop.example${url}`,
        httpVersion: "HTTP/1.1",
        headers: [
          { name: "Host", value: "shop.example" },
          ...(body ? [{ name: "Content-Type", value: "application/json" }] : []),
        ],
        queryString: [],
        cookies: [],
        headersSize: -1,
        bodySize: body ? body.length : 0,
        ...(body ? { postData: { mimeType: "application/json", text: body } } : {}),
      },
      response: { status: 200, statusText: "OK", httpVersion: "HTTP/1.1", headers: [], cookies: [], content: { size: 0, mimeType: "x-unknown" }, redirectURL: "", headersSize: -1, bodySize: -1 }, // prettier-ignore
      cache: {},
      timings: { send: 0, wait: 1, receive: 0 },
    });
    const log = {
      log: {
        version: "1.2",
        creator: { name: "test", version: "1" },
        entries: [entry("GET", "/api/same/3"), entry("POST", "/api/items", '{"name":"x","qty":"lots"}')],
      },
    };
    writeFileSync(har, JSON.stringify(log));
    const r = await cli([
      har, "--legacy", flask.url, "--candidate", fastapi.url, "--rounds", "1", "--concurrency", "2", "--duration", "300ms",
      "--legacy-proc", String(flask.pid),
    ]); // prettier-ignore
    assert.equal(r.code, 0, r.stderr + r.stdout);
    // By pid: the gunicorn master and its two workers (children are always added).
    const legacyLine = new RegExp(`^legacy +${flask.url} \\(pid ${flask.pid}: pid (\\d+),(\\d+),(\\d+)\\)$`, "m");
    assert.match(r.stdout, legacyLine);
    assert.match(
      r.stdout,
      new RegExp(`^candidate ${fastapi.url} \\(port ${fastapi.port}: pid ${fastapi.pid}\\)$`, "m"),
    );
    const lines = r.stdout.split("\n");
    const header = lines.findIndex((l) =>
      /^LOAD\s+SIDE\s+REQ\/S\s+AVG\s+P50\s+P95\s+P99\s+ERRORS\s+CPU\s+RSS$/.test(l),
    );
    assert.ok(header >= 0, r.stdout);
    const cells = (l: string | undefined) => (l ?? "").trim().split(/\s{2,}/);
    const legacyRow = cells(lines[header + 1]);
    const candidateRow = cells(lines[header + 2]);
    assert.deepEqual([legacyRow[0], legacyRow[1], candidateRow[0]], ["concurrency 2", "legacy", "candidate"]);
    // every column filled: req/s, avg, p50, p95, p99, errors, cpu %, rss MiB
    for (const row of [legacyRow.slice(2), candidateRow.slice(1)]) {
      assert.equal(row.length, 8, row.join(" | "));
      assert.match(row[0] ?? "", /^\d+(\.\d)?$/);
      for (const c of row.slice(1, 5)) assert.match(c, /^\d+(\.\d+)? ms$/);
      assert.match(row[6] ?? "", /^[1-9]\d*%$/, `cpu: ${row.join(" | ")}`);
      assert.match(row[7] ?? "", /^\d+\.\d MiB$/);
    }
    assert.match(lines[header + 3] ?? "", /^\s+change\s+[+-]\d/);
    const items = lines.find((l) => l.startsWith("POST /api/items"));
    // KIND LEGACY CANDIDATE DIFFERING STATUS≠ BODY≠ NOISE EXAMPLE
    const c = cells(items);
    assert.equal(c[4], "1", `status differs on POST /api/items: ${items}`);
    assert.match(c[7] ?? "", /400 application\/json \S+ → 422 application\/json/);
    assert.match(r.stdout, /answers DIFFER: \d+ candidate answer\(s\)/);
    assert.equal(cells(lines.find((l) => l.startsWith("GET /api/same/{int}")))[3], "0");
  });

  test("the HTML page draws its charts in headless Chromium, with no network", async () => {
    assert.ok(report, "needs the --json run");
    mkdirSync(SHOTS, { recursive: true });
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1240, height: 900 } });
      const requested: string[] = [];
      page.on("request", (req) => requested.push(req.url()));
      await page.goto(pathToFileURL(html).href);
      assert.deepEqual(requested, [pathToFileURL(html).href], "the page loads nothing else");
      // Evaluated in the page: each chart's size, dots, and its polylines' points and drawn length.
      const charts = await page.evaluate<ChartInfo[]>(`[...document.querySelectorAll("svg.chart")].map((s) => ({
        id: s.id,
        width: s.getBoundingClientRect().width,
        dots: s.querySelectorAll("circle").length,
        lines: [...s.querySelectorAll("polyline")].map((p) => ({
          series: p.getAttribute("data-series"), points: p.points.length, length: p.getTotalLength(),
        })),
      }))`);
      assert.deepEqual(
        charts.map((c) => c.id),
        ["throughput-closed", "throughput-open", "cdf-0", "cdf-1", "cdf-2"],
      );
      for (const c of charts) {
        assert.ok(c.width > 300, `${c.id} is laid out`);
        assert.deepEqual(
          c.lines.map((l) => l.series),
          ["legacy", "candidate"],
        );
        for (const l of c.lines) {
          assert.equal(l.points, c.id.startsWith("cdf") ? 31 : c.id === "throughput-closed" ? 2 : 1, c.id);
          if (l.points > 1) assert.ok(l.length > 10, `${c.id} ${l.series} is drawn (${l.length}px)`);
        }
        assert.equal(
          c.dots,
          c.lines.reduce((a, l) => a + l.points, 0),
          `${c.id}: a dot per data point`,
        );
      }
      assert.equal(await page.locator("#perf tbody tr").count(), 9);
      assert.match(await page.locator("#parity").innerText(), /GET \/api\/users\/\{int\}/);
      await page.screenshot({ path: join(SHOTS, "bench.png"), fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
