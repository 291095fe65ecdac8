/**
 * How findings are presented, shared by the CLI (`cutover findings`), the HTML report and the
 * dashboard: one rate format, one noise label, one kind label, one severity order and one
 * grouping. Plain code with no Node imports, so the dashboard bundles it as is.
 */
import type { DiffKind } from "../diff/difference.js";
import type { NoiseClass } from "../noise/class.js";
import type { Finding, Rate } from "./wire.js";

const pct = (x: number): string => `${(x * 100).toFixed(x > 0 && x < 0.001 ? 3 : 1)}%`;

/** "33.3% (95% CI 12.1–64.6%)": a rate with its 95 % Wilson interval, everywhere the same. */
export function formatRate(r: Rate): string {
  return `${pct(r.rate)} (95% CI ${(r.low * 100).toFixed(r.low > 0 && r.low < 0.001 ? 3 : 1)}–${pct(r.high)})`;
}

const NOISE_LABEL: Record<NoiseClass, string> = {
  real: "real",
  noise_secondary: "noise: legacy differs from itself",
  noise_generated: "probable noise: generated value",
};

/** "probable noise: generated value": a noise class in words, everywhere the same. */
export function noiseLabel(n: NoiseClass): string {
  return NOISE_LABEL[n];
}

const KIND_LABEL: Record<DiffKind, string> = {
  upstream_error: "upstream error",
  status_changed: "status changed",
  content_type_changed: "content type changed",
  field_missing: "field missing",
  field_renamed: "field renamed",
  sse_event_missing: "SSE event missing",
  header_missing: "header missing",
  type_changed: "type changed",
  format_changed: "format changed",
  null_vs_absent: "null vs absent",
  value_changed: "value changed",
  list_order: "list order only",
  sse_event_changed: "SSE event changed",
  body_changed: "body changed",
  header_changed: "header changed",
  field_added: "field added",
  header_added: "header added",
  sse_event_extra: "SSE event extra",
};

/** "format changed": a difference kind in words. */
export function kindLabel(k: DiffKind): string {
  return KIND_LABEL[k];
}

/** How likely a kind of difference is to break clients, most likely first. */
export type Severity = "breaking" | "type_format" | "value" | "addition";

export const SEVERITIES: readonly { id: Severity; title: string; hint: string }[] = [
  {
    id: "breaking",
    title: "Status codes and removed or renamed fields",
    hint: "clients that read them break",
  },
  { id: "type_format", title: "Type and format changes", hint: "clients that parse them break" },
  { id: "value", title: "Different values and headers", hint: "clients may behave differently" },
  { id: "addition", title: "Additions", hint: "rarely break a client" },
];

const SEVERITY: Record<DiffKind, Severity> = {
  upstream_error: "breaking",
  status_changed: "breaking",
  content_type_changed: "breaking",
  field_missing: "breaking",
  field_renamed: "breaking",
  sse_event_missing: "breaking",
  header_missing: "breaking",
  type_changed: "type_format",
  format_changed: "type_format",
  null_vs_absent: "type_format",
  value_changed: "value",
  list_order: "value",
  sse_event_changed: "value",
  body_changed: "value",
  header_changed: "value",
  field_added: "addition",
  header_added: "addition",
  sse_event_extra: "addition",
};

export function severityOf(k: DiffKind): Severity {
  return SEVERITY[k];
}

const RANK: Record<Severity, number> = { breaking: 0, type_format: 1, value: 2, addition: 3 };

/** Findings in report order: most client-breaking first, then the higher rate, then the path. */
export function compareFindings<F extends Pick<Finding, "kind" | "groupPath" | "count"> & { rate?: Rate }>(
  a: F,
  b: F,
): number {
  return (
    RANK[SEVERITY[a.kind]] - RANK[SEVERITY[b.kind]] ||
    (b.rate?.rate ?? 0) - (a.rate?.rate ?? 0) ||
    b.count - a.count ||
    a.groupPath.localeCompare(b.groupPath)
  );
}

/**
 * The endpoint a finding belongs to: its method and template when the finding carries a method,
 * else the route template. The one place that decides grouping.
 */
export function endpointOf(f: Pick<Finding, "template"> & { method?: string }): string {
  return f.method ? `${f.method} ${f.template}` : f.template;
}

export interface EndpointGroup<F> {
  endpoint: string;
  routeName: string;
  items: F[];
}

/**
 * Findings grouped by endpoint (endpointOf), each group in report order (compareFindings), the
 * groups ordered by their most client-breaking finding, then by its rate, then by name.
 */
export function groupByEndpoint<
  F extends Pick<Finding, "kind" | "groupPath" | "count" | "template" | "routeName"> & {
    rate?: Rate;
    method?: string;
  },
>(list: readonly F[]): EndpointGroup<F>[] {
  const out = new Map<string, EndpointGroup<F>>();
  for (const f of list) {
    const endpoint = endpointOf(f);
    const key = `${f.routeName}\u0000${endpoint}`;
    let g = out.get(key);
    if (!g) {
      g = { endpoint, routeName: f.routeName, items: [] };
      out.set(key, g);
    }
    g.items.push(f);
  }
  const groups = [...out.values()];
  for (const g of groups) g.items.sort(compareFindings);
  return groups.sort((a, b) => {
    const x = a.items[0];
    const y = b.items[0];
    return (x && y ? compareFindings(x, y) : 0) || a.endpoint.localeCompare(b.endpoint);
  });
}

/** Real findings counted by severity, for the summary. */
export function countBySeverity(list: readonly Pick<Finding, "kind">[]): Record<Severity, number> {
  const out: Record<Severity, number> = { breaking: 0, type_format: 0, value: 0, addition: 0 };
  for (const f of list) out[SEVERITY[f.kind]]++;
  return out;
}
