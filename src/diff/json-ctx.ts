import { isSensitiveKey, looksLikeSecretValue, REDACTED } from "../redact/keys.js";
import { canonicalDecimal, containsUnsafeNumber, ExactNumber, isUnsafeNumber } from "../json/parse.js";
import {
  formatPath,
  MASK_DEPTHS,
  matchesAt,
  matchesPathOrAncestor,
  type PathPattern,
  type Segment,
} from "../json/path.js";
import { previewJson } from "./json-stringify.js";
import type { DiffKind, Difference } from "./types.js";

/**
 * The state of one JSON walk, shared by the object and list comparisons. The current path lives
 * in one reusable segment stack; path strings are built only when a difference is reported, so
 * equal documents cost no allocation per node.
 */

/** More differences than this in one body are summarised, so a 10,000-item list cannot flood a finding. */
export const MAX_JSON_DIFFERENCES = 100;

export interface Ctx {
  readonly out: Difference[];
  readonly ignore: readonly PathPattern[];
  /** depthMask(ignore): depths at which an ignore pattern can match. */
  readonly ignoreDepths: Uint8Array;
  readonly redact: readonly PathPattern[];
  readonly segs: Segment[];
  depth: number;
  /** Differences dropped past MAX_JSON_DIFFERENCES. */
  overflow: number;
  /** A number at or beyond 2^53 was seen: the plain JSON.parse result may be rounded. */
  unsafe: boolean;
  /** Probing (equalAt): differences are only noted in `hit`, and the walk stops at the first. */
  probe: boolean;
  hit: boolean;
  /** The value comparison, passed in so list matching can recurse without an import cycle. */
  readonly value: (ctx: Ctx, a: unknown, b: unknown) => void;
}

export type JsonType = "null" | "boolean" | "number" | "string" | "array" | "object";

export function typeOf(v: unknown): JsonType {
  if (v === null) return "null";
  switch (typeof v) {
    case "string":
      return "string";
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    default:
      if (v instanceof ExactNumber) return "number";
      return Array.isArray(v) ? "array" : "object";
  }
}

/** Enters a child; false (and nothing entered) when an ignore pattern covers it. */
export function push(ctx: Ctx, seg: Segment): boolean {
  ctx.segs[ctx.depth++] = seg;
  const check = ctx.depth < MASK_DEPTHS ? ctx.ignoreDepths[ctx.depth] === 1 : ctx.ignore.length > 0;
  if (check && matchesAt(ctx.ignore, ctx.segs, ctx.depth)) {
    ctx.depth--;
    return false;
  }
  return true;
}

function sensitiveHere(ctx: Ctx): boolean {
  for (let i = 0; i < ctx.depth; i++) {
    const s = ctx.segs[i];
    if (typeof s === "string" && isSensitiveKey(s)) return true;
  }
  return ctx.redact.length > 0 && matchesPathOrAncestor(ctx.redact, ctx.segs.slice(0, ctx.depth));
}

function preview(v: unknown, sensitive: boolean): string {
  if (sensitive) return REDACTED;
  if (typeof v === "string" && looksLikeSecretValue(v)) return REDACTED;
  return previewJson(v);
}

/** Reports a difference at the current path (or at its child `extra`); `undefined` means "absent". */
export function emit(
  ctx: Ctx,
  kind: DiffKind,
  legacy: unknown,
  candidate: unknown,
  detail?: string,
  extra?: Segment,
): void {
  // Subtrees reported whole are not walked, so their numbers are checked here.
  if (!ctx.unsafe && (containsUnsafeNumber(legacy) || containsUnsafeNumber(candidate))) ctx.unsafe = true;
  if (ctx.probe) {
    ctx.hit = true;
    return;
  }
  if (ctx.out.length >= MAX_JSON_DIFFERENCES) {
    ctx.overflow++;
    return;
  }
  if (extra !== undefined) ctx.segs[ctx.depth++] = extra;
  const sensitive = sensitiveHere(ctx);
  const d: Difference = {
    kind,
    path: formatPath(ctx.segs, ctx.depth, false),
    groupPath: formatPath(ctx.segs, ctx.depth, true),
  };
  if (extra !== undefined) ctx.depth--;
  if (legacy !== undefined) d.legacy = preview(legacy, sensitive);
  if (candidate !== undefined) d.candidate = preview(candidate, sensitive);
  if (detail !== undefined) d.detail = detail;
  ctx.out.push(d);
}

/** Order-insensitive serialisation (sorted keys, canonical numbers) that leaves out ignored paths. */
export function canonicalKey(ctx: Ctx, v: unknown): string {
  switch (typeOf(v)) {
    case "null":
      return "null";
    case "boolean":
      return v ? "true" : "false";
    case "number":
      if (typeof v === "number" && isUnsafeNumber(v)) ctx.unsafe = true;
      return canonicalDecimal(String(v));
    case "string":
      return JSON.stringify(v);
    case "array": {
      const arr = v as unknown[];
      const parts: string[] = [];
      for (let i = 0; i < arr.length; i++) {
        if (!push(ctx, i)) continue;
        parts.push(canonicalKey(ctx, arr[i]));
        ctx.depth--;
      }
      return `[${parts.join(",")}]`;
    }
    case "object": {
      const obj = v as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of Object.keys(obj).sort()) {
        if (!push(ctx, k)) continue;
        parts.push(`${JSON.stringify(k)}:${canonicalKey(ctx, obj[k])}`);
        ctx.depth--;
      }
      return `{${parts.join(",")}}`;
    }
  }
}

/** Compares a[i] and b[j] without reporting anything, stopping at the first difference: are they equal? */
export function equalAt(ctx: Ctx, a: readonly unknown[], b: readonly unknown[], i: number, j: number): boolean {
  const x = a[i];
  const y = b[j];
  if (x === y && typeof x !== "number") return true;
  if (!push(ctx, i)) return true;
  const probe = ctx.probe;
  const hit = ctx.hit;
  ctx.probe = true;
  ctx.hit = false;
  ctx.value(ctx, x, y);
  const equal = !ctx.hit;
  ctx.probe = probe;
  ctx.hit = hit;
  ctx.depth--;
  return equal;
}
