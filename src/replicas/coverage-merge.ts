import { COVERAGE_COLLECTION, type CoverageStoredRow } from "../coverage/index.js";
import type { RowMerger } from "../store/postgres.js";

function combine(a: CoverageStoredRow, b: CoverageStoredRow, sign: 1 | -1): CoverageStoredRow {
  const out: CoverageStoredRow = {
    route: b.route || a.route,
    legacy: a.legacy + sign * b.legacy,
    candidate: a.candidate + sign * b.candidate,
    mirrored: a.mirrored + sign * b.mirrored,
  };
  const folded = (a.folded ?? 0) + sign * (b.folded ?? 0);
  return folded ? { ...out, folded } : out;
}

/** An endpoint's coverage counts from several replicas: they add up (each replica stores what it counted). */
export const COVERAGE_MERGER: RowMerger = {
  merge: (a, b) => combine(a as CoverageStoredRow, b as CoverageStoredRow, 1),
  minus: (full, base) => (base ? combine(full as CoverageStoredRow, base as CoverageStoredRow, -1) : full),
};

export const COVERAGE_MERGERS: Readonly<Record<string, RowMerger>> = { [COVERAGE_COLLECTION]: COVERAGE_MERGER };
