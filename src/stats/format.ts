/**
 * Number formatting for the judge's sentences and checks: short, stable, locale-free (Intl is
 * slow enough to matter when the simulation judges a million windows).
 */

export function finite(o: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) if (Number.isFinite(v)) out[k] = v;
  return out;
}

export const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
export const rate = (x: number, n: number): number => (n > 0 ? x / n : 0);
export const pct = (x: number): string => `${(x * 100).toFixed(x !== 0 && Math.abs(x) < 0.001 ? 3 : 2)}%`;
export const pt = (x: number): string => `${x >= 0 ? "+" : ""}${(x * 100).toFixed(2)}pt`;
export const fmtP = (p: number): string => (p >= 0.001 ? p.toPrecision(2) : p.toExponential(1));
export const lrText = (llr: number): string => {
  const lr = Math.exp(llr);
  return `likelihood ratio ${lr < 1000 ? lr.toPrecision(2) : lr.toExponential(1)}, anytime p = ${fmtP(Math.min(1, 1 / lr))}`;
};
export const fmtMsShort = (ms: number): string =>
  Number.isFinite(ms) ? `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms` : "n/a";

/** 12,345 or 12.3 (Intl is slow enough to matter in the simulation). */
export function fmtN(n: number): string {
  const [i = "0", f] = (Number.isInteger(n) ? String(n) : n.toFixed(1)).split(".");
  const grouped = i.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return f && f !== "0" ? `${grouped}.${f}` : grouped;
}

/** 45s, 12m 5s, 3h 20m. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "∞";
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${s % 60}s` : ""}`;
  return `${Math.floor(m / 60)}h${m % 60 ? ` ${m % 60}m` : ""}`;
}
