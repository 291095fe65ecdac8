import type { Difference } from "../diff/types.js";
import { formatRate, kindLabel, noiseLabel } from "./present.js";
import { isAtOrBelow, prettyJsonLines } from "./report-json.js";
import type { Example, FindingView, ResponseSummary } from "./types.js";

/**
 * One finding in the HTML report: a one-line summary (kind, path, rate, the latest difference)
 * that opens on the examples, side by side. Every piece of data goes through esc(): bodies,
 * headers and paths come from upstream responses and must never become markup.
 */

export function esc(s: string | number | undefined): string {
  return String(s ?? "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export const time = (ms: number): string =>
  new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");

/** What keeps the report small whatever the findings: examples and body lines per finding, and a total. */
export interface ReportLimits {
  /** Examples shown per finding (the store keeps more; the dashboard and `cutover findings --examples` show them). */
  examples: number;
  /** Lines of a pretty-printed body, characters of a text body. */
  bodyLines: number;
  bodyChars: number;
  /** Characters of example HTML in the whole report; later findings show their summary only. */
  exampleBudget: number;
}

export const REPORT_LIMITS: ReportLimits = { examples: 2, bodyLines: 80, bodyChars: 4000, exampleBudget: 600_000 };

/** A shared budget, spent as examples are rendered. */
export interface Budget {
  left: number;
  omitted: number;
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n)}…` : s);

export function findingDetails(f: FindingView, limits: ReportLimits, budget: Budget): string {
  const s = f.sample;
  const change =
    s.legacy !== undefined || s.candidate !== undefined
      ? `<span class="mono change">${esc(clip(s.legacy ?? "(absent)", 80))} → ${esc(clip(s.candidate ?? "(absent)", 80))}</span>`
      : "";
  const cls = f.noise === "real" ? "real" : "noise";
  const label = f.accepted ? `accepted` : noiseLabel(f.noise);
  const head = `<summary><span class="kind ${cls}">${esc(kindLabel(f.kind))}</span> <span class="mono path">${esc(f.groupPath)}</span>
<span class="meta">${esc(formatRate(f.rate))} · ${f.count} req · <span class="${cls}">${esc(label)}</span></span>${change ? `<br>${change}` : ""}${s.detail ? `<br><span class="note">${esc(s.detail)}</span>` : ""}</summary>`;
  const accepted = f.accepted
    ? `<p class="ok">Accepted by ${esc(f.accepted.by)} (${esc(time(f.accepted.at))}): ${esc(f.accepted.reason)}</p>`
    : "";
  const why = f.noiseReason ? `<p class="note">Why ${esc(label)}: ${esc(f.noiseReason)}</p>` : "";
  const classes = `real ${f.noiseCounts.real}, noise (secondary) ${f.noiseCounts.noise_secondary}, noise (generated) ${f.noiseCounts.noise_generated}`;
  const meta = `<p class="note">Finding <span class="mono">${esc(f.id)}</span> · kind <span class="mono">${esc(f.kind)}</span> · first seen ${esc(time(f.firstSeen))}, last seen ${esc(time(f.lastSeen))} · classified ${esc(classes)}.</p>`;
  let examples = "";
  const shown = f.examples.slice(0, limits.examples);
  for (const e of shown) {
    const html = exampleHtml(e, limits);
    if (html.length > budget.left) {
      budget.omitted++;
      examples += `<p class="note">Further examples left out to keep the report small: <span class="mono">cutover findings --examples</span> or the dashboard show them.</p>`;
      break;
    }
    budget.left -= html.length;
    examples += html;
  }
  if (f.examples.length > shown.length)
    examples += `<p class="note">${f.examples.length - shown.length} more example(s) kept in the store.</p>`;
  return `<details class="finding" id="f-${esc(f.id)}">${head}
<div class="finding-body">${accepted}${why}${meta}
${examples || `<p class="muted">No examples kept.</p>`}</div></details>`;
}

function exampleHtml(e: Example, limits: ReportLimits): string {
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
<div class="sides">${sideHtml("legacy", e.legacy, e.differences, limits)}${sideHtml("candidate", e.candidate, e.differences, limits)}</div>
${e.masked.length ? `<p class="note">Masked: ${esc(e.masked.join("; "))}</p>` : ""}</div>`;
}

function sideHtml(name: string, r: ResponseSummary, diffs: readonly Difference[], limits: ReportLimits): string {
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
${bodyHtml(r, paths, bodyChanged, limits)}${notes.length ? `<p class="note">${esc(notes.join("; "))}</p>` : ""}</div>`;
}

function bodyHtml(r: ResponseSummary, paths: readonly string[], changed: boolean, limits: ReportLimits): string {
  if (r.bodyKind === "empty") return `<p class="note">(empty body)</p>`;
  const lines = r.bodyKind === "json" && !r.previewTruncated ? prettyJsonLines(r.body) : undefined;
  if (lines) {
    const jsonPaths = paths.filter((p) => p.startsWith("$"));
    const marked = lines.map((l) => ({ text: l.text, hl: jsonPaths.some((p) => isAtOrBelow(l.path, p)) }));
    // Long bodies: the lines around the first highlighted one, within the line limit.
    const first = Math.max(
      0,
      marked.findIndex((l) => l.hl),
    );
    const start =
      marked.length > limits.bodyLines ? Math.max(0, Math.min(first - 10, marked.length - limits.bodyLines)) : 0;
    const kept = marked.slice(start, start + limits.bodyLines);
    const html = kept.map((l) => `<span class="line${l.hl ? " hl" : ""}">${esc(l.text)}</span>`).join("");
    const cut = marked.length - kept.length;
    return `<pre class="body">${html}</pre>${cut > 0 ? `<p class="note">${cut} of ${marked.length} lines not shown.</p>` : ""}`;
  }
  return `<pre class="body${changed ? " hl" : ""}">${esc(clip(r.body, limits.bodyChars))}</pre>`;
}
