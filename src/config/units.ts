import { z } from "zod";

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/;
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)$/i;
const SCALE: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const BYTES: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: 1 << 20, gb: 1e9, gib: 1 << 30 };

/** A duration: a number of milliseconds, or a string such as "250ms", "5s", "10m", "1h". Parsed to ms. */
export const duration = z.union([z.number().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === "number") return v;
  const m = DURATION.exec(v.trim());
  if (!m?.[1] || !m[2]) {
    ctx.addIssue({ code: "custom", message: `"${v}" is not a duration (use e.g. 250ms, 5s, 10m, 1h)` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * (SCALE[m[2]] ?? 1));
});

/** A size: a number of bytes, or a string such as "64kb", "1mib", "10mb". Parsed to bytes. */
export const size = z.union([z.number().int().nonnegative(), z.string()]).transform((v, ctx) => {
  if (typeof v === "number") return v;
  const m = SIZE.exec(v.trim());
  if (!m?.[1] || !m[2]) {
    ctx.addIssue({ code: "custom", message: `"${v}" is not a size (use e.g. 512b, 64kb, 1mib)` });
    return z.NEVER;
  }
  return Math.round(Number(m[1]) * (BYTES[m[2].toLowerCase()] ?? 1));
});

const LATENCY_PART = /^\+?\s*(\d+(?:\.\d+)?)\s*(%|ms|s)?$/;

/** Default p95 latency margin: +20% relative and +25 ms absolute (see docs/config.md). */
export const DEFAULT_P95_MARGIN = { p95: 0.2, p95FloorMs: 25 } as const;

/**
 * The p95 latency margin: "+20% and +25ms" (also "+25ms and +20%", "+20%, +25ms", "+20% & 25ms"),
 * "+20%" or "+25ms" alone (the other part keeps its default), or a number (percent). A candidate
 * is slower only when worse than legacy by both parts.
 */
export function parseLatencyMargin(v: number | string): { p95: number; p95FloorMs: number } | { error: string } {
  if (typeof v === "number")
    return Number.isFinite(v) && v >= 0 ? { ...DEFAULT_P95_MARGIN, p95: v / 100 } : { error: `${v} is negative` };
  const out: { p95: number; p95FloorMs: number } = { ...DEFAULT_P95_MARGIN };
  const seen = new Set<string>();
  for (const part of v.trim().split(/\s*(?:\band\b|&|,)\s*/i)) {
    const m = LATENCY_PART.exec(part);
    const unit = m?.[2] ?? "%";
    const kind = unit === "%" ? "relative" : "absolute";
    if (!m?.[1] || seen.has(kind))
      return { error: `"${v}" is not a latency margin (use e.g. "+20% and +25ms", "+20%" or "+25ms")` };
    seen.add(kind);
    const n = Number(m[1]);
    if (unit === "%") out.p95 = n / 100;
    else out.p95FloorMs = unit === "s" ? n * 1000 : n;
  }
  return out;
}

/** host:port, with port 0 allowed (an ephemeral port, for tests). */
export const listenAddress = z.string().refine((v) => /^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(v), {
  message: 'must be "host:port", e.g. 0.0.0.0:8080 or 127.0.0.1:9901',
});

export function parseListen(addr: string): { host: string; port: number } {
  const i = addr.lastIndexOf(":");
  const host = addr.slice(0, i).replace(/^\[|\]$/g, "");
  return { host, port: Number(addr.slice(i + 1)) };
}
