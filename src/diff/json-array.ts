import { canonicalDecimal, ExactNumber, isJsonNumber } from "../json/parse.js";
import { canonicalKey, emit, equalAt, push, typeOf, type Ctx } from "./json-ctx.js";

/**
 * Lists. Equal lists cost one positional pass. Lists that differ are narrowed to the part between
 * their common prefix and suffix, then matched: equal elements first (so a reordered list gives one
 * list_order, not N value changes), then objects by an identity field, then what is left in order.
 */

const IDENTITY_KEYS = ["id", "uuid", "key", "name", "slug"];

export function diffArray(ctx: Ctx, a: unknown[], b: unknown[]): void {
  const n = Math.min(a.length, b.length);
  let lo = 0;
  while (lo < n && equalAt(ctx, a, b, lo, lo)) lo++;
  if (lo === a.length && lo === b.length) return;
  if (ctx.probe) {
    ctx.hit = true;
    return;
  }
  let ea = a.length;
  let eb = b.length;
  while (ea > lo && eb > lo && equalAt(ctx, a, b, ea - 1, eb - 1)) {
    ea--;
    eb--;
  }
  if (ea - lo === eb - lo) {
    // Same-length middle: equal positions stay paired; only the others can have moved.
    const moved: number[] = [];
    for (let i = lo; i < ea; i++) if (i === lo || i === ea - 1 || !equalAt(ctx, a, b, i, i)) moved.push(i);
    if (moved.every((i) => sameIdentity(a[i], b[i]))) {
      for (const i of moved) {
        if (!push(ctx, i)) continue;
        ctx.value(ctx, a[i], b[i]);
        ctx.depth--;
      }
      return;
    }
    matchAndDiff(ctx, a, b, moved, moved);
    return;
  }
  matchAndDiff(ctx, a, b, range(lo, ea), range(lo, eb));
}

function range(from: number, to: number): number[] {
  const r: number[] = [];
  for (let i = from; i < to; i++) r.push(i);
  return r;
}

/** Both objects with the same scalar identity (id, uuid, …): the same element, changed in place. */
function sameIdentity(x: unknown, y: unknown): boolean {
  if (typeOf(x) !== "object" || typeOf(y) !== "object") return false;
  for (const f of IDENTITY_KEYS) {
    if (!hasScalar(x, f)) continue;
    return hasScalar(y, f) && scalarKey(x, f) === scalarKey(y, f);
  }
  return false;
}

/**
 * Matches legacy elements `ia` with candidate elements `ib` (ascending indexes). Elements outside
 * them are already paired with themselves. Reports list_order when matched elements changed their
 * relative order, diffs paired elements in place, and the rest as items missing or added.
 */
function matchAndDiff(ctx: Ctx, a: unknown[], b: unknown[], ia: number[], ib: number[]): void {
  const pairOf = new Map<number, number>(); // candidate index → legacy index
  const usedA = new Set<number>();
  const byKey = new Map<string, number[]>();
  for (const i of ia) {
    const k = elementKey(ctx, i, a[i]);
    const list = byKey.get(k);
    if (list) list.push(i);
    else byKey.set(k, [i]);
  }
  const exact = new Set<number>();
  for (const j of ib) {
    const i = byKey.get(elementKey(ctx, j, b[j]))?.shift();
    if (i === undefined) continue;
    pairOf.set(j, i);
    usedA.add(i);
    exact.add(j);
  }
  matchByIdentity(a, b, ia, ib, pairOf, usedA);

  // Order: over the whole list, are the matched legacy indexes increasing in candidate order?
  // Positions outside ia/ib pair with themselves.
  const inB = new Set(ib);
  let last = -1;
  let reordered = false;
  for (let j = 0; j < b.length && !reordered; j++) {
    const i = inB.has(j) ? (pairOf.get(j) ?? -1) : j < a.length ? j : -1;
    if (i === -1) continue;
    if (i < last) reordered = true;
    last = i;
  }
  if (reordered) {
    const same = exact.size === ia.length && exact.size === ib.length;
    emit(
      ctx,
      "list_order",
      a,
      b,
      same ? `same items in a different order` : "items reordered (and changed, see below)",
    );
  }
  for (const j of ib) {
    const i = pairOf.get(j);
    if (i === undefined || exact.has(j) || !push(ctx, i)) continue;
    ctx.value(ctx, a[i], b[j]);
    ctx.depth--;
  }
  const restA = ia.filter((i) => !usedA.has(i));
  const restB = ib.filter((j) => !pairOf.has(j));
  const paired = Math.min(restA.length, restB.length);
  for (let k = 0; k < Math.max(restA.length, restB.length); k++) {
    const i = restA[k];
    const j = restB[k];
    // Containers left over are paired in order and diffed inside; scalars only count as
    // "changed" at the same index, otherwise one was removed and another added.
    const container = i !== undefined && (typeOf(a[i]) === "object" || typeOf(a[i]) === "array");
    if (k < paired && i !== undefined && j !== undefined && (i === j || container)) {
      if (!push(ctx, i)) continue;
      ctx.value(ctx, a[i], b[j]);
      ctx.depth--;
      continue;
    }
    if (i !== undefined) emit(ctx, "field_missing", a[i], undefined, "item missing", i);
    if (j !== undefined) emit(ctx, "field_added", undefined, b[j], "item added", j);
  }
}

function matchByIdentity(
  a: unknown[],
  b: unknown[],
  ia: number[],
  ib: number[],
  pairOf: Map<number, number>,
  usedA: Set<number>,
): void {
  const restA = ia.filter((i) => !usedA.has(i));
  const restB = ib.filter((j) => !pairOf.has(j));
  if (restA.length === 0 || restB.length === 0) return;
  const field = IDENTITY_KEYS.find(
    (f) => restA.every((i) => hasScalar(a[i], f)) && restB.every((j) => hasScalar(b[j], f)),
  );
  if (field === undefined) return;
  const byId = new Map<string, number>();
  for (const i of restA) {
    const k = scalarKey(a[i], field);
    if (!byId.has(k)) byId.set(k, i);
  }
  for (const j of restB) {
    const i = byId.get(scalarKey(b[j], field));
    if (i === undefined || usedA.has(i)) continue;
    pairOf.set(j, i);
    usedA.add(i);
  }
}

function hasScalar(v: unknown, field: string): boolean {
  if (typeOf(v) !== "object") return false;
  const x = (v as Record<string, unknown>)[field];
  return typeof x === "string" || typeof x === "number" || x instanceof ExactNumber;
}

function scalarKey(v: unknown, field: string): string {
  const x = (v as Record<string, unknown>)[field];
  return isJsonNumber(x) ? `n${canonicalDecimal(String(x))}` : `s${String(x)}`;
}

function elementKey(ctx: Ctx, index: number, v: unknown): string {
  ctx.segs[ctx.depth++] = index;
  const k = canonicalKey(ctx, v);
  ctx.depth--;
  return k;
}
