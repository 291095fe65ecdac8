import type { Finding, FindingsRows, RouteRow } from "../findings/index.js";
import type { RowMerger } from "../store/postgres.js";
import type { Store } from "../store/store.js";

/** The store collections parity keeps findings in (src/compare/parity.ts). */
export const FINDINGS = "finding";
export const ROUTES = "finding_route";

type Counts = Record<string, number>;

function addCounts(a: Counts, b: Counts, sign = 1): Counts {
  const out: Counts = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + sign * v;
  return out;
}

/**
 * A finding from several replicas: counts add up, first/last seen widen, the latest sample and
 * noise class win, examples are the union (by exchange, newest first, as many as the larger
 * side kept), and an acceptance is kept (the latest one when both have one).
 */
export const FINDING_MERGER: RowMerger = {
  merge(x, y) {
    const a = x as Finding;
    const b = y as Finding;
    const latest = b.lastSeen >= a.lastSeen ? b : a;
    const seen = new Set<string>();
    const examples = [...a.examples, ...b.examples]
      .sort((p, q) => q.at - p.at)
      .filter((e) => {
        if (seen.has(e.exchangeId)) return false;
        seen.add(e.exchangeId);
        return true;
      })
      .slice(0, Math.max(a.examples.length, b.examples.length));
    const accepted =
      a.accepted && b.accepted
        ? b.accepted.at >= a.accepted.at
          ? b.accepted
          : a.accepted
        : (a.accepted ?? b.accepted);
    return {
      ...latest,
      count: a.count + b.count,
      firstSeen: Math.min(a.firstSeen, b.firstSeen),
      lastSeen: Math.max(a.lastSeen, b.lastSeen),
      noiseCounts: addCounts(a.noiseCounts, b.noiseCounts) as Finding["noiseCounts"],
      examples,
      ...(accepted ? { accepted } : {}),
    } satisfies Finding;
  },
  minus(full, base) {
    const f = full as Finding;
    const b = base as Finding | undefined;
    if (!b) return f;
    const old = new Set(b.examples.map((e) => e.exchangeId));
    return {
      ...f,
      count: f.count - b.count,
      noiseCounts: addCounts(f.noiseCounts, b.noiseCounts, -1) as Finding["noiseCounts"],
      examples: f.examples.filter((e) => !old.has(e.exchangeId)),
    } satisfies Finding;
  },
};

function addSignatures(a: [string, number][], b: [string, number][], sign = 1): [string, number][] {
  const m = new Map(a);
  for (const [k, v] of b) m.set(k, (m.get(k) ?? 0) + sign * v);
  return [...m].filter(([, v]) => v !== 0);
}

/** A route state (mirrored count per endpoint and the signature histogram) from several replicas: sums. */
export const ROUTE_MERGER: RowMerger = {
  merge(x, y) {
    const a = x as RouteRow;
    const b = y as RouteRow;
    return {
      ...b,
      mirrored: a.mirrored + b.mirrored,
      signatures: addSignatures(a.signatures, b.signatures),
      overflow: a.overflow + b.overflow,
      ignoredDifferences: a.ignoredDifferences + b.ignoredDifferences,
    } satisfies RouteRow;
  },
  minus(full, base) {
    const f = full as RouteRow;
    const b = base as RouteRow | undefined;
    if (!b) return f;
    return {
      ...f,
      mirrored: f.mirrored - b.mirrored,
      signatures: addSignatures(f.signatures, b.signatures, -1),
      overflow: f.overflow - b.overflow,
      ignoredDifferences: f.ignoredDifferences - b.ignoredDifferences,
    } satisfies RouteRow;
  },
};

export const FINDINGS_MERGERS: Readonly<Record<string, RowMerger>> = {
  [FINDINGS]: FINDING_MERGER,
  [ROUTES]: ROUTE_MERGER,
};

/** The findings of every replica, merged, in the form FindingsAggregator.fromRows reads. */
export function mergedFindingsRows(store: Store): FindingsRows {
  const rows: FindingsRows = {
    version: 1,
    routes: store.getRows(ROUTES).map((r) => r.value as RouteRow),
    findings: [],
    examples: [],
  };
  for (const { value } of store.getRows(FINDINGS)) {
    const { examples, ...f } = value as Finding;
    rows.findings.push(f);
    examples.forEach((example, slot) => rows.examples.push({ findingId: f.id, slot, example }));
  }
  return rows;
}
