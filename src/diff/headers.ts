import { REDACTED } from "../redact/keys.js";
import { clip } from "./json-stringify.js";
import { jwtChange, splitJwts } from "./jwt.js";
import { formatChange } from "./shape.js";
import { isJsonMedia, parseContentType, type ContentType } from "./media.js";
import type { ActiveRules } from "./presets.js";
import type { Difference } from "./types.js";

/** Hop-by-hop and per-server headers that differ on every pair and mean nothing to the client. */
export const VOLATILE_HEADERS: readonly string[] = [
  "date",
  "server",
  "content-length",
  "connection",
  "transfer-encoding",
  "keep-alive",
  // Bodies are compared after decoding, so whether one side compressed is transport, not meaning.
  "content-encoding",
];

// Comma-separated lists whose order carries no meaning. Flask's Allow order even varies between
// worker processes (flask-fastapi-drift.md, "wrong method").
const SET_HEADERS: ReadonlySet<string> = new Set([
  "allow",
  "vary",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-expose-headers",
]);

export interface HeaderDiffContext {
  ignore: ReadonlySet<string>;
  sensitive: ReadonlySet<string>;
  rules: ActiveRules;
  /** Both statuses are 204/304 and both bodies empty. */
  bodiless: boolean;
  /** The request carried an Origin header; undefined when the request is unknown. */
  requestHadOrigin: boolean | undefined;
}

type Headers = Record<string, string | string[]>;

function hasUpper(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 65 && c <= 90) return true;
  }
  return false;
}

/**
 * The record itself when its names are already lower-case (the mirror's contract) and it has no
 * Vary, else a normalised copy. `Vary: Accept-Encoding` only says the answer may be compressed,
 * which comparing decoded bodies already accounts for, so that token is dropped.
 */
function lowerCased(h: Headers): Headers {
  let copy = false;
  for (const k in h) if (hasUpper(k) || k === "vary") copy = true;
  if (!copy) return h;
  const out: Headers = {};
  for (const [name, v] of Object.entries(h)) {
    const n = name.toLowerCase();
    if (n !== "vary") {
      out[n] = v;
      continue;
    }
    const rest = joined(v)
      .split(",")
      .map((t) => t.trim())
      .filter((t) => t !== "" && t.toLowerCase() !== "accept-encoding");
    if (rest.length) out[n] = rest.join(", ");
  }
  return out;
}

function joined(v: string | string[]): string {
  return typeof v === "string" ? v : v.join(", ");
}

function asSet(v: string, name: string): string {
  const norm = name === "allow" || name === "access-control-allow-methods" ? v.toUpperCase() : v.toLowerCase();
  return norm
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .sort()
    .join(", ");
}

function skipped(name: string, ctx: HeaderDiffContext): boolean {
  if (ctx.ignore.has(name)) return true;
  return ctx.requestHadOrigin === false && ctx.rules.corsWithoutOrigin && name.startsWith("access-control-");
}

/** Appends header differences (content-type included) to `out`. */
export function diffHeaders(
  legacyHeaders: Headers,
  candidateHeaders: Headers,
  ctx: HeaderDiffContext,
  out: Difference[],
): void {
  const a = lowerCased(legacyHeaders);
  const b = lowerCased(candidateHeaders);
  diffContentType(a["content-type"], b["content-type"], ctx, out);
  for (const name in a) {
    if (name === "content-type" || skipped(name, ctx)) continue;
    const va = joined(a[name] ?? "");
    const vb = b[name];
    if (vb === undefined) {
      out.push(headerDiff("header_missing", name, va, undefined, ctx));
      continue;
    }
    const sb = joined(vb);
    if (va === sb || va.trim() === sb.trim()) continue;
    if (SET_HEADERS.has(name) && asSet(va, name) === asSet(sb, name)) continue;
    diffHeaderValue(name, va, sb, ctx, out);
  }
  for (const name in b) {
    if (name === "content-type" || name in a || skipped(name, ctx)) continue;
    out.push(headerDiff("header_added", name, undefined, joined(b[name] ?? ""), ctx));
  }
}

