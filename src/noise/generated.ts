import { appendSegment } from "../json/path.js";
import { ExactNumber } from "../json/parse.js";
import { SSE_DATA } from "../diff/sse.js";
import { GENERATED_SHAPES, numberShape, stringShape } from "../diff/shape.js";

/**
 * Noise learned without a secondary: legacy's own values per (route template, path), watched
 * across requests. A field whose value changes from request to request and looks generated
 * (UUIDs, timestamps, RFC 822 dates, hex/base64 tokens, increasing counters), or that changes
 * between two requests for the very same target (uptime, durations), is *probable* noise.
 * Shown apart in the report, never dropped. State is bounded per route and per path.
 */

export interface GeneratedLimits {
  /** Requests a path must have been seen in before it can be judged. Default 5. */
  minObservations: number;
  /** Paths tracked per route template; later paths are not learned. Default 128. */
  maxPathsPerRoute: number;
  /** Distinct per-request values remembered per path (enough to tell "varies" from "repeats"). Default 16. */
  maxDistinct: number;
}

// Worst case about 500 bytes per path: 500 templates × 128 paths ≈ 32 MB; typical services use far less.
export const DEFAULT_GENERATED: GeneratedLimits = { minObservations: 5, maxPathsPerRoute: 128, maxDistinct: 16 };

// Share of observations that must agree before a path is called generated.
const MOSTLY = 0.8;
// Counters may be observed slightly out of order (concurrent mirrors), hence not 100 %.
const INCREASING = 0.9;
const MAX_REQUEST_KEYS = 8;
const MAX_NODES = 2000;
const MAX_DEPTH = 32;
const MAX_VALUES_PER_REQUEST = 8;

/** What has been seen at one path. Plain data, so it serialises as is. */
export interface PathStats {
  /** Requests the path was seen in. */
  n: number;
  /** 32-bit hashes of distinct per-request values (at most maxDistinct). */
  distinct: number[];
  /** Requests whose first value had a generated shape (uuid, timestamp, token…). */
  generatedShape: number;
  /** Consecutive numeric observations compared, and how many went up. */
  compared: number;
  increased: number;
  last?: number;
  /** Requests for a target seen before, and how many of those changed value. */
  repeats: number;
  repeatChanges: number;
  /** Last value hash per request target (at most MAX_REQUEST_KEYS targets). */
  byTarget: Record<string, number>;
}

export type RouteStats = Map<string, PathStats>;

/** FNV-1a, 32 bits: a compact stand-in for a value. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export type Leaf = string | number | boolean | null | ExactNumber;

/**
 * Group paths seen in bodies, as a trie of segments. The same paths come back in every answer of
 * a route, so each path string is built once and then reused: the same string object every time,
 * whose hash the leaf map has already computed. Bounded: past PATH_NODES_MAX nodes it starts over.
 */
interface PathNode {
  path: string;
  keys: Map<string, PathNode> | undefined;
  item: PathNode | undefined;
}
const PATH_NODES_MAX = 50_000;
let pathRoot: PathNode = { path: "$", keys: undefined, item: undefined };
// JSON inside SSE event data, at the paths the diff gives it: "sse[*].data.at".
let sseRoot: PathNode = { path: SSE_DATA, keys: undefined, item: undefined };
let pathNodes = 2;

function keyChild(n: PathNode, k: string): PathNode {
  n.keys ??= new Map();
  let c = n.keys.get(k);
  if (c === undefined) {
    c = { path: appendSegment(n.path, k, false), keys: undefined, item: undefined };
    n.keys.set(k, c);
    pathNodes++;
  }
  return c;
}

function itemChild(n: PathNode): PathNode {
  if (n.item === undefined) {
    n.item = { path: appendSegment(n.path, 0, true), keys: undefined, item: undefined };
    pathNodes++;
  }
  return n.item;
}

/**
 * Leaf values by group path (list indexes folded) in one body, bounded in size and depth. With
 * `inSse`, the value is one SSE event's JSON data and paths start at "sse[*].data".
 */
export function collectLeaves(body: unknown, into = new Map<string, Leaf[]>(), inSse = false): Map<string, Leaf[]> {
  let nodes = 0;
  if (pathNodes > PATH_NODES_MAX) {
    pathRoot = { path: "$", keys: undefined, item: undefined };
    sseRoot = { path: SSE_DATA, keys: undefined, item: undefined };
    pathNodes = 2;
  }
  const walk = (v: unknown, at: PathNode, depth: number): void => {
    if (++nodes > MAX_NODES || depth > MAX_DEPTH) return;
    if (v === null || typeof v !== "object" || v instanceof ExactNumber) {
      const list = into.get(at.path);
      if (!list) into.set(at.path, [v as Leaf]);
      else if (list.length < MAX_VALUES_PER_REQUEST) list.push(v as Leaf);
      return;
    }
    if (Array.isArray(v)) {
      const item = itemChild(at);
      for (const x of v) walk(x, item, depth + 1);
      return;
    }
    const o = v as Record<string, unknown>;
    // Parsed JSON objects are plain: own enumerable keys are all there is.
    for (const k in o) walk(o[k], keyChild(at, k), depth + 1);
  };
  walk(body, inSse ? sseRoot : pathRoot, 0);
  return into;
}

