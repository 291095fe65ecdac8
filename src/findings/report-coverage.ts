import { COVERAGE_STATES, coverageLabel, groupCoverage } from "../coverage/present.js";
import type { CoverageState, CoverageView } from "../coverage/wire.js";
import { esc } from "./report-finding.js";

/** Rows the report lists at most (most urgent first); the rest are counted, `cutover coverage` lists all. */
export const COVERAGE_ROWS = 400;

const TONE: Record<CoverageState, string> = {
  not_reached: "real",
  differing: "real",
  never_exercised: "muted",
  covered: "ok",
};

/**
 * The coverage matrix section of the HTML report: per endpoint, grouped by route, the endpoints
 * the candidate has not got yet first (coverage/present.ts, as in the CLI and the dashboard).
 */
export function coverageSection(v: CoverageView | undefined, maxRows = COVERAGE_ROWS): string {
  if (!v) return "";
  const totals = COVERAGE_STATES.map(
    (s) =>
      `<li><b class="${v.totals[s.id] && s.id !== "covered" ? TONE[s.id] : ""}">${v.totals[s.id]}</b> ${esc(s.title.toLowerCase())} <span class="note">${esc(s.hint)}</span></li>`,
  ).join("");
  let left = maxRows;
  const body = groupCoverage(v.rows)
    .map((g) => {
      const shown = g.rows.slice(0, Math.max(0, left));
      left -= shown.length;
      if (shown.length === 0) return "";
      const rows = shown
        .map(
          (
            r,
          ) => `<tr><td class="mono">${esc(r.endpoint)}${r.inventory ? "" : ` <span class="note" title="seen in traffic, not in the inventory">shape</span>`}</td>
<td class="${TONE[r.state]}">${esc(coverageLabel(r.state))}</td><td class="num">${r.seen}</td><td class="num">${r.candidate}</td>
<td class="num">${r.mirrored}</td><td class="num">${r.compared}</td><td class="num ${r.differing ? "real" : ""}">${r.differing}</td></tr>`,
        )
        .join("\n");
      return `<tr class="group"><th colspan="7">route ${esc(g.route || "(none)")}</th></tr>\n${rows}`;
    })
    .join("\n");
  const hidden = v.rows.length - Math.min(v.rows.length, maxRows);
  return `<section id="coverage"><h2>Coverage by endpoint</h2>
<ul class="totals">${totals}</ul>
<table class="coverage"><thead><tr><th>endpoint</th><th>state</th><th class="num">seen</th><th class="num">candidate</th>
<th class="num">mirrored</th><th class="num">compared</th><th class="num">differing</th></tr></thead>
<tbody>${body || `<tr><td colspan="7" class="muted">No endpoint known or seen yet.</td></tr>`}</tbody></table>
${hidden > 0 ? `<p class="note">${hidden} more endpoint(s), all less urgent, are not listed here: <span class="mono">cutover coverage</span> lists every one.</p>` : ""}
${v.folded > 0 ? `<p class="note">${v.folded} request(s) were counted under "(other endpoints)": more than ${v.limit} endpoints were seen.</p>` : ""}
<p class="note">Seen: live requests (legacy and candidate). Candidate: live requests the candidate served. Mirrored: copies sent to the candidate; compared: those diffed; differing: with a real, unaccepted difference. "shape": seen in traffic, not listed by the inventory.</p></section>`;
}
