// Wire shapes of the admin API as the dashboard reads them (JSON, so numbers and strings only).
// Status and live series (src/admin/wire.ts) and findings (src/findings/wire.ts, with
// src/diff/difference.ts and src/noise/class.ts) are the server's own types, free of Node types.
// The rollout shapes below mirror src/admin/rollout.ts, src/rollout/transition.ts and
// src/rollout/judge.ts, which are not yet split that way.
import type { LivePoint, Status as WireStatus } from "../../src/admin/wire.js";
import type { FindingView, RouteSummary } from "../../src/findings/wire.js";

export type TargetName = "legacy" | "candidate";

export type { Counts, LivePoint, RouteStatus, SidePoint, UpstreamStatus } from "../../src/admin/wire.js";

/** GET /api/status, with the rollout view as the dashboard reads it. */
export type Status = WireStatus<RolloutView>;

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

export type { Difference } from "../../src/diff/difference.js";
export type { NoiseClass } from "../../src/noise/class.js";
export type { Example, Rate, ResponseSummary, RouteSummary } from "../../src/findings/wire.js";
/** A finding as GET /api/findings lists it: with its rate and whether an ignore hides it. */
export type Finding = FindingView;

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
