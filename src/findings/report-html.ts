import {
  countBySeverity,
  endpointOf,
  formatRate,
  groupByEndpoint,
  kindLabel,
  SEVERITIES,
  severityOf,
} from "./present.js";
import type { ReportData } from "./report-data.js";
import { coverageSection } from "./report-coverage.js";
import { REPORT_CSS } from "./report-css.js";
import { esc, findingDetails, REPORT_LIMITS, time, type Budget, type ReportLimits } from "./report-finding.js";
import type { FindingView, RouteSummary } from "./types.js";

export { esc, REPORT_LIMITS, type ReportLimits } from "./report-finding.js";
export { formatRate } from "./present.js";

/**
 * renderHtmlReport: the findings as one self-contained HTML document (inline CSS, no scripts,
 * no external assets), for a reviewer: a summary first (endpoints compared, real differences by
 * how likely they break clients), the coverage matrix per endpoint, then the findings grouped by endpoint, each collapsed on its
 * examples; noise, accepted and ignored ones apart. Fits a 1280 px window without horizontal
 * scrolling and stays within a size budget (REPORT_LIMITS) however many findings there are.
 */
export function renderHtmlReport(data: ReportData, limits: ReportLimits = REPORT_LIMITS): string {
  const visible = data.findings.filter((f) => !f.ignored);
  const real = visible.filter((f) => f.noise === "real" && !f.accepted);
  const noise = visible.filter((f) => f.noise !== "real" && !f.accepted);
  const accepted = visible.filter((f) => f.accepted);
  const ignored = data.findings.filter((f) => f.ignored);
  const budget: Budget = { left: limits.exampleBudget, omitted: 0 };
  const realHtml = real.length
    ? endpointSections(real, data.routes, limits, budget)
    : `<p class="ok">No real differences.</p>`;
  // Noise and accepted findings come after every real one, so they get what the budget has left.
  const noiseHtml = noise.length
    ? endpointSections(noise, data.routes, { ...limits, examples: 1 }, budget)
    : `<p class="muted">None.</p>`;
  const acceptedHtml = accepted.length
    ? endpointSections(accepted, data.routes, { ...limits, examples: 1 }, budget)
    : `<p class="muted">None.</p>`;
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
<p class="muted">Generated ${esc(time(data.generatedAt))}</p>
${summarySection(data, real, noise.length, accepted.length, ignored.length)}
${coverageSection(data.coverage)}
<h2 id="real">Real differences by endpoint</h2>
<p class="note">Most client-breaking first; each finding opens on its examples, legacy and candidate side by side.</p>
${realHtml}
<h2 id="noise">Noise (shown apart, not counted)</h2>
<p class="note">Differences that legacy also shows against itself (legacy-secondary), or at fields whose legacy value is generated per request. A format change is never noise.</p>
${noiseHtml}
<h2 id="accepted">Accepted (not counted)</h2>
${acceptedHtml}
${ignored.length ? ignoredSection(ignored) : ""}
${routesSection(data.routes)}
${presetsSection(data)}
${redactionSection(data)}
</body>
</html>
`;
}

function summarySection(
  data: ReportData,
  real: readonly FindingView[],
  noise: number,
  accepted: number,
  ignored: number,
): string {
  const compared = data.routes.filter((r) => r.mirrored > 0);
  const mirrored = compared.reduce((n, r) => n + r.mirrored, 0);
  const endpointsWithReal = new Set(real.map((f) => `${f.routeName}\u0000${endpointOf(f)}`)).size;
  const counts = countBySeverity(real);
  const rows = SEVERITIES.map((s) => {
    const fs = real.filter((f) => severityOf(f.kind) === s.id);
    const kinds = [...new Set(fs.map((f) => kindLabel(f.kind)))].join(", ");
    const eps = new Set(fs.map((f) => endpointOf(f))).size;
    return `<tr class="${counts[s.id] ? "" : "muted"}"><td><a href="#real">${esc(s.title)}</a><br><span class="note">${esc(s.hint)}</span></td>
<td class="num ${counts[s.id] && s.id !== "addition" ? "real" : ""}">${counts[s.id]}</td><td class="num">${eps}</td><td>${esc(kinds || "–")}</td></tr>`;
  }).join("\n");
  const top = groupByEndpoint(real)
    .slice(0, 8)
    .map((g) => {
      const f = g.items[0];
      if (!f) return "";
      return `<li><span class="mono">${esc(g.endpoint)}</span>: <a href="#f-${esc(f.id)}">${esc(kindLabel(f.kind))} <span class="mono">${esc(f.groupPath)}</span></a> <span class="muted">${esc(formatRate(f.rate))}${g.items.length > 1 ? ` · ${g.items.length - 1} more` : ""}</span></li>`;
    })
    .join("");
  return `<section class="summary" id="summary"><h2>Summary</h2>
<p class="lead"><b>${compared.length}</b> endpoint(s) compared on <b>${mirrored}</b> mirrored request(s); <b class="${endpointsWithReal ? "real" : "ok"}">${endpointsWithReal}</b> with real differences (<b>${real.length}</b> finding(s)).
<span class="muted">${noise} noise, ${accepted} accepted, ${ignored} hidden by diff.ignore: listed apart, not counted.</span></p>
<table class="severity"><thead><tr><th>real differences, by how likely they break clients</th><th class="num">findings</th><th class="num">endpoints</th><th>kinds</th></tr></thead>
<tbody>${rows}</tbody></table>
${top ? `<h3>Where to look first</h3><ul class="top">${top}</ul>` : ""}
<p class="note">Endpoints never mirrored do not appear here: the <a href="#coverage">coverage by endpoint</a> below lists every endpoint, called or not; the comparison table is at the <a href="#routes">end</a>.</p></section>`;
}

function endpointSections(
  list: readonly FindingView[],
  routes: readonly RouteSummary[],
  limits: ReportLimits,
  budget: Budget,
): string {
  return groupByEndpoint(list)
    .map((g) => {
      const r = routes.find((x) => x.routeName === g.routeName && endpointOf(x) === g.endpoint);
      const stats = r ? ` · ${r.mirrored} mirrored · ${r.differing} differing · ${esc(formatRate(r.rate))}` : "";
      return `<section class="endpoint"><h3><span class="mono">${esc(g.endpoint)}</span> <span class="muted">route ${esc(g.routeName)}${stats}</span></h3>
${g.items.map((f) => findingDetails(f, limits, budget)).join("\n")}</section>`;
    })
    .join("\n");
}

function routesSection(routes: readonly RouteSummary[]): string {
  const rows = routes
    .map(
      (
        r,
      ) => `<tr><td class="mono">${esc(endpointOf(r))}</td><td>${esc(r.routeName)}</td><td class="num">${r.mirrored}</td>
<td class="num">${r.differing}</td><td class="num">${esc(formatRate(r.rate))}</td>
<td class="num">${r.findings.real}</td><td class="num">${r.findings.noise}</td><td class="num">${r.findings.accepted}</td></tr>`,
    )
    .join("\n");
  return `<h2 id="routes">Endpoints compared</h2>
<table><thead><tr><th>endpoint</th><th>route</th><th class="num">mirrored</th><th class="num">differing</th>
<th class="num">mismatch rate</th><th class="num">real</th><th class="num">noise</th><th class="num">accepted</th></tr></thead>
<tbody>${rows || `<tr><td colspan="8" class="muted">No mirrored requests yet.</td></tr>`}</tbody></table>
<p class="note">Differing: mirrored requests with at least one real, unaccepted difference.</p>`;
}

function ignoredSection(fs: readonly FindingView[]): string {
  const items = fs.map(
    (f) =>
      `<li><span class="mono">${esc(f.id)}</span> <span class="mono">${esc(endpointOf(f))}</span> <span class="kind">${esc(kindLabel(f.kind))}</span> <span class="mono">${esc(f.groupPath)}</span> (${f.count})</li>`,
  );
  return `<h2 id="ignored">Hidden by diff.ignore</h2><p class="note">Recorded before an ignore rule covered them; kept, not counted.</p><ul>${items.join("")}</ul>`;
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
