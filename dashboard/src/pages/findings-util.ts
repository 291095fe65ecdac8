// Findings helpers: formatting, classes, filtering and grouping for the list.
import type { Tone } from "../components/ui";
import { fmtPct } from "../format";
import type { Finding, NoiseClass, Rate } from "../types";

/** "100.0 % [43.9–100.0 %]": the rate with its 95 % Wilson interval. */
export function fmtRate(r: Rate): string {
  return `${fmtPct(r.rate, 1)} [${(r.low * 100).toFixed(1)}–${fmtPct(r.high, 1)}]`;
}

const NOISE_LABEL: Record<NoiseClass, string> = {
  real: "real",
  noise_secondary: "noise: legacy differs from itself",
  noise_generated: "noise: generated value",
};
export const noiseLabel = (n: NoiseClass): string => NOISE_LABEL[n];
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
  template: string;
  items: Finding[];
}

/** groupByTemplate keeps the API's order (most frequent first) inside each route template. */
export function groupByTemplate(list: readonly Finding[]): Group[] {
  const out = new Map<string, Group>();
  for (const f of list) {
    const key = `${f.routeName}\u0000${f.template}`;
    let g = out.get(key);
    if (!g) {
      g = { key, routeName: f.routeName, template: f.template, items: [] };
      out.set(key, g);
    }
    g.items.push(f);
  }
  return [...out.values()];
}
