import { canonicalSegments, pathKey, routeTemplate } from "./path.js";
import type { Endpoint, ParamType, Segment } from "./types.js";

/**
 * compareInventories matches legacy's endpoints with the candidate's and reports every
 * difference once. Paths match when they have the same literal segments and parameters in the
 * same places (parameter names ignored, trailing slash ignored); unmatched paths are then paired
 * by a moved prefix (`/api/v1/*` → `/api/v2/*`) or a renamed segment (`/health` →
 * `/healthz`), and each such pairing becomes a suggested `rewrite:`.
 */

export type DifferenceKind =
  | "only_legacy"
  | "only_candidate"
  | "method_mismatch"
  | "param_type"
  | "param_renamed"
  | "trailing_slash"
  | "path_renamed"
  | "prefix_moved";

export interface RouteDifference {
  kind: DifferenceKind;
  legacy?: string;
  candidate?: string;
  /** Methods involved: for only_* the path's methods; for method_mismatch those one side lacks. */
  methods?: { legacy: string[]; candidate: string[] };
  message: string;
}

export interface RewriteSuggestion {
  /** Route template clients call (legacy's path). */
  match: string;
  /** Route template the candidate serves it at. */
  candidate: string;
  /** Paths this rewrite pairs. */
  paths: number;
  reason: string;
}

/** One path on one side with every method it takes. */
export interface PathGroup {
  path: string;
  key: string;
  methods: string[];
  endpoints: Endpoint[];
}

export interface PathPair {
  legacy: PathGroup;
  candidate: PathGroup;
  via: "same" | "prefix_moved" | "path_renamed";
  /** Index into `rewrites` of the suggestion that pairs them (moved or renamed paths). */
  rewrite?: number;
}

export interface InventoryComparison {
  pairs: PathPair[];
  onlyLegacy: PathGroup[];
  onlyCandidate: PathGroup[];
  differences: RouteDifference[];
  rewrites: RewriteSuggestion[];
}

export function groupPaths(endpoints: readonly Endpoint[]): PathGroup[] {
  const groups = new Map<string, PathGroup>();
  for (const e of endpoints) {
    const key = pathKey(e.path);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { path: e.path, key, methods: [], endpoints: [] }));
    if (!g.methods.includes(e.method)) g.methods.push(e.method);
    g.endpoints.push(e);
  }
  for (const g of groups.values()) g.methods.sort();
  return [...groups.values()].sort((a, b) => a.key.localeCompare(b.key));
}

const keySegs = (key: string): string[] =>
  key
    .split("/")
    .slice(1)
    .filter((s) => s !== "");
const isLiteral = (s: string) => s !== "{}";
const VERSION = /^v\d+$/i;

function commonSuffix(a: string[], b: string[]): number {
  let n = 0;
  while (n < a.length && n < b.length && a[a.length - 1 - n] === b[b.length - 1 - n]) n++;
  return n;
}

