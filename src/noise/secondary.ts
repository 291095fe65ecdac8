import { binomialUpperTail } from "../stats/binomial.js";
import type { Difference } from "../diff/types.js";

/**
 * Noise learned from a second legacy instance (legacy-secondary), Diffy-style: for the same
 * mirrored requests, how often does legacy differ from *itself* at a (kind, path), compared with
 * how often the candidate differs from legacy there?
 *
 * Diffy (opendiffy/diffy JoinedDifferences.scala) shows a field only when raw > noise,
 * |raw − noise| / (raw + noise) > 20 % and |raw − noise| / total > 0.03 %
 * (shadow-diff.md §2a). Here the product issue asks for a stricter, easier to explain rule:
 * the candidate's rate must exceed `relative` × legacy's own rate AND exceed it by more than
 * `absolutePoints` percentage points. Both are configurable.
 */

export interface SecondaryThresholds {
  /** The candidate's rate must be more than this multiple of legacy's own rate. Default 2. */
  relative: number;
  /** …and more than this many percentage points above it. Default 5. */
  absolutePoints: number;
  /** Requests with a secondary answer needed before the comparison is trusted. Default 20. */
  minSamples: number;
}

export const DEFAULT_SECONDARY: SecondaryThresholds = { relative: 2, absolutePoints: 5, minSamples: 20 };

/**
 * Before minSamples, a key is already noise when legacy differs from itself there so often that no
 * candidate rate could be "clearly more": legacy's own rate is at least 1 / relative with 95 %
 * confidence (exact binomial test), so even a candidate differing on every request stays within
 * `relative` × legacy's rate. With the default relative 2 that takes 5 requests that all differed
 * (P = 0.5⁵ ≈ 3 %), or 7 of 8. Real differences need the full minSamples: "never differs by
 * itself" is a claim about a low rate, which few requests cannot support.
 */
const EARLY_CONFIDENCE = 0.05;

function earlyNoise(samples: number, secondary: number, t: SecondaryThresholds): boolean {
  if (secondary === 0 || t.relative <= 1) return false;
  return binomialUpperTail(secondary, samples, 1 / t.relative) <= EARLY_CONFIDENCE;
}

/** Counts for one (kind, group path) of one route template. */
export interface SecondaryCounts {
  /** Requests on which legacy differed from legacy-secondary here. */
  secondary: number;
  /** Requests (of those same ones) on which the candidate differed from legacy here. */
  candidate: number;
}

export interface SecondaryVerdict {
  verdict: "noise" | "real" | "unknown";
  /** Requests with both a secondary and a candidate answer. */
  samples: number;
  secondaryRate: number;
  candidateRate: number;
}

/** Bounded per-template counters. */
export interface SecondaryRoute {
  samples: number;
  keys: Map<string, SecondaryCounts>;
}

const MAX_KEYS_PER_ROUTE = 1024;

export function keyOf(d: Pick<Difference, "kind" | "groupPath">): string {
  return `${d.kind} ${d.groupPath}`;
}

/** Records one mirrored request that legacy-secondary and the candidate both answered. */
export function observeSecondaryPair(
  route: SecondaryRoute,
  legacyVsSecondary: readonly Difference[],
  legacyVsCandidate: readonly Difference[],
): void {
  route.samples++;
  // A request counts once per key, however many list items differed there.
  for (const k of new Set(legacyVsSecondary.map(keyOf))) bump(route, k, "secondary");
  for (const k of new Set(legacyVsCandidate.map(keyOf))) bump(route, k, "candidate");
}

function bump(route: SecondaryRoute, key: string, side: keyof SecondaryCounts): void {
  let c = route.keys.get(key);
  if (!c) {
    if (route.keys.size >= MAX_KEYS_PER_ROUTE) return;
    c = { secondary: 0, candidate: 0 };
    route.keys.set(key, c);
  }
  c[side]++;
}

/** Real, noise, or unknown (too few samples) for one difference key. */
export function secondaryVerdict(
  route: SecondaryRoute | undefined,
  d: Pick<Difference, "kind" | "groupPath">,
  t: SecondaryThresholds,
): SecondaryVerdict {
  const samples = route?.samples ?? 0;
  const c = route?.keys.get(keyOf(d));
  const secondaryRate = samples > 0 ? (c?.secondary ?? 0) / samples : 0;
  const candidateRate = samples > 0 ? (c?.candidate ?? 0) / samples : 0;
  if (route === undefined || samples < t.minSamples) {
    const early = earlyNoise(samples, c?.secondary ?? 0, t);
    return { verdict: early ? "noise" : "unknown", samples, secondaryRate, candidateRate };
  }
  // Legacy never differed from itself here: nothing to attribute the difference to.
  if ((c?.secondary ?? 0) === 0) return { verdict: "real", samples, secondaryRate, candidateRate };
  const clearlyMore =
    candidateRate > t.relative * secondaryRate && (candidateRate - secondaryRate) * 100 > t.absolutePoints;
  return { verdict: clearlyMore ? "real" : "noise", samples, secondaryRate, candidateRate };
}
