import { parse as losslessParse } from "lossless-json";

/**
 * Lossless JSON parsing. Both Flask and FastAPI emit big integers exactly (2**63+1), and plain
 * `JSON.parse` rounds 9007199254740993 to …992 on *both* sides, which would hide a real difference
 * (flask-fastapi-drift.md, Serialization). So numbers that a double cannot hold keep their text.
 */

/** A JSON number kept as its source text because a double might not hold it exactly. */
export class ExactNumber {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
  toJSON(): string {
    return this.text;
  }
}

export type JsonParseResult = { ok: true; value: unknown; lossless: boolean } | { ok: false; error: string };

function parseNumber(text: string): number | ExactNumber {
  // 15 characters cannot hold more than 15 significant digits, so Number() is exact enough.
  return text.length <= 15 ? Number(text) : new ExactNumber(text);
}

/** True for a double that may not be the number its text said: integers from 2^53 up are rounded. */
export function isUnsafeNumber(n: number): boolean {
  return n > Number.MAX_SAFE_INTEGER || n < -Number.MAX_SAFE_INTEGER;
}

/** True when a JSON.parse result holds a number that may have been rounded. Iterative: any depth. */
export function containsUnsafeNumber(root: unknown): boolean {
  if (typeof root === "number") return isUnsafeNumber(root);
  if (root === null || typeof root !== "object") return false;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "number") {
      if (isUnsafeNumber(v)) return true;
    } else if (Array.isArray(v)) {
      for (const x of v) if (x !== null && (typeof x === "object" || typeof x === "number")) stack.push(x);
    } else if (v !== null && typeof v === "object" && !(v instanceof ExactNumber)) {
      const o = v as Record<string, unknown>;
      for (const k in o) {
        const x = o[k];
        if (x !== null && (typeof x === "object" || typeof x === "number")) stack.push(x);
      }
    }
  }
  return false;
}

/**
 * JSON.parse without the lossless check; the diff walk checks numbers as it visits them and
 * re-parses with parseJsonLossless when one may have been rounded. Never throws.
 */
export function parseJsonFast(text: string): JsonParseResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown, lossless: false };
  } catch (err) {
    return { ok: false, error: describeParseError(err) };
  }
}

// String literals (kept as they are) or number tokens with a run of ≥ 16 digits (made exact).
const TOKENS = /"[^"\\]*(?:\\.[^"\\]*)*"|-?[\d.eE+-]*\d{16}[\d.eE+-]*/g;
// Long numbers travel through JSON.parse as strings with this prefix. A raw U+0000 cannot occur in
// a JSON string, only the escape "\u0000", so texts containing that escape take lossless-json.
const MARK = "\u0000#";

/**
 * Parses keeping every number with a run of ≥ 16 digits as an ExactNumber. Long numbers are
 * quoted with a marker and the text goes through the native JSON.parse (about 3× faster than the
 * lossless-json parser, which remains the fallback). Never throws.
 */
export function parseJsonLossless(text: string): JsonParseResult {
  try {
    if (text.includes("\\u0000")) return { ok: true, value: losslessParse(text, null, parseNumber), lossless: true };
    const marked = text.replace(TOKENS, (m) => (m.charCodeAt(0) === 34 ? m : `"\\u0000#${m}"`));
    return { ok: true, value: unmark(JSON.parse(marked) as unknown), lossless: true };
  } catch (err) {
    return { ok: false, error: describeParseError(err) };
  }
}

/** Turns marker strings back into ExactNumbers, in place. Iterative: JSON.parse accepts any depth. */
function unmark(root: unknown): unknown {
  const fix = (v: unknown): unknown =>
    typeof v === "string" && v.startsWith(MARK) ? new ExactNumber(v.slice(MARK.length)) : v;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        v[i] = fix(v[i]);
        if (v[i] !== null && typeof v[i] === "object") stack.push(v[i]);
      }
    } else if (v !== null && typeof v === "object") {
      const o = v as Record<string, unknown>;
      for (const k in o) {
        o[k] = fix(o[k]);
        if (o[k] !== null && typeof o[k] === "object") stack.push(o[k]);
      }
    }
  }
  return fix(root);
}

/**
 * Parses JSON text losslessly. Fast path: plain JSON.parse, then, only if some number came out at
 * or beyond 2^53 (where doubles stop holding every integer), lossless-json with ExactNumber. This
 * is the "no run of ≥ 16 digits" rule checked on the values instead of the text: integers below
 * 2^53 are exact either way, and checking values is cheaper than scanning the text again.
 * Never throws: invalid JSON (Flask's NaN/Infinity, a truncated capture) returns `{ ok: false }`.
 */
export function parseJson(text: string): JsonParseResult {
  const r = parseJsonFast(text);
  if (r.ok && containsUnsafeNumber(r.value)) return parseJsonLossless(text);
  return r;
}

/**
 * The canonical form of a decimal number text: sign, significant digits without leading or
 * trailing zeros, and a power of ten ("10.10" → "101e-1", "1e2" → "1e2", "100" → "1e2").
 * Two numbers are equal exactly when their canonical forms are.
 */
export function canonicalDecimal(text: string): string {
  let s = text.trim();
  let sign = "";
  if (s.startsWith("-")) {
    sign = "-";
    s = s.slice(1);
  } else if (s.startsWith("+")) s = s.slice(1);
  let exp = 0;
  const e = s.search(/[eE]/);
  if (e !== -1) {
    exp = Number(s.slice(e + 1));
    s = s.slice(0, e);
  }
  const dot = s.indexOf(".");
  if (dot !== -1) {
    exp -= s.length - dot - 1;
    s = s.slice(0, dot) + s.slice(dot + 1);
  }
  let start = 0;
  while (start < s.length - 1 && s[start] === "0") start++;
  let end = s.length;
  while (end > start + 1 && s[end - 1] === "0") {
    end--;
    exp++;
  }
  const digits = s.slice(start, end);
  if (digits === "0" || digits === "") return "0";
  return `${sign}${digits}e${exp}`;
}

/** True for JSON numbers, whichever way they were parsed. */
export function isJsonNumber(v: unknown): v is number | ExactNumber {
  return typeof v === "number" || v instanceof ExactNumber;
}

/** Numeric equality that never rounds: doubles compare directly, anything exact by canonical text. */
export function numbersEqual(a: number | ExactNumber, b: number | ExactNumber): boolean {
  if (typeof a === "number" && typeof b === "number") return a === b;
  return canonicalDecimal(a.toString()) === canonicalDecimal(b.toString());
}

/**
 * The parser's message without the excerpt of the body V8 quotes in it (`"{"password":…" is not
 * valid JSON`): error details end up in findings, and bodies may hold secrets.
 */
function describeParseError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/,\s*".*"\s+is not valid JSON$/s, "").slice(0, 120);
}
