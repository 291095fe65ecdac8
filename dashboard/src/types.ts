// Wire shapes of the admin API as the dashboard reads them (JSON, so numbers and strings only).
// Status and live series (src/admin/wire.ts), findings (src/findings/wire.ts, with
// src/diff/difference.ts and src/noise/class.ts) and the rollout (src/rollout/wire.ts) are the
// server's own types, free of Node types.
import type { LivePoint, Status as WireStatus } from "../../src/admin/wire.js";
import type { FindingView, RouteSummary } from "../../src/findings/wire.js";
import type { DecisionRecord, RolloutView } from "../../src/rollout/wire.js";

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

export type {
  Check,
  DecisionRecord,
  Outcome,
  RolloutOn,
  RolloutStatus,
  RolloutView,
  Stage,
  StageRef,
  Verdict,
} from "../../src/rollout/wire.js";

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
