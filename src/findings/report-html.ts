import type { Difference } from "../diff/types.js";
import type { ReportData } from "./report-data.js";
import { REPORT_CSS } from "./report-css.js";
import { isAtOrBelow, prettyJsonLines } from "./report-json.js";
import type { Example, FindingView, Rate, ResponseSummary } from "./types.js";

/**
 * renderHtmlReport: the findings as one self-contained HTML document (inline CSS, no scripts,
 * no external assets). Every piece of data goes through esc(): bodies, headers and paths come
 * from upstream responses and must never become markup.
 */

export function esc(s: string | number | undefined): string {
  return String(s ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const pct = (x: number): string => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 2)}%`;
const time = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");

export function formatRate(r: Rate): string {
  return `${pct(r.rate)} (95% CI ${pct(r.low)}–${pct(r.high)})`;
}

const NOISE_LABEL: Record<FindingView["noise"], string> = {
  real: "real",
  noise_secondary: "noise: legacy differs from itself",
  noise_generated: "probable noise: generated value",
};

export function renderHtmlReport(data: ReportData): string {
  const visible = data.findings.filter((f) => !f.ignored);
  const real = visible.filter((f) => f.noise === "real" && !f.accepted);
  const noise = visible.filter((f) => f.noise !== "real" && !f.accepted);
  const accepted = visible.filter((f) => f.accepted);
  const ignored = data.findings.filter((f) => f.ignored);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(data.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<h1>${esc(data.title)}</h1>
<p class="muted">Generated ${esc(time(data.generatedAt))} · ${real.length} real finding(s), ${noise.length} noise, ${accepted.length} accepted, ${ignored.length} ignored by config</p>
${routesSection(data)}
<h2 id="real">Findings</h2>
${real.length ? findingsTable(real) + real.map(findingDetails).join("\n") : `<p class="ok">No real differences.</p>`}
<h2 id="noise">Noise (shown apart, not counted)</h2>
<p class="note">Differences that legacy also shows against itself (legacy-secondary), or at fields whose legacy value is generated per request.</p>
${noise.length ? findingsTable(noise, true) + noise.map(findingDetails).join("\n") : `<p class="muted">None.</p>`}
<h2 id="accepted">Accepted (not counted)</h2>
${accepted.length ? acceptedTable(accepted) + accepted.map(findingDetails).join("\n") : `<p class="muted">None.</p>`}
${ignored.length ? ignoredSection(ignored) : ""}
${presetsSection(data)}
${redactionSection(data)}
</body>
</html>
`;
}

function routesSection(data: ReportData): string {
  const rows = data.routes
    .map(
      (r) => `<tr><td>${esc(r.routeName)}</td><td class="mono">${esc(r.template)}</td><td class="num">${r.mirrored}</td>
<td class="num">${r.differing}</td><td class="num">${esc(formatRate(r.rate))}</td>
<td class="num">${r.findings.real}</td><td class="num">${r.findings.noise}</td><td class="num">${r.findings.accepted}</td></tr>`,
    )
    .join("\n");
  return `<h2 id="routes">Routes</h2>
<table><thead><tr><th>route</th><th>template</th><th class="num">mirrored</th><th class="num">differing</th>
<th class="num">mismatch rate</th><th class="num">real</th><th class="num">noise</th><th class="num">accepted</th></tr></thead>
<tbody>${rows || `<tr><td colspan="8" class="muted">No mirrored requests yet.</td></tr>`}</tbody></table>
<p class="note">Differing: mirrored requests with at least one real, unaccepted difference.</p>`;
}

