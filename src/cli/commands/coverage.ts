import { COVERAGE_STATES, coverageLabel, groupCoverage, type CoverageView } from "../../coverage/index.js";
import { call, type AdminTarget } from "../client.js";
import { table, type CommandResult } from "../output.js";

/**
 * coverage prints the coverage matrix per endpoint: grouped by route, the endpoints the candidate
 * has not got yet first (the same grouping and order as the HTML report and the dashboard:
 * coverage/present.ts).
 */
export async function coverage(admin: AdminTarget, opts: { route?: string }): Promise<CommandResult> {
  const q = opts.route ? `?route=${encodeURIComponent(opts.route)}` : "";
  const data = await call<CoverageView>(admin, "GET", `/api/coverage${q}`);
  return { data, text: coverageText(data) };
}

export function coverageText(v: CoverageView): string {
  const head = COVERAGE_STATES.map((s) => `${v.totals[s.id]} ${s.title.toLowerCase()}`).join(", ");
  const lines = [`${v.rows.length} endpoint(s): ${head}`];
  if (v.folded > 0)
    lines.push(`${v.folded} request(s) counted under "(other endpoints)": more than ${v.limit} endpoints seen`);
  if (v.rows.length === 0) return lines.join("\n");
  const groups = groupCoverage(v.rows);
  const rows = groups.flatMap((g) =>
    g.rows.map((r) => [
      `${r.endpoint}${r.inventory ? "" : " *"}`,
      coverageLabel(r.state),
      r.seen,
      r.candidate,
      r.mirrored,
      r.compared,
      r.differing,
    ]),
  );
  // One table, so columns line up across routes; each route's endpoints under its own heading.
  const t = table(["ENDPOINT", "STATE", "SEEN", "CANDIDATE", "MIRRORED", "COMPARED", "DIFFERING"], rows).split("\n");
  lines.push("", `  ${t[0] ?? ""}`);
  let i = 1;
  for (const g of groups) {
    lines.push("", `route ${g.route || "(none)"}`);
    for (const _ of g.rows) lines.push(`  ${t[i++] ?? ""}`);
  }
  lines.push(
    "",
    "* not in the inventory: a shape seen in traffic (SEEN counts live requests; CANDIDATE those it served)",
  );
  return lines.join("\n");
}
