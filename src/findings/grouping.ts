/**
 * How differences are grouped: the finding id (route, template, kind, group path) and the route
 * state key (route, template); and the per-route state: mirrored requests and request signatures
 * (the set of finding ids each differing request showed, counted), from which a route's differing
 * share is recounted whenever a finding is accepted, ignored or pruned, with its stored RouteRow.
 * Pure; the aggregator owns the instances.
 */
import { createHash } from "node:crypto";
import type { Finding, RouteRow, RouteSummary } from "./types.js";
import { wilson } from "./wilson.js";

const idCache = new Map<string, string>();
const ID_CACHE_MAX = 10_000;

/** The id of a finding: a short hash of what it groups by, stable across restarts. Memoised (hot path). */
export function findingId(routeName: string, template: string, kind: string, groupPath: string): string {
  const key = `${routeName}\n${template}\n${kind}\n${groupPath}`;
  let id = idCache.get(key);
  if (id === undefined) {
    id = createHash("sha256").update(key).digest("hex").slice(0, 12);
    if (idCache.size >= ID_CACHE_MAX) idCache.clear();
    idCache.set(key, id);
  }
  return id;
}

/** The key of a route state: route name and template. */
export function routeKey(routeName: string, template: string): string {
  return `${routeName}\n${template}`;
}

/** Where templates past maxTemplates are counted: one bucket per route. */
export const OVERFLOW_TEMPLATE = "{other}";

// Distinct combinations of findings remembered per route; beyond, requests count as differing.
const MAX_SIGNATURES = 1000;

export interface RouteState extends RouteRow {
  signatureCounts: Map<string, number>;
}

export function newRouteState(routeName: string, template: string): RouteState {
  return {
    routeName,
    template,
    mirrored: 0,
    signatures: [],
    signatureCounts: new Map(),
    overflow: 0,
    ignoredDifferences: 0,
  };
}

/** Counts one differing request under the set of finding ids it showed. */
export function recordSignature(route: RouteState, findingIds: Iterable<string>): void {
  const sig = [...findingIds].sort().join(",");
  const n = route.signatureCounts.get(sig);
  if (n !== undefined) route.signatureCounts.set(sig, n + 1);
  else if (route.signatureCounts.size < MAX_SIGNATURES) route.signatureCounts.set(sig, 1);
  else route.overflow++;
}

/**
 * A route state's summary from its own findings: they are counted by state, and the requests that
 * showed at least one real, unaccepted, not ignored finding (plus overflow) are the differing ones.
 */
export function summarizeRoute(
  r: RouteState,
  routeFindings: Iterable<Finding>,
  isIgnored: (f: Finding) => boolean,
): RouteSummary {
  const counted = new Set<string>();
  const findings = { real: 0, noise: 0, accepted: 0, ignored: 0 };
  for (const f of routeFindings) {
    if (isIgnored(f)) findings.ignored++;
    else if (f.accepted) findings.accepted++;
    else if (f.noise === "real") {
      findings.real++;
      counted.add(f.id);
    } else findings.noise++;
  }
  let differing = r.overflow;
  if (counted.size > 0)
    for (const [sig, n] of r.signatureCounts) if (sig.split(",").some((id) => counted.has(id))) differing += n;
  const mirrored = Math.max(r.mirrored, differing);
  return {
    routeName: r.routeName,
    template: r.template,
    mirrored: r.mirrored,
    differing,
    rate: wilson(differing, mirrored),
    findings,
  };
}

/** A route state as its stored row. */
export function toRouteRow({ signatureCounts, ...rest }: RouteState): RouteRow {
  return { ...rest, signatures: [...signatureCounts] };
}

/** A stored row back as a route state. */
export function fromRouteRow(row: RouteRow): RouteState {
  return { ...row, signatures: [], signatureCounts: new Map(row.signatures) };
}
