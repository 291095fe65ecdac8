import { parseJson } from "../json/parse.js";
import { appendSegment } from "../json/path.js";
import { ExactNumber } from "../json/parse.js";

/** One line of pretty-printed JSON and the path of the value it belongs to. */
export interface JsonLine {
  path: string;
  text: string;
}

const MAX_LINES = 2000;
const MAX_DEPTH = 64;

function scalar(v: unknown): string {
  if (v instanceof ExactNumber) return v.text;
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  return "null";
}

/**
 * Pretty-prints stored JSON text (2-space indent, exact numbers) line by line with each line's
 * path, so a report can highlight the paths that differ. Undefined when the text does not parse
 * (a preview cut at the size cap): show it as plain text then.
 */
export function prettyJsonLines(text: string): JsonLine[] | undefined {
  const r = parseJson(text);
  if (!r.ok) return undefined;
  const lines: JsonLine[] = [];
  const walk = (v: unknown, path: string, indent: string, prefix: string, suffix: string, depth: number): void => {
    if (lines.length >= MAX_LINES) return;
    const isArr = Array.isArray(v);
    if (v === null || typeof v !== "object" || v instanceof ExactNumber || depth >= MAX_DEPTH) {
      lines.push({
        path,
        text: `${indent}${prefix}${depth >= MAX_DEPTH && typeof v === "object" && v !== null ? '"…"' : scalar(v)}${suffix}`,
      });
      return;
    }
    const entries: [string | number, unknown][] = isArr
      ? (v as unknown[]).map((x, i) => [i, x])
      : Object.entries(v as Record<string, unknown>);
    const [open, close] = isArr ? ["[", "]"] : ["{", "}"];
    if (entries.length === 0) {
      lines.push({ path, text: `${indent}${prefix}${open}${close}${suffix}` });
      return;
    }
    lines.push({ path, text: `${indent}${prefix}${open}` });
    entries.forEach(([k, x], i) => {
      const childPrefix = typeof k === "string" ? `${JSON.stringify(k)}: ` : "";
      walk(x, appendSegment(path, k, false), `${indent}  `, childPrefix, i < entries.length - 1 ? "," : "", depth + 1);
    });
    lines.push({ path, text: `${indent}${close}${suffix}` });
  };
  walk(r.value, "$", "", "", "", 0);
  if (lines.length >= MAX_LINES) lines.push({ path: "", text: "…" });
  return lines;
}

/** True when `path` is `target` or lies below it ("$.a[1].b" is below "$.a" and "$.a[1]"). */
export function isAtOrBelow(path: string, target: string): boolean {
  if (!path.startsWith(target)) return false;
  const next = path.charAt(target.length);
  return next === "" || next === "." || next === "[";
}
