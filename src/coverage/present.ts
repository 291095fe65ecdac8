/**
 * How the coverage matrix is presented, shared by the CLI (`cutover coverage`), the HTML report
 * and the dashboard: one state per endpoint, one order, one grouping. Plain code with no Node
 * imports, so the dashboard bundles it as is.
 */
import type { CoverageRow, CoverageState } from "./wire.js";

export const COVERAGE_STATES: readonly { id: CoverageState; title: string; hint: string }[] = [
  { id: "not_reached", title: "Not reached", hint: "legacy served it; the candidate never answered it" },
  { id: "differing", title: "Differing", hint: "compared, with real differences" },
  { id: "never_exercised", title: "Never exercised", hint: "in the inventory; nobody called it" },
  { id: "covered", title: "Covered", hint: "the candidate answered it; no real difference" },
];

const RANK: Record<CoverageState, number> = { not_reached: 0, differing: 1, never_exercised: 2, covered: 3 };

/** "not reached": a state in words. */
export function coverageLabel(s: CoverageState): string {
  return s.replace("_", " ");
}

/** The state of an endpoint from its counts. */
export function coverageState(
  r: Pick<CoverageRow, "seen" | "legacy" | "candidate" | "mirrored" | "compared" | "differing">,
): CoverageState {
  if (r.differing > 0) return "differing";
  if (r.candidate + r.mirrored + r.compared > 0) return "covered";
  return r.legacy > 0 ? "not_reached" : "never_exercised";
}

/** Rows in matrix order: most urgent state first, then the most requests, then the endpoint. */
export function compareCoverage(a: CoverageRow, b: CoverageRow): number {
  return (
    RANK[a.state] - RANK[b.state] || b.seen + b.mirrored - (a.seen + a.mirrored) || a.endpoint.localeCompare(b.endpoint)
  );
}

export interface CoverageGroup {
  route: string;
  rows: CoverageRow[];
}

/** Rows grouped by route, each group in matrix order, the groups by their most urgent row, then by name. */
export function groupCoverage(rows: readonly CoverageRow[]): CoverageGroup[] {
  const by = new Map<string, CoverageRow[]>();
  for (const r of rows) {
    const list = by.get(r.route);
    if (list) list.push(r);
    else by.set(r.route, [r]);
  }
  const groups = [...by].map(([route, list]) => ({ route, rows: list.sort(compareCoverage) }));
  return groups.sort((a, b) => {
    const x = a.rows[0];
    const y = b.rows[0];
    return (x && y ? RANK[x.state] - RANK[y.state] : 0) || a.route.localeCompare(b.route);
  });
}
