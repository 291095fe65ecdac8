import type { Target } from "../config/schema.js";
import { BUCKETS, bucketOf, weightLine } from "./hash.js";

/**
 * Why a request went where it did; recorded in logs and metrics. `session`: an Engine.IO sid tag
 * named the side that holds the session (route `affinity: engine.io`).
 */
export type SplitReason = "bucket" | "override" | "session" | "candidate_unhealthy" | "weight_zero";

export interface SplitDecision {
  target: Target;
  bucket: number;
  reason: SplitReason;
}

/**
 * decide places a request: candidate iff bucket < weight × 100. Because the boundary only moves,
 * a user on the candidate at 5 % stays there at 25 %, and lowering the weight moves back exactly
 * the users above the new line. `random` is used only when there is no key and fallback is random.
 */
export function decide(opts: {
  key: string | undefined;
  salt: string;
  weight: number;
  candidateHealthy: boolean;
  random: () => number;
}): SplitDecision {
  const bucket = opts.key === undefined ? Math.floor(opts.random() * BUCKETS) : bucketOf(opts.key, opts.salt);
  if (opts.weight <= 0) return { target: "legacy", bucket, reason: "weight_zero" };
  if (bucket >= weightLine(opts.weight)) return { target: "legacy", bucket, reason: "bucket" };
  if (!opts.candidateHealthy) return { target: "legacy", bucket, reason: "candidate_unhealthy" };
  return { target: "candidate", bucket, reason: "bucket" };
}

/** Where an open stream (SSE response, WebSocket tunnel) was placed when it started. */
export interface Placement {
  target: Target;
  bucket: number;
  reason: SplitReason;
}

/**
 * movedOff tells whether a route's new weight takes a stream's user off the candidate: a bucketed
 * stream whose bucket is no longer below the line, or any candidate stream at weight 0 (a
 * rollback). Streams pinned by the override header or a session tag move only at weight 0.
 */
export function movedOff(p: Placement, weight: number): boolean {
  if (p.target !== "candidate") return false;
  if (weight <= 0) return true;
  return p.reason === "bucket" && p.bucket >= weightLine(weight);
}
