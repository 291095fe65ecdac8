import { CutoverError } from "../errors/index.js";

/**
 * Admin input parsing: every malformed value is a 400 CUTOVER_ERR_ADMIN_BAD_REQUEST that names
 * the parameter, never a 500.
 */

/** An integer query parameter within [min, max]; `def` when absent. */
export function intParam(query: URLSearchParams, name: string, def: number, min: number, max: number): number {
  const raw = query.get(name);
  if (raw === null || raw === "") return def;
  const n = /^-?\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min || n > max)
    throw new CutoverError(
      "CUTOVER_ERR_ADMIN_BAD_REQUEST",
      `${name} must be an integer from ${min} to ${max}, not "${raw.slice(0, 40)}"`,
    );
  return n;
}

/** A percent-decoded path segment; a malformed escape (`%E0%A4%A`) is a bad request. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new CutoverError("CUTOVER_ERR_ADMIN_BAD_REQUEST", `malformed percent-encoding in "${segment.slice(0, 80)}"`);
  }
}