/**
 * Two different values of one header. JWTs inside (Authorization-style tokens, Set-Cookie) are
 * compared by algorithm, claims and lifetime, the rest of the text as usual; a value whose format
 * class changed (UUID → hex request id, RFC 822 → ISO date) is a format_changed.
 */
function diffHeaderValue(name: string, va: string, vb: string, ctx: HeaderDiffContext, out: Difference[]): void {
  const ja = splitJwts(va);
  const jb = splitJwts(vb);
  if (ja.tokens.length > 0 && ja.tokens.length === jb.tokens.length) {
    const changes = ja.tokens.map((t, i) => jwtChange(t, jb.tokens[i] ?? "")).filter((c) => c !== undefined);
    if (changes.length > 0) {
      const d = headerDiff("format_changed", name, va, vb, ctx, true);
      d.detail = changes.join("; ");
      out.push(d);
    }
    if (ja.rest !== jb.rest) out.push(headerDiff("header_changed", name, va, vb, ctx, true));
    return;
  }
  const fmt = formatChange(va.trim(), vb.trim(), true);
  if (fmt === undefined) {
    out.push(headerDiff("header_changed", name, va, vb, ctx));
    return;
  }
  const d = headerDiff("format_changed", name, va, vb, ctx);
  d.detail = fmt;
  out.push(d);
}

function headerDiff(
  kind: Difference["kind"],
  name: string,
  legacy: string | undefined,
  candidate: string | undefined,
  ctx: HeaderDiffContext,
  holdsToken = false,
): Difference {
  const path = `header:${name}`;
  const d: Difference = { kind, path, groupPath: path };
  const mask = holdsToken || ctx.sensitive.has(name);
  if (legacy !== undefined) d.legacy = mask ? REDACTED : clip(legacy);
  if (candidate !== undefined) d.candidate = mask ? REDACTED : clip(candidate);
  return d;
}

function diffContentType(
  va: string | string[] | undefined,
  vb: string | string[] | undefined,
  ctx: HeaderDiffContext,
  out: Difference[],
): void {
  if (ctx.ignore.has("content-type")) return;
  if (ctx.bodiless && ctx.rules.noContentTypeWithoutBody) return;
  const sa = va === undefined ? undefined : joined(va);
  const sb = vb === undefined ? undefined : joined(vb);
  if (sa === sb) return;
  const a = parseContentType(sa);
  const b = parseContentType(sb);
  if (a.mediaType !== b.mediaType) {
    const d: Difference = {
      kind: "content_type_changed",
      path: "header:content-type",
      groupPath: "header:content-type",
    };
    if (sa !== undefined) d.legacy = clip(sa);
    if (sb !== undefined) d.candidate = clip(sb);
    d.detail = `${a.mediaType || "(none)"} → ${b.mediaType || "(none)"}`;
    out.push(d);
    return;
  }
  if (paramsKey(a, ctx.rules) === paramsKey(b, ctx.rules)) return;
  out.push({
    kind: "header_changed",
    path: "header:content-type",
    groupPath: "header:content-type",
    legacy: clip(sa ?? ""),
    candidate: clip(sb ?? ""),
    detail: "same media type, different parameters",
  });
}

/** Parameters in a comparable form: sorted, charset lower-cased, random multipart boundaries left out. */
function paramsKey(ct: ContentType, rules: ActiveRules): string {
  const parts: string[] = [];
  for (const [k, v] of ct.params) {
    if (k === "boundary") continue;
    if (k === "charset") {
      const cs = v.toLowerCase().replace(/^utf8$/, "utf-8");
      if (rules.jsonCharset && isJsonMedia(ct.mediaType) && cs === "utf-8") continue;
      parts.push(`charset=${cs}`);
    } else parts.push(`${k}=${v}`);
  }
  return parts.sort().join(";");
}
