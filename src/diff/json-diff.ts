import { diffArray } from "./json-array.js";
import { emit, push, typeOf, MAX_JSON_DIFFERENCES, type Ctx } from "./json-ctx.js";
import { isUnsafeNumber, numbersEqual, type ExactNumber } from "../json/parse.js";
import { depthMask, matchesAt, type PathPattern } from "../json/path.js";
import { isJwt, jwtChange } from "./jwt.js";
import { formatChange, numberFormat, numberFormatChange, stringFormat } from "./shape.js";
import type { Difference } from "./types.js";

/**
 * Structural diff of two parsed JSON documents, by path. Object key order is never a difference;
 * a key missing on one side and present on the other is missing/added, renamed (same value under
 * another key), or null_vs_absent; values differ by type or by value.
 */

export { MAX_JSON_DIFFERENCES };

// Deeper than this, subtrees are compared whole: the walk is recursive and must not overflow the stack.
const MAX_DEPTH = 200;

export interface JsonDiffOptions {
  ignore: readonly PathPattern[];
  redact: readonly PathPattern[];
  /** depthMask(ignore), precomputed by callers that diff many documents with the same options. */
  ignoreDepths?: Uint8Array;
}

/**
 * Appends the differences between two parsed JSON values to `out`. Returns false when a number
 * at or beyond 2^53 was met in a value parsed by plain JSON.parse: the caller should re-parse
 * losslessly and diff again, because two different big integers may have been rounded alike.
 */
export function diffJson(legacy: unknown, candidate: unknown, opts: JsonDiffOptions, out: Difference[]): boolean {
  const ctx: Ctx = {
    out,
    ignore: opts.ignore,
    ignoreDepths: opts.ignoreDepths ?? depthMask(opts.ignore),
    redact: opts.redact,
    segs: [],
    depth: 0,
    overflow: 0,
    unsafe: false,
    probe: false,
    hit: false,
    value: diffValue,
  };
  if (ctx.ignore.length > 0 && matchesAt(ctx.ignore, ctx.segs, 0)) return true;
  const mark = out.length;
  try {
    diffValue(ctx, legacy, candidate);
  } catch (err) {
    // Deep list items are serialised recursively when lists are matched; past the stack, the
    // documents are compared whole instead of failing the pair.
    if (!(err instanceof RangeError)) throw err;
    out.length = mark;
    if (!jsonEqual(legacy, candidate)) {
      out.push({ kind: "body_changed", path: "body", groupPath: "body", detail: "nested too deeply to diff by path" });
    }
    return true;
  }
  if (ctx.overflow > 0) {
    out.push({
      kind: "body_changed",
      path: "body",
      groupPath: "body",
      detail: `${ctx.overflow} more JSON differences not listed (limit ${MAX_JSON_DIFFERENCES})`,
    });
  }
  return !ctx.unsafe;
}

function diffValue(ctx: Ctx, a: unknown, b: unknown): void {
  if (a === b) {
    if (typeof a === "number" && isUnsafeNumber(a)) ctx.unsafe = true;
    return;
  }
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta !== tb) {
    emit(ctx, "type_changed", a, b, `${typeWithFormat(ta, a)} → ${typeWithFormat(tb, b)}`);
    return;
  }
  switch (ta) {
    case "number":
      if (typeof a === "number" && isUnsafeNumber(a)) ctx.unsafe = true;
      if (typeof b === "number" && isUnsafeNumber(b)) ctx.unsafe = true;
      if (!numbersEqual(a as number | ExactNumber, b as number | ExactNumber)) {
        const fmt = typeof a === "number" && typeof b === "number" ? numberFormatChange(a, b) : undefined;
        if (fmt === undefined) emit(ctx, "value_changed", a, b);
        else emit(ctx, "format_changed", a, b, fmt);
      }
      return;
    case "string":
      diffString(ctx, a as string, b as string);
      return;
    case "boolean":
      emit(ctx, "value_changed", a, b);
      return;
    case "null":
      return;
    case "array":
      if (ctx.depth >= MAX_DEPTH) return deepFallback(ctx, a, b);
      diffArray(ctx, a as unknown[], b as unknown[]);
      return;
    case "object":
      if (ctx.depth >= MAX_DEPTH) return deepFallback(ctx, a, b);
      diffObject(ctx, a as Record<string, unknown>, b as Record<string, unknown>);
      return;
  }
}