function isGeneratedShape(v: Leaf): boolean {
  if (typeof v === "string") return GENERATED_SHAPES.has(stringShape(v));
  if (typeof v === "number") return GENERATED_SHAPES.has(numberShape(v));
  return false;
}

/**
 * What observeSummaries needs of one path's values in one body, as plain numbers: the value hash,
 * whether the first value has a generated shape, and the value when it is a lone number (counters).
 * Computed where the body is parsed (the comparison worker), applied to the model on the main thread.
 */
export type LeafSummary = [path: string, hash: number, generatedShape: 0 | 1, lone: number | null];

function leafText(v: Leaf): string {
  return v instanceof ExactNumber ? v.text : JSON.stringify(v);
}

/** summarizeLeaves turns collected leaves into the compact form observeSummaries takes. */
export function summarizeLeaves(leaves: Map<string, Leaf[]>): LeafSummary[] {
  const out: LeafSummary[] = [];
  for (const [path, values] of leaves) {
    const first = values[0] ?? null;
    // One value (the usual case) hashes its text alone, which is what the join of one would give.
    const h = hash(values.length === 1 ? leafText(first) : values.map(leafText).join("\u0001"));
    out.push([
      path,
      h,
      isGeneratedShape(first) ? 1 : 0,
      typeof first === "number" && values.length === 1 ? first : null,
    ]);
  }
  return out;
}

/** Records one legacy body's summarised values; `target` (method + path + query) enables the same-target check. */
export function observeSummaries(
  route: RouteStats,
  leaves: readonly LeafSummary[],
  limits: GeneratedLimits,
  target?: string,
): void {
  for (const [path, h, generatedShape, lone] of leaves) {
    let s = route.get(path);
    if (!s) {
      if (route.size >= limits.maxPathsPerRoute) continue;
      s = {
        n: 0,
        distinct: [],
        generatedShape: 0,
        compared: 0,
        increased: 0,
        repeats: 0,
        repeatChanges: 0,
        byTarget: {},
      };
      route.set(path, s);
    }
    s.n++;
    if (s.distinct.length < limits.maxDistinct && !s.distinct.includes(h)) s.distinct.push(h);
    s.generatedShape += generatedShape;
    if (lone !== null) {
      if (s.last !== undefined) {
        s.compared++;
        if (lone > s.last) s.increased++;
      }
      s.last = lone;
    }
    if (target !== undefined) {
      const prev = s.byTarget[target];
      if (prev !== undefined) {
        s.repeats++;
        if (prev !== h) s.repeatChanges++;
        s.byTarget[target] = h;
      } else if (Object.keys(s.byTarget).length < MAX_REQUEST_KEYS) s.byTarget[target] = h;
    }
  }
}

export interface GeneratedVerdict {
  generated: boolean;
  /** Why, in words, for the report. */
  reason: string;
  /** Too few observations of legacy's own value to say either way yet. */
  undecided?: true;
}

/** Is the value at this path generated per request? */
export function generatedVerdict(s: PathStats | undefined, limits: GeneratedLimits): GeneratedVerdict {
  if (!s) return { generated: false, reason: "path not observed on legacy" };
  // Strongest evidence: the same request target answered with different values.
  if (s.repeats >= 3) {
    const share = s.repeatChanges / s.repeats;
    return share >= MOSTLY
      ? {
          generated: true,
          reason: `changed on ${s.repeatChanges} of ${s.repeats} repeated requests for the same target`,
        }
      : { generated: false, reason: `stable on repeated requests for the same target` };
  }
  if (s.n < limits.minObservations)
    return { generated: false, reason: `seen in ${s.n} requests, too few to judge`, undecided: true };
  const varies = s.distinct.length >= MOSTLY * Math.min(s.n, limits.maxDistinct);
  if (!varies) return { generated: false, reason: "values repeat across requests" };
  if (s.generatedShape >= MOSTLY * s.n) {
    return {
      generated: true,
      reason: `a new generated-looking value (id, timestamp or token) in ${s.distinct.length}+ requests`,
    };
  }
  if (s.compared >= limits.minObservations - 1 && s.increased >= INCREASING * s.compared) {
    return { generated: true, reason: `an increasing counter (${s.increased} of ${s.compared} observations went up)` };
  }
  return { generated: false, reason: "varies, but does not look generated" };
}
