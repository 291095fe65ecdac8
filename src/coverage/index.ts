/** Coverage per endpoint: what each endpoint got from legacy, the candidate and the mirror. */
export {
  COVERAGE_COLLECTION,
  CoverageMatrix,
  OTHER_ENDPOINTS,
  type ComparedCounts,
  type CoverageStoredRow,
} from "./matrix.js";
export { COVERAGE_STATES, compareCoverage, coverageLabel, coverageState, groupCoverage } from "./present.js";
export type { CoverageGroup } from "./present.js";
export type { CoverageRow, CoverageState, CoverageView } from "./wire.js";
import type { CoverageView } from "./wire.js";

/** What the admin API reads: the matrix view, and its bounded state for status. */
export interface CoverageSource {
  view(): CoverageView;
  stateView(): { kind: string; entries: number | null; limit: number; capped: number }[];
}
