import { compilePathPattern, matchesPathOrAncestor, type PathPattern, type Segment } from "../json/path.js";
import type { Difference } from "../diff/types.js";
import { isSensitiveHeader } from "../redact/headers.js";
import { isSensitiveKey, looksLikeSecretValue, REDACTED, redactText } from "../redact/keys.js";

/** Declarative ignores and redaction applied again at aggregation (defence in depth: config may change). */

const segCache = new Map<string, Segment[] | null>();
const CACHE_MAX = 10_000;

/** The segments of a JSON group path ("$.items[*].id" → ["items", 0, "id"]); null for other paths. */
export function groupPathSegments(groupPath: string): Segment[] | null {
  const hit = segCache.get(groupPath);
  if (hit !== undefined) return hit;
  let segs: Segment[] | null = null;
  if (groupPath.startsWith("$")) {
    const p = compilePathPattern(groupPath);
    if ("tokens" in p) {
      segs = p.tokens.map((t) => (t.t === "key" ? t.k : t.t === "index" ? t.i : 0));
    }
  }
  if (segCache.size < CACHE_MAX) segCache.set(groupPath, segs);
  return segs;
}

export function isIgnored(groupPath: string, paths: readonly PathPattern[], headers: ReadonlySet<string>): boolean {
  if (groupPath.startsWith("header:")) return headers.has(groupPath.slice(7));
  if (paths.length === 0) return false;
  const segs = groupPathSegments(groupPath);
  return segs !== null && matchesPathOrAncestor(paths, segs);
}

function maskPreview(v: string | undefined, sensitive: boolean): string | undefined {
  if (v === undefined) return undefined;
  if (sensitive || looksLikeSecretValue(v)) return REDACTED;
  return redactText(v).text;
}

/** A copy of a difference whose previews cannot show a configured or credential-like value. */
export function maskDifference(d: Difference, paths: readonly PathPattern[], headers: readonly string[]): Difference {
  let sensitive = false;
  if (d.groupPath.startsWith("header:")) {
    sensitive = isSensitiveHeader(d.groupPath.slice(7), headers);
  } else {
    const segs = groupPathSegments(d.groupPath);
    if (segs)
      sensitive = segs.some((s) => typeof s === "string" && isSensitiveKey(s)) || matchesPathOrAncestor(paths, segs);
  }
  const out: Difference = { ...d };
  const legacy = maskPreview(d.legacy, sensitive);
  const candidate = maskPreview(d.candidate, sensitive);
  if (legacy !== undefined) out.legacy = legacy;
  if (candidate !== undefined) out.candidate = candidate;
  return out;
}
