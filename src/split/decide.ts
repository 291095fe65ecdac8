import type { Target } from "../config/schema.js";
import { BUCKETS, bucketOf, weightLine } from "./hash.js";

/** Why a request went where it did; recorded in logs and metrics. */
export type SplitReason = "bucket" | "override" | "candidate_unhealthy" | "weight_zero";

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
