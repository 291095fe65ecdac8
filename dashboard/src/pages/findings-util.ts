// Findings helpers: formatting, classes, filtering and grouping for the list.
import type { Tone } from "../components/ui";
import { groupByEndpoint as groupFindings } from "../../../src/findings/present.js";
import type { Finding, NoiseClass } from "../types";

// Rate, noise and kind wording, severity order and grouping are the server's own (shared with the
// CLI and the HTML report), so the three never drift apart.
export { formatRate as fmtRate, kindLabel, noiseLabel } from "../../../src/findings/present.js";
export const noiseTone = (n: NoiseClass): Tone => (n === "real" ? "bad" : "muted");

export type Section = "open" | "accepted" | "noise";

/** Which part of the list a finding belongs in: noise and accepted ones are shown apart. */
export function sectionOf(f: Finding): Section {
  if (f.accepted) return "accepted";
  return f.noise === "real" ? "open" : "noise";
}

export interface Filter {
  route: string;
  kind: string;
  noise: boolean;
  q: string;
}

export function matches(f: Finding, flt: Filter): boolean {
  if (flt.route && f.routeName !== flt.route) return false;
  if (flt.kind && f.kind !== flt.kind) return false;
  if (!flt.noise && sectionOf(f) === "noise") return false;
  const q = flt.q.trim().toLowerCase();
  if (!q) return true;
  const hay = [f.id, f.routeName, f.template, f.kind, f.groupPath, f.sample.detail ?? "", f.accepted?.reason ?? ""];
  return hay.some((h) => h.toLowerCase().includes(q));
}

export interface Group {
  key: string;
  routeName: string;
  endpoint: string;
  items: Finding[];
}

/** Findings by endpoint, most client-breaking first, in the same order as `cutover findings` and the report. */
export function groupByEndpoint(list: readonly Finding[]): Group[] {
  return groupFindings(list).map((g) => ({ ...g, key: `${g.routeName}\u0000${g.endpoint}` }));
}
