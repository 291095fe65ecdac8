import type { CapturedResponse, Difference } from "../diff/types.js";
import type { NoiseClass, NoiseExplanation } from "../noise/model.js";
import type { Example, Finding } from "./wire.js";

export type {
  Acceptance,
  BodyKind,
  Example,
  Finding,
  FindingView,
  Rate,
  ResponseSummary,
  RouteSummary,
} from "./wire.js";

export interface AggregatorOptions {
  /** Examples kept per finding (config diff.examples). Default 5. */
  examples: number;
  /** config diff.redact.headers / diff.redact.paths, on top of the built-in heuristics. */
  redactHeaders: readonly string[];
  redactPaths: readonly string[];
  /** config diff.ignore.*: findings recorded before an ignore was added are hidden, not deleted. */
  ignoreHeaders: readonly string[];
  ignorePaths: readonly string[];
  /** Body preview cap per response in an example, in characters. Default 8192. */
  previewChars: number;
  /** Findings kept; differences that would open a new one beyond it count as differing, unrecorded. Default 2000. */
  maxFindings: number;
  /** (route, template) states kept; later templates fold into the route's OVERFLOW_TEMPLATE. Default 1000. */
  maxTemplates: number;
  /** Examples kept over all findings (each up to ~2 × previewChars). Past half of it, only first examples. Default 1000. */
  maxExamples: number;
  /** Differences of one exchange handled; the rest are counted and dropped. Default 200. */
  maxDifferences: number;
}

/** What the caps turned away, since start (exported as metrics, shown in status). */
export interface CapCounts {
  templatesFolded: number;
  findingsUnrecorded: number;
  examplesDropped: number;
  differencesDropped: number;
}

/** One mirrored request and both answers, as the mirror hands it to the aggregator. */
export interface Exchange {
  /** Unique per mirrored request (used to link examples to logs). */
  id: string;
  /** Epoch ms when the request arrived. */
  at: number;
  method: string;
  /** Request target: path and query. Secret-like query parameters are masked before storing. */
  path: string;
  routeName: string;
  /** Route template, or the path shape for catch-all routes (`/users/{int}`). */
  template: string;
  /** Request headers; credential headers are masked again before storing, whatever the caller did. */
  requestHeaders: Record<string, string | string[] | undefined>;
  legacy: CapturedResponse;
  candidate: CapturedResponse;
  /** Correlated values substituted in the candidate's request (replay): "4 → 1004 (path[2])". */
  mapped?: string[];
}

/** How the caller classifies each difference: one class for all, one per difference, or a function. */
export type NoiseInput = NoiseClass | readonly NoiseClass[] | ((d: Difference) => NoiseClass | NoiseExplanation);

/** Plain-data snapshot for the store (one row per route, finding and example). */
export interface FindingsRows {
  version: 1;
  routes: RouteRow[];
  findings: Omit<Finding, "examples">[];
  examples: { findingId: string; slot: number; example: Example }[];
}

export interface RouteRow {
  routeName: string;
  template: string;
  mirrored: number;
  /** Requests by the set of finding ids they showed ("id1,id2" → count), so rates follow later accepts. */
  signatures: [string, number][];
  /** Differing requests whose signature did not fit, or that hit maxFindings (always counted as differing). */
  overflow: number;
  /** Differences dropped at aggregation by a declarative ignore. */
  ignoredDifferences: number;
}