/**
 * Two different strings: a JWT pair by algorithm, claims and lifetime only (never by value); a
 * change of format class (naive → zoned timestamp, UUID → integer string) is `format_changed`,
 * which noise can never explain away; anything else is a value change.
 */
function diffString(ctx: Ctx, a: string, b: string): void {
  if (isJwt(a) && isJwt(b)) {
    const change = jwtChange(a, b);
    if (change !== undefined) emit(ctx, "format_changed", a, b, change);
    return;
  }
  const fmt = formatChange(a, b);
  if (fmt === undefined) emit(ctx, "value_changed", a, b);
  else emit(ctx, "format_changed", a, b, fmt);
}

/** "string (decimal string)", "number (epoch seconds)", or the bare JSON type. */
function typeWithFormat(t: string, v: unknown): string {
  const f = typeof v === "string" ? stringFormat(v) : undefined;
  if (f?.formatted) return `${t} (${f.label})`;
  const n = typeof v === "number" ? numberFormat(v) : undefined;
  return n === undefined ? t : `${t} (${n})`;
}

function deepFallback(ctx: Ctx, a: unknown, b: unknown): void {
  if (!jsonEqual(a, b)) emit(ctx, "value_changed", a, b, "nested too deeply to diff");
}

function diffObject(ctx: Ctx, a: Record<string, unknown>, b: Record<string, unknown>): void {
  let missing: string[] | undefined;
  let added: string[] | undefined;
  for (const k in a) {
    if (!push(ctx, k)) continue;
    if (Object.hasOwn(b, k)) diffValue(ctx, a[k], b[k]);
    else if (a[k] === null) emit(ctx, "null_vs_absent", null, undefined, "null on legacy, absent on candidate");
    else (missing ??= []).push(k);
    ctx.depth--;
    if (ctx.hit) return;
  }
  if (ctx.probe && missing !== undefined) {
    ctx.hit = true;
    return;
  }
  for (const k in b) {
    if (Object.hasOwn(a, k) || !push(ctx, k)) continue;
    if (b[k] === null) emit(ctx, "null_vs_absent", undefined, null, "absent on legacy, null on candidate");
    else (added ??= []).push(k);
    ctx.depth--;
    if (ctx.hit) return;
  }
  if (missing === undefined && added === undefined) return;
  if (ctx.probe) {
    ctx.hit = true;
    return;
  }
  // A key missing on one side and another key added with an equal value is most likely a rename
  // (user_name → username); pairing is one-to-one, first match wins.
  if (missing !== undefined && added !== undefined) {
    for (let i = 0; i < missing.length; i++) {
      const m = missing[i] as string;
      const j = added.findIndex((k) => k !== "" && jsonEqual(a[m], b[k]));
      if (j === -1) continue;
      const to = added[j] as string;
      emit(ctx, "field_renamed", a[m], b[to], `${m} → ${to}`, m);
      missing[i] = "";
      added[j] = "";
    }
  }
  for (const m of missing ?? []) if (m !== "") emit(ctx, "field_missing", a[m], undefined, undefined, m);
  for (const k of added ?? []) if (k !== "") emit(ctx, "field_added", undefined, b[k], undefined, k);
}

/** Semantic equality of two parsed JSON values (key order and number spelling ignored). Iterative: any depth. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  const stack: unknown[] = [a, b];
  while (stack.length > 0) {
    const y = stack.pop();
    const x = stack.pop();
    if (x === y) continue;
    const tx = typeOf(x);
    if (tx !== typeOf(y)) return false;
    if (tx === "number") {
      if (!numbersEqual(x as number | ExactNumber, y as number | ExactNumber)) return false;
    } else if (tx === "array") {
      const xa = x as unknown[];
      const ya = y as unknown[];
      if (xa.length !== ya.length) return false;
      for (let i = 0; i < xa.length; i++) stack.push(xa[i], ya[i]);
    } else if (tx === "object") {
      const xo = x as Record<string, unknown>;
      const yo = y as Record<string, unknown>;
      const keys = Object.keys(xo);
      if (keys.length !== Object.keys(yo).length) return false;
      for (const k of keys) {
        if (!Object.hasOwn(yo, k)) return false;
        stack.push(xo[k], yo[k]);
      }
    } else return false;
  }
  return true;
}