function findingsTable(fs: FindingView[], withClass = false): string {
  const rows = fs
    .map(
      (
        f,
      ) => `<tr><td class="mono"><a href="#f-${esc(f.id)}">${esc(f.id)}</a></td><td>${esc(f.routeName)}<br><span class="mono muted">${esc(f.template)}</span></td>
<td><span class="kind">${esc(f.kind)}</span></td><td class="mono">${esc(f.groupPath)}</td>
<td class="num">${esc(formatRate(f.rate))}</td><td class="num">${f.count}</td>
<td class="num">${esc(time(f.firstSeen))}<br>${esc(time(f.lastSeen))}</td>${withClass ? `<td class="noise">${esc(NOISE_LABEL[f.noise])}<br><span class="note">${esc(f.noiseReason)}</span></td>` : ""}</tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>id</th><th>route</th><th>kind</th><th>path</th><th class="num">rate</th><th class="num">requests</th>
<th class="num">first / last seen</th>${withClass ? "<th>why</th>" : ""}</tr></thead><tbody>${rows}</tbody></table>`;
}

function acceptedTable(fs: FindingView[]): string {
  const rows = fs
    .map(
      (f) => `<tr><td class="mono"><a href="#f-${esc(f.id)}">${esc(f.id)}</a></td><td>${esc(f.routeName)}</td>
<td><span class="kind">${esc(f.kind)}</span></td><td class="mono">${esc(f.groupPath)}</td><td class="num">${f.count}</td>
<td>${esc(f.accepted?.reason)}</td><td>${esc(f.accepted?.by)}<br><span class="muted">${esc(f.accepted ? time(f.accepted.at) : "")}</span></td></tr>`,
    )
    .join("\n");
  return `<table><thead><tr><th>id</th><th>route</th><th>kind</th><th>path</th><th class="num">requests</th><th>reason</th><th>accepted by</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function ignoredSection(fs: FindingView[]): string {
  const items = fs.map(
    (f) =>
      `<li><span class="mono">${esc(f.id)}</span> ${esc(f.routeName)} <span class="kind">${esc(f.kind)}</span> <span class="mono">${esc(f.groupPath)}</span> (${f.count})</li>`,
  );
  return `<h2 id="ignored">Hidden by diff.ignore</h2><p class="note">Recorded before an ignore rule covered them; kept, not counted.</p><ul>${items.join("")}</ul>`;
}

function findingDetails(f: FindingView): string {
  const s = f.sample;
  const sample = `<p class="mono">${s.legacy !== undefined ? `legacy: ${esc(s.legacy)}` : "legacy: (absent)"}<br>${s.candidate !== undefined ? `candidate: ${esc(s.candidate)}` : "candidate: (absent)"}${s.detail ? `<br><span class="note">${esc(s.detail)}</span>` : ""}</p>`;
  const accepted = f.accepted ? `<p class="ok">Accepted by ${esc(f.accepted.by)}: ${esc(f.accepted.reason)}</p>` : "";
  const classes = `real ${f.noiseCounts.real}, noise (secondary) ${f.noiseCounts.noise_secondary}, noise (generated) ${f.noiseCounts.noise_generated}`;
  return `<details class="finding" id="f-${esc(f.id)}"><summary><h3><span class="kind">${esc(f.kind)}</span> <span class="mono">${esc(f.groupPath)}</span></h3>
<span class="muted"> · ${esc(f.routeName)} · ${esc(formatRate(f.rate))} · ${f.count} request(s) · <span class="${f.noise === "real" ? "real" : "noise"}">${esc(NOISE_LABEL[f.noise])}</span></span></summary>
<div class="finding-body">${accepted}${sample}<p class="note">Classified: ${esc(classes)}.</p>
${f.examples.map(exampleHtml).join("\n") || `<p class="muted">No examples kept.</p>`}</div></details>`;
}

function exampleHtml(e: Example): string {
  const reqHeaders = Object.entries(e.requestHeaders)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(Array.isArray(v) ? v.join(", ") : v)}</td></tr>`)
    .join("");
  const diffs = e.differences
    .map(
      (d) =>
        `<li><span class="kind">${esc(d.kind)}</span> <span class="mono">${esc(d.path)}</span>${d.legacy !== undefined || d.candidate !== undefined ? `: <span class="mono">${esc(d.legacy ?? "(absent)")} → ${esc(d.candidate ?? "(absent)")}</span>` : ""}${d.detail ? ` <span class="note">${esc(d.detail)}</span>` : ""}</li>`,
    )
    .join("");
  return `<div class="example"><div class="mono"><b>${esc(e.method)} ${esc(e.path)}</b> <span class="muted">· ${esc(time(e.at))} · exchange ${esc(e.exchangeId)}</span></div>
${reqHeaders ? `<details><summary class="note">request headers</summary><table class="headers">${reqHeaders}</table></details>` : ""}
<ul class="diffs">${diffs}</ul>
<div class="sides">${sideHtml("legacy", e.legacy, e.differences)}${sideHtml("candidate", e.candidate, e.differences)}</div>
${e.masked.length ? `<p class="note">Masked: ${esc(e.masked.join("; "))}</p>` : ""}</div>`;
}

