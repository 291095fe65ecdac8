// Number and time formatting. Fixed decimals per column so live values do not change width.
import type { Stage } from "./types";

const int = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export const fmtInt = (n: number): string => int.format(n);

export function fmtRps(n: number): string {
  return n >= 100 ? int.format(n) : n.toFixed(1);
}

/** A proportion as a percentage: 0.0123 → "1.23 %". */
export function fmtPct(p: number, digits = 2): string {
  if (!Number.isFinite(p)) return "–";
  return `${(p * 100).toFixed(digits)} %`;
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return "–";
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** A duration for people: "45 s", "3 min 20 s", "2 h 5 min". */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
}

const time = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTime = new Intl.DateTimeFormat("en-GB", {
  year: "numeric",
  month: "short",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
});

export const fmtTime = (ms: number): string => time.format(ms);
export const fmtDateTime = (ms: number): string => dateTime.format(ms);

/** "12 s ago", "5 min ago" relative to `now`. */
export function fmtAgo(ms: number, now = Date.now()): string {
  return `${fmtDuration(Math.max(0, now - ms))} ago`;
}

export function stageLabel(s: Stage | null | undefined): string {
  if (s === null || s === undefined) return "–";
  return s === "shadow" ? "shadow" : `${s} %`;
}

export function fmtWeight(w: number): string {
  return `${Number.isInteger(w) ? w : w.toFixed(2)} %`;
}

/** A number from a verdict or audit record: integers as such, small values with 4 significant digits. */
export function fmtNumber(n: number): string {
  if (Number.isInteger(n)) return int.format(n);
  if (Math.abs(n) >= 1000) return int.format(Math.round(n));
  return Number(n.toPrecision(4)).toString();
}
