import type { LoadResult, SideResult } from "./run.js";

/** Number formats shared by the terminal table and the HTML page. */

export const fmtMs = (x: number): string => `${x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)} ms`;
export const fmtRps = (x: number): string => x.toFixed(x < 100 ? 1 : 0);
export const fmtCpu = (x: number | null): string => (x === null ? "n/a" : `${x.toFixed(0)}%`);
export const fmtRss = (x: number | null): string => (x === null ? "n/a" : `${x.toFixed(1)} MiB`);
export const fmtErrors = (s: SideResult): string =>
  s.errors === 0 ? "0" : `${s.errors} (${((s.errors / Math.max(1, s.requests)) * 100).toFixed(1)}%)`;

export const loadLabel = (l: LoadResult): string =>
  l.mode === "closed" ? `concurrency ${l.level}` : `${l.level} req/s open`;

/** Candidate against legacy, in percent of legacy's value; "" when legacy's is zero or missing. */
export function change(legacy: number | null, candidate: number | null): string {
  if (legacy === null || candidate === null || legacy === 0) return "";
  const d = ((candidate - legacy) / legacy) * 100;
  return `${d >= 0 ? "+" : ""}${d.toFixed(1)}%`;
}

export const COLUMNS = ["REQ/S", "AVG", "P50", "P95", "P99", "ERRORS", "CPU", "RSS"] as const;

/** One row of the side-by-side table: the COLUMNS for one side. */
export function sideCells(s: SideResult): string[] {
  const l = s.latencyMs;
  return [
    fmtRps(s.rps),
    fmtMs(l.avg),
    fmtMs(l.p50),
    fmtMs(l.p95),
    fmtMs(l.p99),
    fmtErrors(s),
    fmtCpu(s.cpuPercent),
    fmtRss(s.rssMiB),
  ];
}

/** The change row: candidate against legacy for every column that has one. */
export function changeCells(l: SideResult, c: SideResult): string[] {
  const a = l.latencyMs;
  const b = c.latencyMs;
  return [
    change(l.rps, c.rps),
    change(a.avg, b.avg),
    change(a.p50, b.p50),
    change(a.p95, b.p95),
    change(a.p99, b.p99),
    "",
    change(l.cpuPercent, c.cpuPercent),
    change(l.rssMiB, c.rssMiB),
  ];
}
