import { diffResponses, type DiffOptions } from "../diff/index.js";
import type { CapturedResponse, Difference, DiffRequest } from "../diff/types.js";
import { NoiseModel } from "../noise/index.js";
import type { LeafSummary } from "../noise/generated.js";

/** The CPU-heavy, stateless half of one comparison: what the worker thread is asked. */
export interface PairJob {
  request: DiffRequest;
  legacy: CapturedResponse;
  candidate: CapturedResponse;
  secondary: CapturedResponse | undefined;
}

/** Its answer: the differences, and legacy's values summarised for the noise model. */
export interface PairResult {
  diffs: Difference[];
  /** Legacy against legacy-secondary, when there is a secondary. */
  secondaryDiffs?: Difference[];
  legacyLeaves?: LeafSummary[];
  secondaryLeaves?: LeafSummary[];
}

/**
 * computePair parses and diffs both answers and walks legacy's values: everything of a comparison
 * that takes CPU and needs no state. Pure; runs on the comparison worker (or inline without one).
 */
export function computePair(job: PairJob, options: DiffOptions): PairResult {
  const { legacy, candidate, secondary, request } = job;
  const out: PairResult = { diffs: diffResponses(legacy, candidate, options, request) };
  const leaves = NoiseModel.prepareResponse(legacy);
  if (leaves) out.legacyLeaves = leaves;
  if (secondary) {
    out.secondaryDiffs = diffResponses(legacy, secondary, options, request);
    const s = NoiseModel.prepareResponse(secondary);
    if (s) out.secondaryLeaves = s;
  }
  return out;
}
