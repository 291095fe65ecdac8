import type { CapturedResponse, DiffKind, Difference } from "../diff/types.js";
import type { NoiseClass, NoiseExplanation } from "../noise/model.js";

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
}

/** How the caller classifies each difference: one class for all, one per difference, or a function. */
export type NoiseInput = NoiseClass | readonly NoiseClass[] | ((d: Difference) => NoiseClass | NoiseExplanation);

export type BodyKind = "empty" | "json" | "text" | "sse" | "binary" | "undecodable";

/** A response as stored in an example: redacted, body previewed within a size cap. */
export interface ResponseSummary {
  status: number;
  /** The CUTOVER_ERR_* code when the upstream gave no response. */
  error?: string;
  headers: Record<string, string | string[]>;
  mediaType: string;
  bodyKind: BodyKind;
  /** JSON (compact, exact numbers), text, or a digest for binary bodies; redacted. */
  body: string;
  /** Decoded body size in bytes. */
  bodyBytes: number;
  /** The preview was cut at the example size cap. */
  previewTruncated: boolean;
  /** The capture itself was cut at the mirror's capture cap. */
  captureTruncated: boolean;
  totalMs: number;
}

/** One request of a finding, both answers side by side. */
export interface Example {
  exchangeId: string;
  at: number;
  method: string;
  path: string;
  requestHeaders: Record<string, string | string[]>;
  legacy: ResponseSummary;
  candidate: ResponseSummary;
  /** Every difference of this exchange (at most MAX_EXAMPLE_DIFFERENCES), to highlight. */
  differences: Difference[];
  /** What redaction masked in this example: "request header:authorization", "legacy $.password (key)"… */
  masked: string[];
}

export interface Acceptance {
  reason: string;
  by: string;
  at: number;
}

/** Differences grouped by (route name, template, kind, group path). */
export interface Finding {
  /** Short stable hash of the group key. */
  id: string;
  routeName: string;
  template: string;
  kind: DiffKind;
  groupPath: string;
  /** Mirrored requests that showed this difference (once per request). */
  count: number;
  firstSeen: number;
  lastSeen: number;
  /** The latest classification (the noise model keeps learning), with its reason when given. */
  noise: NoiseClass;
  noiseReason?: string;
  /** How many requests were classified each way. */
  noiseCounts: Record<NoiseClass, number>;
  /** The latest difference, for the findings table. */
  sample: Difference;
  examples: Example[];
  accepted?: Acceptance;
}

/** A finding with its rate over the route's mirrored requests. */
export interface FindingView extends Finding {
  rate: Rate;
  /** Hidden by a declarative ignore (diff.ignore) added after it was recorded. */
  ignored: boolean;
}

/** A proportion with its 95% Wilson score interval. */
export interface Rate {
  rate: number;
  low: number;
  high: number;
}

export interface RouteSummary {
  routeName: string;
  template: string;
  mirrored: number;
  /** Mirrored requests with at least one real, unaccepted, not ignored difference. */
  differing: number;
  rate: Rate;
  findings: { real: number; noise: number; accepted: number; ignored: number };
}

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