function sideHtml(name: string, r: ResponseSummary, diffs: readonly Difference[]): string {
  const paths = diffs.map((d) => d.path);
  const hl = (on: boolean): string => (on ? ` class="hl"` : "");
  const status = r.error
    ? `<div class="hl mono">no response: ${esc(r.error)}</div>`
    : `<div class="mono"><span${hl(paths.includes("status"))}>${r.status}</span> <span class="muted">${esc(r.mediaType)} · ${r.bodyBytes} bytes · ${Math.round(r.totalMs)} ms</span></div>`;
  const headers = Object.entries(r.headers)
    .map(
      ([k, v]) =>
        `<tr${hl(paths.includes(`header:${k}`))}><td>${esc(k)}</td><td>${esc(Array.isArray(v) ? v.join(", ") : v)}</td></tr>`,
    )
    .join("");
  const bodyChanged = diffs.some((d) => d.path === "body" || d.path.startsWith("sse"));
  const notes = [
    r.previewTruncated ? "preview cut at the size cap" : "",
    r.captureTruncated ? "capture truncated by the mirror" : "",
  ].filter(Boolean);
  return `<div class="side"><h4>${esc(name)}</h4>${status}
${headers ? `<details><summary class="note">response headers</summary><table class="headers">${headers}</table></details>` : ""}
${bodyHtml(r, paths, bodyChanged)}${notes.length ? `<p class="note">${esc(notes.join("; "))}</p>` : ""}</div>`;
}

function bodyHtml(r: ResponseSummary, paths: readonly string[], changed: boolean): string {
  if (r.bodyKind === "empty") return `<p class="note">(empty body)</p>`;
  const lines = r.bodyKind === "json" && !r.previewTruncated ? prettyJsonLines(r.body) : undefined;
  if (lines) {
    const jsonPaths = paths.filter((p) => p.startsWith("$"));
    const html = lines
      .map(
        (l) => `<span class="line${jsonPaths.some((p) => isAtOrBelow(l.path, p)) ? " hl" : ""}">${esc(l.text)}</span>`,
      )
      .join("");
    return `<pre class="body">${html}</pre>`;
  }
  return `<pre class="body${changed ? " hl" : ""}">${esc(r.body)}</pre>`;
}

function presetsSection(data: ReportData): string {
  const presets = data.presets
    .map((p) => `<h3>${esc(p.name)}</h3><ul>${p.rules.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>`)
    .join("\n");
  return `<h2 id="presets">Normalisation rules applied</h2>
<p class="note">Byte-only drift that these rules treat as equal. Nothing else is normalised.</p>${presets}
<h3>Reported on purpose (client-visible, never normalised)</h3><ul>${data.reportedOnPurpose.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>`;
}

function redactionSection(data: ReportData): string {
  const r = data.redaction;
  const masked = r.masked.map(([m, n]) => `<li class="mono">${esc(m)} <span class="muted">× ${n}</span></li>`).join("");
  return `<h2 id="redaction">Redaction</h2>
<p>Headers always masked: <span class="mono">${esc(r.headers.join(", "))}</span></p>
<p>Configured JSON paths: <span class="mono">${esc(r.paths.join(", ") || "(none)")}</span></p>
<ul>${r.heuristics.map((h) => `<li>${esc(h)}</li>`).join("")}</ul>
<h3>Masked in the examples above</h3>${masked ? `<ul>${masked}</ul>` : `<p class="muted">Nothing.</p>`}`;
}
