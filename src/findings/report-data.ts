import type { CoverageView } from "../coverage/wire.js";
import { describePresets, REPORTED_ON_PURPOSE } from "../diff/presets.js";
import { SENSITIVE_HEADERS } from "../redact/keys.js";
import type { FindingsAggregator } from "./aggregator.js";
import type { FindingView, RouteSummary } from "./types.js";

/** Everything the HTML report shows; plain data, so the CLI can also print it as JSON. */
export interface ReportData {
  title: string;
  generatedAt: number;
  routes: RouteSummary[];
  /** The coverage matrix per endpoint, when the gateway keeps one. */
  coverage?: CoverageView;
  /** Every finding: real, noise, accepted and ignored (the report sorts them into sections). */
  findings: FindingView[];
  presets: { name: string; rules: string[] }[];
  reportedOnPurpose: readonly string[];
  redaction: {
    headers: string[];
    paths: string[];
    heuristics: string[];
    /** What was actually masked in the stored examples, with how often. */
    masked: [string, number][];
  };
}

export const REDACTION_HEURISTICS: readonly string[] = [
  "JSON keys named like secrets (password, secret, token, api_key, access_token, credential, session id, cookie, pin, ssn, cvv…): value masked",
  "string values shaped like JWTs or Authorization credentials (Bearer/Basic/Token …): masked",
  "credential-looking key=value pairs and tokens inside text bodies (HTML, forms, SSE data): masked",
  "secret-like query parameters in request paths (?api_key=…, ?access_token=…): masked",
  "headers named like secrets (X-Session-Token, X-Api-Token, X-Password…): value masked",
  "card numbers (13–19 digits, Luhn-checked) in bodies, paths, queries and headers: masked to the last four digits",
];

/** Collects the report's data from an aggregator and the presets in force. */
export function buildReport(
  agg: FindingsAggregator,
  opts: { presets: readonly string[]; title?: string; generatedAt?: number; coverage?: CoverageView },
): ReportData {
  const findings = agg.list({ includeNoise: true, includeAccepted: true, includeIgnored: true });
  const masked = new Map<string, number>();
  for (const f of findings) {
    for (const e of f.examples) {
      // "legacy $.items[3].card (config)" and "…[4]…" are the same thing to a reader.
      for (const m of new Set(e.masked.map((x) => x.replace(/\[\d+\]/g, "[*]"))))
        masked.set(m, (masked.get(m) ?? 0) + 1);
    }
  }
  return {
    title: opts.title ?? "cutover: response differences",
    generatedAt: opts.generatedAt ?? Date.now(),
    routes: agg.routes(),
    ...(opts.coverage ? { coverage: opts.coverage } : {}),
    findings,
    presets: describePresets(opts.presets),
    reportedOnPurpose: REPORTED_ON_PURPOSE,
    redaction: {
      headers: [...new Set([...SENSITIVE_HEADERS, ...agg.options.redactHeaders.map((h) => h.toLowerCase())])],
      paths: [...agg.options.redactPaths],
      heuristics: [...REDACTION_HEURISTICS],
      masked: [...masked].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 200),
    },
  };
}
