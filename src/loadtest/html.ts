import { esc } from "../findings/report-html.js";
import { changeCells, COLUMNS, loadLabel, sideCells } from "./format.js";
import type { BenchReport, LoadResult } from "./run.js";
import { lineChart, type Series } from "./svg.js";

/**
 * renderBenchHtml: the bench report as one self-contained page (inline CSS and SVG, no script, no
 * external asset): the side-by-side table, a latency CDF per load level, throughput per
 * concurrency (and per target rate), and the answers that differ. Every value from the input or
 * the upstreams goes through esc().
 */

const COLOR = { legacy: "#2563eb", candidate: "#ea580c" } as const;

const CSS = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#111;max-width:1200px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}.muted{color:#666}
table{border-collapse:collapse;margin:8px 0}th,td{padding:4px 10px;border-bottom:1px solid #e5e5e5;text-align:right;white-space:nowrap}
th:first-child,td:first-child,td.l{text-align:left}tr.change td{color:#666;font-size:12px}
.warn{background:#fff4e5;border-left:4px solid #ea580c;padding:8px 12px}.ok{background:#ecfdf3;border-left:4px solid #16a34a;padding:8px 12px}
.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0}figcaption{font-weight:600;margin-bottom:4px}
svg .grid{stroke:#eee}svg .frame{fill:none;stroke:#999}svg .tick{font-size:11px;fill:#555}
svg .label{font-size:12px;fill:#333}svg .legend{font-size:12px;fill:#111}code{font-size:12px}`;

function perfTable(r: BenchReport): string {
  const rows = r.loads.map((l) => {
    const row = (side: string, cells: string[], cls = ""): string =>
      `<tr class="${cls}"><td>${cls ? "" : esc(side === "legacy" ? loadLabel(l) : "")}</td><td class="l">${esc(side)}</td>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`;
    return (
      row("legacy", sideCells(l.legacy)) +
      row("candidate", sideCells(l.candidate)) +
      row("change", changeCells(l.legacy, l.candidate), "change")
    );
  });
  const head = ["load", "side", ...COLUMNS].map((h) => `<th>${esc(h.toLowerCase())}</th>`).join("");
  return `<table id="perf"><thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function cdfChart(l: LoadResult, i: number): string {
  const series: Series[] = (["legacy", "candidate"] as const).map((side) => ({
    name: side,
    color: COLOR[side],
    points: l[side].cdf.map(([p, ms]): [number, number] => [ms, p]),
  }));
  return lineChart({
    id: `cdf-${i}`,
    title: `Latency CDF · ${loadLabel(l)}`,
    xLabel: "latency (ms, log scale)",
    yLabel: "percentile",
    series,
    xLog: true,
    yRange: [0, 100],
  });
}

function throughputChart(r: BenchReport, mode: "closed" | "open"): string {
  const loads = r.loads.filter((l) => l.mode === mode);
  if (loads.length === 0) return "";
  const series: Series[] = (["legacy", "candidate"] as const).map((side) => ({
    name: side,
    color: COLOR[side],
    points: loads.map((l): [number, number] => [l.level, l[side].rps]),
  }));
  return lineChart({
    id: `throughput-${mode}`,
    title: mode === "closed" ? "Throughput per concurrency (closed loop)" : "Throughput per target rate (open loop)",
    xLabel: mode === "closed" ? "concurrency" : "target req/s",
    yLabel: "req/s",
    series,
    xTicksAtData: true,
  });
}

function parityBlock(r: BenchReport): string {
  const p = r.parity;
  const banner =
    p.differingAnswers === 0
      ? `<p class="ok">No answer differs between the sides (${p.compared} request(s) compared by status and body fingerprint).</p>`
      : `<p class="warn"><b>${p.differingAnswers} candidate answer(s) differ</b> from legacy's. Numbers of a side that answers differently are not comparable for those requests.</p>`;
  const rows = p.kinds
    .map(
      (k) =>
        `<tr><td>${esc(k.kind)}</td><td>${k.legacyAnswers}</td><td>${k.candidateAnswers}</td><td>${k.differingAnswers}</td><td>${k.statusDiffers}</td><td>${k.bodyDiffers}</td><td>${k.unstable}</td><td class="l">${
          k.example
            ? `<code>${esc(`${k.example.method} ${k.example.path}`)}</code>: ${esc(k.example.legacy)} → ${esc(k.example.candidate)}`
            : ""
        }</td></tr>`,
    )
    .join("");
  return `${banner}<table id="parity"><thead><tr><th>kind</th><th>legacy answers</th><th>candidate answers</th><th>differing</th><th>status ≠</th><th>body ≠</th><th>noise</th><th>example</th></tr></thead><tbody>${rows}</tbody></table>
<p class="muted">Fingerprint = status, media type and a hash of the decoded body in canonical form (JSON key order, whitespace and escapes do not count). "noise": legacy's own body varies between answers, so only statuses are compared there.</p>`;
}

export function renderBenchHtml(r: BenchReport): string {
  const s = r.settings;
  const side = (x: BenchReport["legacy"]): string =>
    `${esc(x.url)} <span class="muted">(${x.process ? `${esc(x.process)}, pid ${esc(x.pids.join(", ") || "none found")}` : "CPU/RSS not measured"})</span>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>cutover bench · legacy vs candidate</title><style>${CSS}</style></head>
<body>
<h1>cutover bench · legacy vs candidate</h1>
<p class="muted">${esc(r.startedAt)} · ${r.input.requests} request(s), ${r.input.kinds} kind(s) from <code>${esc(r.input.source)}</code> · ${s.rounds} round(s) × ${s.durationMs} ms per side and load, interleaved</p>
<p><b style="color:${COLOR.legacy}">legacy</b> ${side(r.legacy)}<br><b style="color:${COLOR.candidate}">candidate</b> ${side(r.candidate)}</p>
<h2>Answers</h2>
${parityBlock(r)}
<h2>Side by side</h2>
${perfTable(r)}
<p class="muted">errors = transport failures and 5xx · CPU = the side's processes (children summed) in % of one core · RSS = peak resident memory · open-loop latency is measured from each request's intended send time.</p>
<h2>Throughput</h2>
<div class="charts">${throughputChart(r, "closed")}${throughputChart(r, "open")}</div>
<h2>Latency</h2>
<div class="charts">${r.loads.map(cdfChart).join("")}</div>
</body></html>
`;
}
