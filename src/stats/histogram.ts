/**
 * A log-linear latency histogram in the style of HdrHistogram (Tene), kept small, pure and
 * JSON-serialisable so the window can be persisted and merged. Values are recorded in whole
 * microseconds: 0–63 µs exactly, then 32 linear sub-buckets per power of two, so every bucket's
 * width is at most 1/32 of its lower bound (≤ 3.2% relative error). 1,024 buckets cover 0 µs to
 * 2³⁶ µs (19 h); larger values land in the last bucket. Quantiles and "how many above x"
 * interpolate linearly inside a bucket, so the two are consistent with each other.
 */

const SUB_BITS = 5;
const SUB = 1 << SUB_BITS; // 32
const LINEAR = 2 * SUB; // 64 exact buckets
export const HISTOGRAM_BUCKETS = 1024;
const MAX_US = 2 ** 36 - 1;

export function bucketIndex(us: number): number {
  let v = Math.min(Math.max(0, Math.floor(us)), MAX_US);
  if (v < LINEAR) return v;
  let e = 0;
  // Integer shifts, not log2: Math.log2 can round up just below a power of two.
  while (v >= 2 ** 31) {
    v = Math.floor(v / 2);
    e++;
  }
  const shift = 32 - Math.clz32(v) - (SUB_BITS + 1);
  return SUB * (e + shift) + (v >>> shift);
}

/** Lower bound (µs) and width of bucket `i`. */
export function bucketBounds(i: number): { lower: number; width: number } {
  if (i < LINEAR) return { lower: i, width: 1 };
  const e = Math.floor(i / SUB) - 1;
  return { lower: (i - SUB * e) * 2 ** e, width: 2 ** e };
}

export interface HistogramSnapshot {
  /** Sparse [bucket index, count] pairs, ascending. */
  bins: [number, number][];
  total: number;
  /** Exact smallest and largest recorded values in ms (null when empty). */
  min: number | null;
  max: number | null;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(HISTOGRAM_BUCKETS);
  total = 0;
  min = Infinity;
  max = -Infinity;

  record(ms: number, count = 1): void {
    if (!Number.isFinite(ms) || count <= 0) return;
    const i = bucketIndex(ms * 1000);
    this.counts[i] = (this.counts[i] ?? 0) + count;
    this.total += count;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  /** The q-quantile in ms (linear inside the bucket), or NaN when empty. */
  quantile(q: number): number {
    if (this.total <= 0) return NaN;
    const rank = Math.min(Math.max(q, 0), 1) * this.total;
    let cum = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      const c = this.counts[i] ?? 0;
      if (c <= 0) continue;
      if (cum + c >= rank) {
        const { lower, width } = bucketBounds(i);
        const v = (lower + ((rank - cum) / c) * width) / 1000;
        return Math.min(Math.max(v, this.min), this.max);
      }
      cum += c;
    }
    return this.max;
  }

  /** Number of recorded values above `ms` (fractional inside the bucket holding `ms`). */
  countAbove(ms: number): number {
    if (this.total <= 0) return 0;
    if (ms < this.min) return this.total;
    if (ms >= this.max) return 0;
    const us = ms * 1000;
    const k = bucketIndex(us);
    let above = 0;
    for (let i = HISTOGRAM_BUCKETS - 1; i > k; i--) above += this.counts[i] ?? 0;
    const c = this.counts[k] ?? 0;
    if (c > 0) {
      const { lower, width } = bucketBounds(k);
      above += c * Math.min(1, Math.max(0, (lower + width - us) / width));
    }
    return above;
  }

  /**
   * The q-quantile of several histograms pooled, without building the merged histogram. The
   * judge uses the pooled candidate + legacy quantile as the tail threshold: under H₀ both arms
   * are exchangeable, so the candidate's share of the requests above it is known exactly
   * (Mood's quantile test), whereas legacy's own quantile has a sampling error the test would
   * otherwise ignore.
   */
  static quantileOf(hists: readonly LatencyHistogram[], q: number): number {
    let total = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const h of hists) {
      total += h.total;
      min = Math.min(min, h.min);
      max = Math.max(max, h.max);
    }
    if (total <= 0) return NaN;
    const rank = Math.min(Math.max(q, 0), 1) * total;
    let cum = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      let c = 0;
      for (const h of hists) c += h.counts[i] ?? 0;
      if (c <= 0) continue;
      if (cum + c >= rank) {
        const { lower, width } = bucketBounds(i);
        return Math.min(Math.max((lower + ((rank - cum) / c) * width) / 1000, min), max);
      }
      cum += c;
    }
    return max;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) this.counts[i] = (this.counts[i] ?? 0) + (other.counts[i] ?? 0);
    this.total += other.total;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  snapshot(): HistogramSnapshot {
    const bins: [number, number][] = [];
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      const c = this.counts[i] ?? 0;
      if (c > 0) bins.push([i, c]);
    }
    return { bins, total: this.total, min: this.total > 0 ? this.min : null, max: this.total > 0 ? this.max : null };
  }

  static fromSnapshot(s: HistogramSnapshot): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [i, c] of s.bins) {
      if (i >= 0 && i < HISTOGRAM_BUCKETS && c > 0) {
        h.counts[i] = c;
        h.total += c;
      }
    }
    h.min = s.min ?? Infinity;
    h.max = s.max ?? -Infinity;
    return h;
  }
}
