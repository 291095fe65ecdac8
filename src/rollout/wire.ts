/**
 * The rollout's JSON shapes: verdicts and their checks, decision records, and the view
 * GET /api/rollout returns. No imports, so the dashboard (built apart from src/, without Node
 * types) reads the server's own types and the two cannot drift.
 */

export type Stage = "shadow" | number;
export type RolloutStatus = "running" | "paused" | "rolled_back" | "completed";
export type Outcome = "promote" | "hold" | "rollback";

export type CheckStatus = "pass" | "fail" | "inconclusive";
export type CheckName =
  | "error_rate"
  | "status_mix"
  | "latency_tail"
  | "parity"
  | "duration"
  | "sample_size"
  | "coverage"
  | "mirror_breaker"
  | "error_concentration";

/**
 * One metric on one route (route null = all routes). A `guardrail` can roll back (fail =
 * tripped); every `gate` must pass to promote (fail = evidence of being worse than the margin,
 * which holds, never rolls back); `info` only explains.
 */
export interface Check {
  name: CheckName;
  route: string | null;
  kind: "guardrail" | "gate" | "info";
  status: CheckStatus;
  gating: boolean;
  /** One human sentence with the numbers. */
  summary: string;
  /** The numbers behind it (n, rates, bounds, p-values, thresholds); finite values only. */
  numbers: Record<string, number>;
  /** Request ids that illustrate the check. */
  examples?: string[];
}

export interface Verdict {
  outcome: Outcome;
  stage: { index: number; value: Stage };
  at: number;
  reasons: string[];
  checks: Check[];
  /** Candidate requests (mirrored ones in shadow) the stage needs, from the margins. */
  minRequests: number;
  /** Candidate requests (mirrored ones in shadow) in the window. */
  candidateRequests: number;
  /** Time judged: since warm-up ended, minus pauses. */
  elapsedMs: number;
  /** max_duration has passed without a promote verdict. */
  timedOut: boolean;
  /** When the gate could first pass at the current candidate request rate. */
  eta?: { ms: number; at: number; requestsRemaining: number; ratePerMin: number };
  /** Request ids behind the outcome (rollback evidence first). */
  examples: string[];
}

export interface StageRef {
  index: number;
  stage: Stage;
  weight: number;
}

export type Action =
  "start" | "promote" | "complete" | "rollback" | "pause" | "resume" | "restart" | "timeout" | "awaiting_promotion";

/** What the audit log and the webhook receive for every decision. */
export interface DecisionRecord {
  rollout: string;
  at: number;
  action: Action;
  /** "judge", "timeout", or the operator who acted. */
  actor: string;
  from: StageRef;
  to: StageRef;
  status: RolloutStatus;
  reason: string;
  reasons: string[];
  numbers: Record<string, number>;
  examples: string[];
}

/** Requests per route since the rollout began, by side: what route coverage is judged on. */
export interface CoverageCounts {
  legacy: number;
  candidate: number;
  mirrored: number;
}

/** Requests per endpoint ("METHOD /template") since the rollout began: what the coverage gate judges. */
export interface EndpointCoverage extends CoverageCounts {
  /** The route the endpoint was first served on. */
  route: string;
}

/** GET /api/rollout (and `rollout` in GET /api/status) when a rollout is configured. */
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
  /** The latest full verdict (null before the first evaluation). */
  verdict: Verdict | null;
  coverage: Record<string, CoverageCounts>;
  /** The latest decisions, newest last (the audit log keeps all of them). */
  history: DecisionRecord[];
}

export type RolloutView = RolloutOn | { configured: false };
