import { userCapWeight } from "./cluster.js";
import type { UserSample } from "./user-sample.js";

/**
 * Per-user capped counts from user samples (see cluster.ts for the rationale). A user whose
 * events exceed `cap` is down-weighted by cap/events on both events and exposure: their rate
 * is kept, their weight is bounded, and the weighting rule is the same in both arms, so an A/A
 * comparison stays unbiased while one broken (or one heavy) user adds at most `cap` events of
 * evidence to a sequential test.
 */

export interface WeightedCounts {
  x: number;
  n: number;
}

export interface CappedErrors {
  /** Per-route capped (errors, requests), aligned with the input samples. */
  perRoute: WeightedCounts[];
  /** Every sampled user's totals across routes (n, errors), for the cluster-robust variance. */
  userN: Float64Array;
  userErrors: Float64Array;
  users: number;
  /** Largest single user's error count and the number of users with any error. */
  topUserErrors: number;
  usersWithErrors: number;
  /** Errors of the sampled users (uncapped). */
  sampledErrors: number;
  /** Sampled share of users the counts represent (the smallest sampling fraction used). */
  fraction: number;
}

/**
 * Errors capped per user across routes: the samples of one arm (one per route) are joined by
 * user hash below the smallest threshold, so every route's sample covers the same users. The
 * join is an open-addressing table over typed arrays (the judge runs it on every evaluation).
 */
export function cappedErrors(samples: readonly (UserSample | undefined)[], cap: number): CappedErrors {
  let threshold = 2 ** 32;
  let entries = 0;
  for (const s of samples) {
    if (!s) continue;
    threshold = Math.min(threshold, s.threshold);
    entries += s.size;
  }
  let size = 16;
  while (size < entries * 2) size *= 2;
  const mask = size - 1;
  const keys = new Uint32Array(size);
  const used = new Uint8Array(size);
  const userN = new Float64Array(entries);
  const userErrors = new Float64Array(entries);
  const index = new Int32Array(size);
  let users = 0;
  const slotOf = (h: number): number => {
    let i = h & mask;
    while (used[i] === 1 && keys[i] !== h) i = (i + 1) & mask;
    return i;
  };
  for (const s of samples) {
    if (!s) continue;
    for (let i = 0; i < s.size; i++) {
      const h = s.hashAt(i);
      if (h >= threshold) continue;
      const k = slotOf(h);
      if (used[k] !== 1) {
        used[k] = 1;
        keys[k] = h;
        index[k] = users++;
      }
      const u = index[k] ?? 0;
      userN[u] = (userN[u] ?? 0) + s.nAt(i);
      userErrors[u] = (userErrors[u] ?? 0) + s.errorsAt(i);
    }
  }
  const perRoute = samples.map((s) => {
    const out = { x: 0, n: 0 };
    if (!s) return out;
    for (let i = 0; i < s.size; i++) {
      const h = s.hashAt(i);
      if (h >= threshold) continue;
      const e = s.errorsAt(i);
      const total = userErrors[index[slotOf(h)] ?? 0] ?? 0;
      const w = userCapWeight(total, cap);
      out.x += w * e;
      out.n += w * s.nAt(i);
    }
    return out;
  });
  let top = 0;
  let withErrors = 0;
  let sampledErrors = 0;
  for (let u = 0; u < users; u++) {
    const e = userErrors[u] ?? 0;
    if (e > 0) withErrors++;
    if (e > top) top = e;
    sampledErrors += e;
  }
  return {
    perRoute,
    userN: userN.subarray(0, users),
    userErrors: userErrors.subarray(0, users),
    users,
    topUserErrors: top,
    usersWithErrors: withErrors,
    sampledErrors,
    fraction: threshold / 2 ** 32,
  };
}

/**
 * Status composition of each user's first K non-error responses, each user weighted so that no
 * status counts more than `cap` times for them. Errors (5xx and status 0) are left to the
 * error-rate test.
 */
export function cappedComposition(sample: UserSample | undefined, cap: number): Map<number, number> {
  const out = new Map<number, number>();
  if (!sample) return out;
  const k = sample.firstK;
  const codes = new Uint16Array(k);
  const counts = new Uint8Array(k);
  for (let i = 0; i < sample.size; i++) {
    let distinct = 0;
    let most = 0;
    for (let j = 0; j < sample.keptAt(i); j++) {
      const st = sample.statusAt(i, j);
      if (st === 0 || st >= 500) continue;
      let c = 0;
      while (c < distinct && codes[c] !== st) c++;
      if (c === distinct) {
        codes[c] = st;
        counts[c] = 0;
        distinct++;
      }
      const n = (counts[c] ?? 0) + 1;
      counts[c] = n;
      if (n > most) most = n;
    }
    const w = userCapWeight(most, cap);
    for (let c = 0; c < distinct; c++) {
      const st = codes[c] ?? 0;
      out.set(st, (out.get(st) ?? 0) + w * (counts[c] ?? 0));
    }
  }
  return out;
}

/** Requests slower than `thresholdMs` among each user's first K, capped per user. */
export function cappedExceedances(sample: UserSample | undefined, thresholdMs: number, cap: number): WeightedCounts {
  const out = { x: 0, n: 0 };
  if (!sample || !Number.isFinite(thresholdMs)) return out;
  for (let i = 0; i < sample.size; i++) {
    const k = sample.keptAt(i);
    let x = 0;
    for (let j = 0; j < k; j++) if (sample.latencyAt(i, j) > thresholdMs) x++;
    const w = userCapWeight(x, cap);
    out.x += w * x;
    out.n += w * k;
  }
  return out;
}
