// Wire shapes of the admin API as the dashboard reads them (JSON, so numbers and strings only).
// Status and live series come from src/admin/wire.ts (no imports, shared as types). The rest
// mirrors src/admin/rollout.ts, src/findings/types.ts, src/rollout/transition.ts and
// src/rollout/judge.ts, whose types reach Node's Buffer and cannot be imported here.
import type { LivePoint, Status as WireStatus } from "../../src/admin/wire.js";

export type TargetName = "legacy" | "candidate";

export type { Counts, LivePoint, RouteStatus, SidePoint, UpstreamStatus } from "../../src/admin/wire.js";

/** GET /api/status, with the rollout view as the dashboard reads it. */
export type Status = WireStatus<RolloutView>;

export interface Rate {
  rate: number;
  low: number;
  high: number;
}

export interface RouteSummary {
  routeName: string;
  template: string;
  mirrored: number;
  differing: number;
  rate: Rate;
  findings: { real: number; noise: number; accepted: number; ignored: number };
}

export interface FindingsSummary {
  compared: number;
  routes: RouteSummary[];
}

export interface Tick {
  point: LivePoint;
  status: Status;
  findings: FindingsSummary;
}

// --- findings ---------------------------------------------------------------------------------

export interface Difference {
  kind: string;
  path: string;
  groupPath: string;
  legacy?: string;
  candidate?: string;
  detail?: string;
}

export interface ResponseSummary {
  status: number;
  error?: string;
  headers: Record<string, string | string[]>;
  mediaType: string;
  bodyKind: "empty" | "json" | "text" | "sse" | "binary" | "undecodable";
  body: string;
  bodyBytes: number;
  previewTruncated: boolean;
  captureTruncated: boolean;
  totalMs: number;
}

export interface Example {
  exchangeId: string;
  at: number;
  method: string;
  path: string;
  requestHeaders: Record<string, string | string[]>;
  legacy: ResponseSummary;
  candidate: ResponseSummary;
  differences: Difference[];
  masked: string[];
}

/** "real" is a difference to look at; the noise classes say why it is not. */
export type NoiseClass = "real" | "noise_secondary" | "noise_generated";

export interface Finding {
  id: string;
  routeName: string;
  template: string;
  kind: string;
  groupPath: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  noise: NoiseClass;
  noiseReason?: string;
  noiseCounts?: Record<NoiseClass, number>;
  sample: Difference;
  examples: Example[];
  accepted?: { reason: string; by: string; at: number };
  rate: Rate;
  ignored: boolean;
}

export interface FindingsResponse {
  compared: number;
  routes: RouteSummary[];
  findings: Finding[];
}

// --- rollout ----------------------------------------------------------------------------------

export type Stage = "shadow" | number;
export type RolloutStatus = "running" | "paused" | "rolled_back" | "completed";
export type Outcome = "promote" | "hold" | "rollback";

export interface Check {
  name: string;
  route: string | null;
  kind: "guardrail" | "gate" | "info";
  status: "pass" | "fail" | "inconclusive";
  gating: boolean;
  summary: string;
  numbers: Record<string, number>;
  examples?: string[];
}

export interface Verdict {
  outcome: Outcome;
  stage: { index: number; value: Stage };
  at: number;
  reasons: string[];
  checks: Check[];
  minRequests: number;
  candidateRequests: number;
  elapsedMs: number;
  timedOut: boolean;
  eta?: { ms: number; at: number; requestsRemaining: number; ratePerMin: number };
  examples: string[];
}

export interface StageRef {
  index: number;
  stage: Stage;
  weight: number;
}

export interface DecisionRecord {
  rollout: string;
  at: number;
  action: string;
  actor: string;
  from: StageRef;
  to: StageRef;
  status: RolloutStatus;
  reason: string;
  reasons: string[];
  numbers: Record<string, number>;
  examples: string[];
}

export interface RolloutOn {
  configured: true;
  id: string;
  status: RolloutStatus;
  stage: { index: number; value: Stage | null; count: number };
  stages: Stage[];
  weight: number;
  mirroring: boolean;
  routes: string[];
  started_at: number;
  stage_started_at: number;
  warmup_until: number;
  awaiting_promotion: boolean;
  promote: "auto" | "manual";
  verdict: Verdict | null;
  history: DecisionRecord[];
}

export type RolloutView = RolloutOn | { configured: false };

/**
 * One row of the audit log: GET /api/rollout/history (`detail` is the DecisionRecord) or
 * GET /api/audit (weight changes carry the new and previous weights by route).
 */
export interface AuditEntry {
  id?: number;
  at: number;
  actor: string;
  action: string;
  subject: string;
  reason: string;
  detail?: Partial<DecisionRecord> & { weights?: Record<string, number>; previous?: Record<string, number> };
}

export interface ApiErrorBody {
  error: { code: string; message: string };
}
