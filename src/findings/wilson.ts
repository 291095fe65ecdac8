import type { Rate } from "./types.js";

/** z for a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/**
 * The Wilson score interval for k successes in n trials (Wilson 1927; recommended over the
 * normal approximation by Brown, Cai & DasGupta 2001 because it behaves at k = 0 and small n,
 * exactly where a fresh finding on a quiet route sits). n = 0 gives the uninformative [0, 1].
 */
export function wilson(k: number, n: number, z = Z95): Rate {
  if (n <= 0) return { rate: 0, low: 0, high: 1 };
  const p = Math.min(1, Math.max(0, k / n));
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { rate: p, low: Math.max(0, center - half), high: Math.min(1, center + half) };
}