function similarLeaf(a: string, b: string): boolean {
  const short = Math.min(a.length, b.length);
  if (a === b || !isLiteral(a) || !isLiteral(b) || short < 3) return false;
  if (a.startsWith(b) || b.startsWith(a)) return Math.abs(a.length - b.length) <= 3;
  return short >= 4 && editDistance(a, b) <= Math.max(1, Math.floor(short / 4));
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** rewriteFor builds the candidate route template with legacy's parameter names in the same places. */
function rewriteFor(legacyPath: string, candidatePath: string): { match: string; candidate: string } {
  const match = routeTemplate(legacyPath);
  const names = match.split("/").filter((s) => s.startsWith(":"));
  let i = 0;
  const candidate = routeTemplate(candidatePath)
    .split("/")
    .map((s) => (s.startsWith(":") ? (names[i++] ?? s) : s))
    .join("/");
  return { match, candidate };
}

const hasSlash = (path: string) => path.length > 1 && path.endsWith("/");
const isMethodAny = (ms: string[]) => ms.includes("*");

function paramSegments(path: string): Extract<Segment, { kind: "param" }>[] {
  return canonicalSegments(path).segments.filter((s): s is Extract<Segment, { kind: "param" }> => s.kind === "param");
}

function typeOf(g: PathGroup, i: number): ParamType {
  for (const e of g.endpoints) {
    const t = e.params[i]?.type;
    if (t && t !== "any") return t;
  }
  return "any";
}

function compatible(a: ParamType, b: ParamType): boolean {
  if (a === b || a === "any" || b === "any") return true;
  return (a === "str" && b === "path") || (a === "path" && b === "str");
}

function pairDifferences(p: PathPair, out: RouteDifference[]): void {
  const { legacy: l, candidate: c } = p;
  const where = { legacy: l.path, candidate: c.path };
  if (!isMethodAny(l.methods) && !isMethodAny(c.methods)) {
    const lo = l.methods.filter((m) => !c.methods.includes(m));
    const co = c.methods.filter((m) => !l.methods.includes(m));
    if (lo.length || co.length)
      out.push({
        kind: "method_mismatch",
        ...where,
        methods: { legacy: lo, candidate: co },
        message: `${l.path}: ${[lo.length ? `only legacy takes ${lo.join(", ")}` : "", co.length ? `only the candidate takes ${co.join(", ")}` : ""].filter(Boolean).join("; ")}`,
      });
  }
  const lp = paramSegments(l.path);
  const cp = paramSegments(c.path);
  const types: string[] = [];
  const renamed: string[] = [];
  lp.forEach((s, i) => {
    const other = cp[i];
    if (!other) return;
    const lt = typeOf(l, i);
    const ct = typeOf(c, i);
    if (!compatible(lt, ct)) types.push(`{${s.name}} ${lt} → ${ct}`);
    if (s.name !== other.name) renamed.push(`{${s.name}} → {${other.name}}`);
  });
  if (types.length)
    out.push({ kind: "param_type", ...where, message: `${l.path}: parameter types differ: ${types.join(", ")}` });
  if (renamed.length && p.via === "same")
    out.push({
      kind: "param_renamed",
      ...where,
      message: `${l.path}: parameter renamed ${renamed.join(", ")} (matched anyway)`,
    });
  if (hasSlash(l.path) !== hasSlash(c.path) && p.via === "same")
    out.push({
      kind: "trailing_slash",
      ...where,
      message: `${l.path} vs ${c.path}: trailing slash differs (the framework may redirect or answer 404); suggested rewrite`,
    });
}

export function compareInventories(legacy: readonly Endpoint[], candidate: readonly Endpoint[]): InventoryComparison {
  const L = groupPaths(legacy);
  const C = groupPaths(candidate);
  const cByKey = new Map(C.map((g) => [g.key, g]));
  const pairs: PathPair[] = [];
  const usedC = new Set<PathGroup>();
  let restL: PathGroup[] = [];
  for (const l of L) {
    const c = cByKey.get(l.key);
    if (c) {
      pairs.push({ legacy: l, candidate: c, via: "same" });
      usedC.add(c);
    } else restL.push(l);
  }
  let restC = C.filter((c) => !usedC.has(c));
  const differences: RouteDifference[] = [];
  const rewrites: RewriteSuggestion[] = [];

  // Moved prefixes: pairs whose keys share a suffix and differ only in a literal head.
  const votes = new Map<string, { hl: string[]; hc: string[]; pairs: [PathGroup, PathGroup][] }>();
  for (const l of restL)
    for (const c of restC) {
      const a = keySegs(l.key);
      const b = keySegs(c.key);
      const s = commonSuffix(a, b);
      if (s === 0) continue;
      const hl = a.slice(0, a.length - s);
      const hc = b.slice(0, b.length - s);
      if (hl.length + hc.length === 0 || !hl.every(isLiteral) || !hc.every(isLiteral)) continue;
      const k = `/${hl.join("/")} → /${hc.join("/")}`;
      const v = votes.get(k) ?? { hl, hc, pairs: [] };
      v.pairs.push([l, c]);
      votes.set(k, v);
    }
  const ranked = [...votes.values()].sort((x, y) => y.pairs.length - x.pairs.length);
  for (const v of ranked) {
    const live = v.pairs.filter(([l, c]) => restL.includes(l) && restC.includes(c));
    const versionBump =
      v.hl.length === v.hc.length && v.hl.filter((s, i) => s !== v.hc[i]).every((s) => VERSION.test(s));
    if (live.length < 2 && !(live.length === 1 && versionBump)) continue;
    const from = "/" + v.hl.join("/");
    const to = "/" + v.hc.join("/");
    for (const [l, c] of live) pairs.push({ legacy: l, candidate: c, via: "prefix_moved", rewrite: rewrites.length });
    restL = restL.filter((l) => !live.some(([x]) => x === l));
    restC = restC.filter((c) => !live.some(([, y]) => y === c));
    const match = from === "/" ? "/*" : `${from}/*`;
    const cand = to === "/" ? "/*" : `${to}/*`;
    rewrites.push({ match, candidate: cand, paths: live.length, reason: `prefix moved: ${from} → ${to}` });
    differences.push({
      kind: "prefix_moved",
      legacy: match,
      candidate: cand,
      message: `${live.length} path(s) moved from ${from} to ${to}; suggested rewrite ${match} → ${cand}`,
    });
  }

  // Renamed segment: the only unmatched pair that differs in one literal segment, similarly spelt.
  for (const l of [...restL]) {
    const a = keySegs(l.key);
    const hits = restC.filter((c) => {
      const b = keySegs(c.key);
      if (b.length !== a.length) return false;
      const diff = a.flatMap((s, i) => (s === b[i] ? [] : [i]));
      const i = diff[0];
      return diff.length === 1 && i !== undefined && similarLeaf(a[i] ?? "", b[i] ?? "");
    });
    const c = hits[0];
    if (hits.length !== 1 || !c) continue;
    pairs.push({ legacy: l, candidate: c, via: "path_renamed", rewrite: rewrites.length });
    restL = restL.filter((x) => x !== l);
    restC = restC.filter((x) => x !== c);
    const rw = rewriteFor(l.path, c.path);
    rewrites.push({ ...rw, paths: 1, reason: `renamed: ${l.path} → ${c.path}` });
    differences.push({
      kind: "path_renamed",
      legacy: l.path,
      candidate: c.path,
      message: `${l.path} is ${c.path} in the candidate; suggested rewrite ${rw.match} → ${rw.candidate}`,
    });
  }

  // A trailing slash only one side has: Flask and FastAPI redirect or 404 the other spelling.
  for (const p of pairs) {
    if (p.via !== "same" || hasSlash(p.legacy.path) === hasSlash(p.candidate.path)) continue;
    p.rewrite = rewrites.length;
    rewrites.push({
      ...rewriteFor(p.legacy.path, p.candidate.path),
      paths: 1,
      reason: `trailing slash: ${p.legacy.path} → ${p.candidate.path}`,
    });
  }
  for (const p of pairs) pairDifferences(p, differences);
  for (const l of restL)
    differences.push({
      kind: "only_legacy",
      legacy: l.path,
      methods: { legacy: l.methods, candidate: [] },
      message: `${l.methods.join(", ")} ${l.path}: not in the candidate`,
    });
  for (const c of restC)
    differences.push({
      kind: "only_candidate",
      candidate: c.path,
      methods: { legacy: [], candidate: c.methods },
      message: `${c.methods.join(", ")} ${c.path}: only in the candidate`,
    });
  pairs.sort((x, y) => x.legacy.key.localeCompare(y.legacy.key));
  return { pairs, onlyLegacy: restL, onlyCandidate: restC, differences, rewrites };
}
