/**
 * Findings as the admin API returns them: plain data with no Node types, imported as types by the
 * dashboard (dashboard/src/types.ts) so the two cannot drift apart.
 */
import type { DiffKind, Difference } from "../diff/difference.js";
import type { NoiseClass } from "../noise/class.js";

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
  /** Correlated values substituted in the candidate's request (replay): "4 → 1004 (path[2])". */
  mapped?: string[];
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
