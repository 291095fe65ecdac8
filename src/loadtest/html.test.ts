import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderBenchHtml } from "./html.js";
import type { BenchReport, SideResult } from "./run.js";

const side = (over: Partial<SideResult> = {}): SideResult => ({
  requests: 10,
  errors: 0,
  rps: 100,
  latencyMs: { avg: 2, p50: 1.5, p95: 4, p99: 6, max: 9 },
  cpuPercent: 40,
  rssMiB: 30,
  clientCpuPercent: 10,
  outcomes: { "2xx": 10 },
  rounds: [],
  cdf: [
    [0, 0.5],
    [50, 1.5],
    [100, 9],
  ],
  ...over,
});

const report = (over: Partial<BenchReport> = {}): BenchReport => ({
  startedAt: "2026-01-01T00:00:00.000Z",
  input: { source: "urls.txt", requests: 1, kinds: 1 },
  settings: { rounds: 1, concurrency: [1], rates: [], durationMs: 1000, timeoutMs: 10_000 },
  legacy: { url: "http://127.0.0.1:5000", process: "port 5000", pids: [1] },
  candidate: { url: "http://10.0.0.2:8000", process: null, pids: [] },
  loads: [{ mode: "closed", level: 1, legacy: side(), candidate: side({ cpuPercent: null, rssMiB: null }) }],
  parity: { compared: 0, differingAnswers: 0, kinds: [] },
  ...over,
});

describe("bench HTML page", () => {
  it("is self-contained: no script, no external reference", () => {
    const html = renderBenchHtml(report());
    assert.doesNotMatch(html, /<script|<link|src=|href=|@import|url\(/i);
    assert.match(html, /<svg class="chart" id="throughput-closed"/);
    assert.match(html, /<svg class="chart" id="cdf-0"/);
    assert.match(html, /CPU\/RSS not measured/, "a remote side says it was not measured");
    assert.match(html, /<td>n\/a<\/td>/);
  });

  it("escapes everything that comes from the input or the upstreams", () => {
    const evil = "<img src=x onerror=alert(1)>";
    const html = renderBenchHtml(
      report({
        input: { source: evil, requests: 1, kinds: 1 },
        parity: {
          compared: 1,
          differingAnswers: 1,
          kinds: [
            {
              kind: `GET /${evil}`,
              legacyAnswers: 1,
              candidateAnswers: 1,
              differingAnswers: 1,
              statusDiffers: 1,
              bodyDiffers: 0,
              unstable: 0,
              example: { method: "GET", path: `/${evil}`, legacy: "200 - empty", candidate: `500 ${evil} x` },
            },
          ],
        },
      }),
    );
    assert.doesNotMatch(html, /<img/);
    assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  });

  it("draws a side with no answers as an empty line instead of failing", () => {
    const empty = side({
      requests: 5,
      errors: 5,
      rps: 0,
      cdf: [],
      latencyMs: { avg: 0, p50: 0, p95: 0, p99: 0, max: 0 },
    });
    const html = renderBenchHtml(report({ loads: [{ mode: "open", level: 50, legacy: side(), candidate: empty }] }));
    assert.match(html, /data-series="candidate" data-points="0"/);
    assert.match(html, /data-series="legacy" data-points="3"/);
    assert.doesNotMatch(html, /NaN|Infinity/);
  });
});
