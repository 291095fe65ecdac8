import { chiSquareSf, normalSf } from "./special.js";

/**
 * Contingency-table tests: the G-test (log-likelihood ratio) and Pearson's χ² for an R×C
 * table of counts, and the Cochran–Mantel–Haenszel test across 2×2 strata (research §6.5).
 */

export interface TableTest {
  statistic: number;
  df: number;
  p: number;
}

interface Margins {
  rows: number[];
  cols: number[];
  total: number;
}

/** Rows and columns that are entirely zero are dropped (they carry no information). */
function margins(table: readonly (readonly number[])[]): { table: number[][]; m: Margins } {
  const ncol = Math.max(0, ...table.map((r) => r.length));
  const colSums = new Array<number>(ncol).fill(0);
  for (const row of table) row.forEach((v, j) => (colSums[j] = (colSums[j] ?? 0) + v));
  const keepCols = colSums.map((s, j) => (s > 0 ? j : -1)).filter((j) => j >= 0);
  const rowsKept = table.map((r) => keepCols.map((j) => r[j] ?? 0)).filter((r) => r.some((v) => v > 0));
  const rows = rowsKept.map((r) => r.reduce((a, b) => a + b, 0));
  const cols = keepCols.map((j) => colSums[j] ?? 0);
  return { table: rowsKept, m: { rows, cols, total: rows.reduce((a, b) => a + b, 0) } };
}

/**
 * G-test of independence, G = 2 Σ O·ln(O/E), with Williams' (1976) correction
 * q = 1 + (N·Σ1/R_i − 1)(N·Σ1/C_j − 1) / (6N(r − 1)(c − 1)), which brings small-sample G closer
 * to χ²(df). `williams: false` returns the uncorrected statistic.
 */
export function gTest(table: readonly (readonly number[])[], options: { williams?: boolean } = {}): TableTest {
  const { table: t, m } = margins(table);
  const r = m.rows.length;
  const c = m.cols.length;
  const df = (r - 1) * (c - 1);
  if (df <= 0 || m.total <= 0) return { statistic: 0, df: Math.max(df, 0), p: 1 };
  let g = 0;
  t.forEach((row, i) =>
    row.forEach((o, j) => {
      if (o > 0) g += o * Math.log((o * m.total) / ((m.rows[i] ?? 0) * (m.cols[j] ?? 0)));
    }),
  );
  g *= 2;
  if (options.williams !== false) {
    const n = m.total;
    const sr = m.rows.reduce((a, v) => a + 1 / v, 0);
    const sc = m.cols.reduce((a, v) => a + 1 / v, 0);
    const q = 1 + ((n * sr - 1) * (n * sc - 1)) / (6 * n * (r - 1) * (c - 1));
    g /= Math.max(q, 1);
  }
  g = Math.max(g, 0);
  return { statistic: g, df, p: chiSquareSf(g, df) };
}

/** Pearson's χ² test of independence. */
export function chiSquareTest(table: readonly (readonly number[])[]): TableTest {
  const { table: t, m } = margins(table);
  const df = (m.rows.length - 1) * (m.cols.length - 1);
  if (df <= 0 || m.total <= 0) return { statistic: 0, df: Math.max(df, 0), p: 1 };
  let x2 = 0;
  t.forEach((row, i) =>
    row.forEach((o, j) => {
      const e = ((m.rows[i] ?? 0) * (m.cols[j] ?? 0)) / m.total;
      x2 += ((o - e) * (o - e)) / e;
    }),
  );
  return { statistic: x2, df, p: chiSquareSf(x2, df) };
}

/** One 2×2 stratum: events and non-events on the candidate (a, b) and the baseline (c, d). */
export interface Stratum2x2 {
  a: number;
  b: number;
  c: number;
  d: number;
}

export interface CmhResult {
  /** CMH χ² with continuity correction (1 df). */
  statistic: number;
  /** Two-sided p-value of the χ². */
  p: number;
  /** One-sided p-value for "candidate has more events than expected" (uncorrected z). */
  pGreater: number;
  /** Mantel–Haenszel common odds ratio Σ(ad/n)/Σ(bc/n); NaN when undefined. */
  oddsRatio: number;
  /** Σ(a − E[a]) across strata: excess candidate events given the margins. */
  excess: number;
}

/**
 * Cochran–Mantel–Haenszel test across strata (routes): compares the candidate's event rate
 * with the baseline's within each route, so a different route mix cannot create or hide a
 * difference (Simpson's paradox, research §6.5).
 */
export function cmh(strata: readonly Stratum2x2[]): CmhResult {
  let sumDiff = 0;
  let sumVar = 0;
  let orNum = 0;
  let orDen = 0;
  for (const s of strata) {
    const n = s.a + s.b + s.c + s.d;
    if (n < 2) continue;
    const row1 = s.a + s.b;
    const row2 = s.c + s.d;
    const col1 = s.a + s.c;
    const col2 = s.b + s.d;
    sumDiff += s.a - (row1 * col1) / n;
    sumVar += (row1 * row2 * col1 * col2) / (n * n * (n - 1));
    orNum += (s.a * s.d) / n;
    orDen += (s.b * s.c) / n;
  }
  if (sumVar <= 0) return { statistic: 0, p: 1, pGreater: 1, oddsRatio: NaN, excess: sumDiff };
  const statistic = Math.max(0, Math.abs(sumDiff) - 0.5) ** 2 / sumVar;
  return {
    statistic,
    p: chiSquareSf(statistic, 1),
    pGreater: normalSf(sumDiff / Math.sqrt(sumVar)),
    oddsRatio: orDen > 0 ? orNum / orDen : NaN,
    excess: sumDiff,
  };
}
