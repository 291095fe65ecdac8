/** Findings: differences grouped per route, kind and path, with rates, examples and an HTML report. */
export { FindingsAggregator } from "./aggregator.js";
export { MAX_EXAMPLE_DIFFERENCES } from "./example.js";
export { findingId, OVERFLOW_TEMPLATE } from "./grouping.js";
export { buildReport, type ReportData } from "./report-data.js";
export { renderHtmlReport, REPORT_LIMITS, type ReportLimits } from "./report-html.js";
export {
  compareFindings,
  endpointOf,
  formatRate,
  groupByEndpoint,
  kindLabel,
  noiseLabel,
  SEVERITIES,
  severityOf,
  type EndpointGroup,
  type Severity,
} from "./present.js";
export { summarizeResponse } from "./summary.js";
export { wilson } from "./wilson.js";
export type {
  Acceptance,
  AggregatorOptions,
  CapCounts,
  Example,
  Exchange,
  Finding,
  FindingsRows,
  FindingView,
  NoiseInput,
  Rate,
  ResponseSummary,
  RouteRow,
  RouteSummary,
} from "./types.js";
