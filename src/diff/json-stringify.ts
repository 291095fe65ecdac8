import { ExactNumber } from "../json/parse.js";

const MAX_STRINGIFY_DEPTH = 500;

/**
 * Compact JSON text for parsed values, with exact numbers written as numbers (JSON.stringify
 * would quote them via toJSON). `maxChars` stops early so previews of big values stay cheap.
 */
export function stringifyJson(value: unknown, maxChars = Infinity): string {
  const out: string[] = [];
  let len = 0;
  const push = (s: string): boolean => {
    out.push(s);
    len += s.length;
    return len < maxChars;
  };
  let depth = 0;
  const walk = (v: unknown): boolean => {
    if (v === null || v === undefined) return push("null");
    // Recursion is bounded: deeper than this is elided (JSON.parse accepts any depth).
    if (depth > MAX_STRINGIFY_DEPTH) return push('"…"');
    if (typeof v === "string") return push(JSON.stringify(v));
    if (typeof v === "number") return push(Number.isFinite(v) ? String(v) : "null");
    if (typeof v === "boolean") return push(v ? "true" : "false");
    if (v instanceof ExactNumber) return push(v.text);
    if (Array.isArray(v)) {
      if (!push("[")) return false;
      depth++;
      for (let i = 0; i < v.length; i++) {
        if (i > 0 && !push(",")) return false;
        if (!walk(v[i])) return false;
      }
      depth--;
      return push("]");
    }
    if (typeof v === "object") {
      if (!push("{")) return false;
      depth++;
      let first = true;
      for (const k in v) {
        if (!Object.hasOwn(v, k)) continue;
        if (!first && !push(",")) return false;
        first = false;
        if (!push(`${JSON.stringify(k)}:`)) return false;
        if (!walk((v as Record<string, unknown>)[k])) return false;
      }
      depth--;
      return push("}");
    }
    // bigint, symbol, function: not JSON values; never produced by the parsers.
    return push("null");
  };
  walk(value);
  return out.join("");
}

export const PREVIEW_MAX = 200;

/** Cuts a preview to PREVIEW_MAX characters, marking the cut. */
export function clip(s: string, max = PREVIEW_MAX): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

/** A ≤ 200-character preview of a parsed JSON value. */
export function previewJson(value: unknown): string {
  return clip(stringifyJson(value, PREVIEW_MAX + 1));
}
