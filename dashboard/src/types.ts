// Wire shapes of the admin API as the dashboard reads them (JSON, so numbers and strings only).
// They mirror src/admin/status.ts, src/admin/rollout.ts, src/admin/live.ts, src/findings/types.ts,
// src/rollout/transition.ts and src/rollout/judge.ts; the dashboard is built apart from src/, so
// it keeps its own copy of the fields it reads.

export type TargetName = "legacy" | "candidate";

export interface Counts {
  total: number;
  errors: number;
}

export interface RouteStatus {
  name: string;
  path: string;
  methods: string[] | null;
  weight: number;
  rewrite: { legacy?: string; candidate?: string } | null;
  mirror: boolean;
  requests: Record<TargetName, Counts>;
}

export interface UpstreamStatus {
  name: string;
  url: string;
  state: string;
  consecutive_failures: number;
  last_error: { at: string; code: string } | null;
  connections: { connected: number; free: number; pending: number; running: number };
}

export interface Status {
  version: string;
  uptime_s: number;
  listen: string;
  routes: RouteStatus[];
  upstreams: UpstreamStatus[];
  open_upgrades: number;
  rollout: RolloutView;
}

export interface SidePoint {
  rps: number;
  errors: number;
  error_rate: number;
  p50: number;
  p95: number;
  p99: number;
}

export interface LivePoint {
  t: number;
  legacy: SidePoint;
  candidate: SidePoint;
}

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
