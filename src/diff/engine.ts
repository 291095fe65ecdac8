import { SENSITIVE_HEADERS } from "../redact/keys.js";
import { decodeBody, type DecodedBody } from "./decode.js";
import { diffHeaders, VOLATILE_HEADERS } from "./headers.js";
import { diffJson, type JsonDiffOptions } from "./json-diff.js";
import { parseJsonFast, parseJsonLossless } from "../json/parse.js";
import { compilePathPatterns, depthMask } from "../json/path.js";
import { bodyKindOf, decodeText, headerValue, parseContentType, type BodyKind, type ContentType } from "./media.js";
import { activeRules, type ActiveRules } from "./presets.js";
import { diffDelivery, diffSse, parseSse } from "./sse.js";
import { diffBytes, diffText } from "./text-diff.js";
import type { CapturedResponse, DiffOptions, DiffRequest, Difference } from "./types.js";

/**
 * diffResponses: the whole comparison of one mirrored pair. Pure and synchronous; never throws
 * on upstream input (undecodable bodies, invalid JSON, odd headers all become differences).
 */

interface Compiled {
  ignoreHeaders: ReadonlySet<string>;
  sensitiveHeaders: ReadonlySet<string>;
  /** Ignore and redact patterns for JSON bodies and SSE data. */
  json: Required<JsonDiffOptions>;
  rules: ActiveRules;
}

// Callers pass the same options object for every pair, so compiling once per object is enough.
const compiledCache = new WeakMap<DiffOptions, Compiled>();

function compile(opts: DiffOptions): Compiled {
  let c = compiledCache.get(opts);
  if (c) return c;
  const ignore = compilePathPatterns(opts.ignorePaths);
  c = {
    ignoreHeaders: new Set([...VOLATILE_HEADERS, ...opts.ignoreHeaders.map((h) => h.toLowerCase())]),
    sensitiveHeaders: new Set([...SENSITIVE_HEADERS, ...(opts.redactHeaders ?? []).map((h) => h.toLowerCase())]),
    json: { ignore, redact: compilePathPatterns(opts.redactPaths ?? []), ignoreDepths: depthMask(ignore) },
    rules: activeRules(opts.presets),
  };
  compiledCache.set(opts, c);
  return c;
}

const BODILESS_STATUS = new Set([204, 304]);

/**
 * Compares the candidate's answer with legacy's. `request` is optional; with it, HEAD bodies are
 * not compared and the cors-without-origin preset rule can apply.
 */
export function diffResponses(
  legacy: CapturedResponse,
  candidate: CapturedResponse,
  opts: DiffOptions,
  request?: DiffRequest,
): Difference[] {
  const out: Difference[] = [];
  if (legacy.error !== undefined || candidate.error !== undefined) {
    // The same failure on both sides is not a migration difference; anything else is exactly one.
    if (legacy.error !== candidate.error) out.push(upstreamError(legacy, candidate));
    return out;
  }
  const c = compile(opts);
  if (legacy.status !== candidate.status) {
    out.push({
      kind: "status_changed",
      path: "status",
      groupPath: "status",
      legacy: String(legacy.status),
      candidate: String(candidate.status),
    });
  }
  // With no body on either side a Content-Type describes nothing a client can read (Flask labels
  // empty answers text/html, FastAPI sends none). HEAD is the exception: its headers describe GET's body.
  const bothEmpty = legacy.body.length === 0 && candidate.body.length === 0 && request?.method.toUpperCase() !== "HEAD";
  const bodiless =
    bothEmpty &&
    ((BODILESS_STATUS.has(legacy.status) && BODILESS_STATUS.has(candidate.status)) ||
      legacy.status === candidate.status);
  diffHeaders(
    legacy.headers,
    candidate.headers,
    {
      ignore: c.ignoreHeaders,
      sensitive: c.sensitiveHeaders,
      rules: c.rules,
      bodiless,
      requestHadOrigin: request ? request.headers?.origin !== undefined : undefined,
    },
    out,
  );
  if (request?.method.toUpperCase() !== "HEAD") diffBodies(legacy, candidate, c, out);
  return out;
}

function upstreamError(legacy: CapturedResponse, candidate: CapturedResponse): Difference {
  const side = (r: CapturedResponse): string => r.error ?? `answered ${r.status}`;
  const who = legacy.error === undefined ? "candidate" : candidate.error === undefined ? "legacy" : "both";
  return {
    kind: "upstream_error",
    path: "upstream",
    groupPath: "upstream",
    legacy: side(legacy),
    candidate: side(candidate),
    detail: who === "both" ? "both upstreams failed, differently" : `${who} gave no response`,
  };
}

function contentTypeOf(r: CapturedResponse): ContentType {
  return parseContentType(headerValue(r.headers["content-type"]));
}

function truncationNote(a: DecodedBody, b: DecodedBody): string | undefined {
  const parts: string[] = [];
  if (a.truncated) parts.push(`legacy body truncated at ${a.body.length} bytes`);
  if (b.truncated) parts.push(`candidate body truncated at ${b.body.length} bytes`);
  return parts.length ? `${parts.join(", ")}; compared what was captured` : undefined;
}

function diffBodies(legacy: CapturedResponse, candidate: CapturedResponse, c: Compiled, out: Difference[]): void {
  if (legacy.body.length === 0 && candidate.body.length === 0) return;
  const a = decodeBody(legacy);
  const b = decodeBody(candidate);
  if (a.error !== undefined || b.error !== undefined) {
    // An undecodable body is itself a difference unless both sides sent the very same bytes.
    if (a.error !== undefined && b.error !== undefined && legacy.body.equals(candidate.body)) return;
    const detail = [a.error && `legacy: ${a.error}`, b.error && `candidate: ${b.error}`].filter(Boolean).join("; ");
    out.push({ kind: "body_changed", path: "body", groupPath: "body", detail });
    return;
  }
  const cta = contentTypeOf(legacy);
  const ctb = contentTypeOf(candidate);
  const ka = bodyKindOf(cta.mediaType);
  const kb = bodyKindOf(ctb.mediaType);
  if (a.body.equals(b.body)) {
    // Same events can still arrive differently: a buffered stream is a client-visible difference.
    if (ka === "sse" && kb === "sse") {
      const events = parseSse(decodeText(a.body, cta)).length;
      diffDelivery(events, legacy.timing, candidate.timing, out);
    }
    return;
  }
  const note = truncationNote(a, b);
  if (note !== undefined) {
    compareTruncated(a, b, [cta, ctb], [ka, kb], note, out);
    return;
  }
  if (ka === "sse" && kb === "sse") {
    const timing = { legacy: legacy.timing, candidate: candidate.timing };
    diffSse(decodeText(a.body, cta), decodeText(b.body, ctb), timing, c.json, out);
    return;
  }
  if (ka === "json" || kb === "json") {
    // One side JSON and the other text (the content_type_changed is reported by the header diff):
    // if both still parse, the bodies are compared as JSON, otherwise as text.
    const ta = decodeText(a.body, cta);
    const tb = decodeText(b.body, ctb);
    const pa = a.body.length === 0 ? undefined : parseJsonFast(ta);
    const pb = b.body.length === 0 ? undefined : parseJsonFast(tb);
    if (pa?.ok && pb?.ok) {
      const mark = out.length;
      const jopts = c.json;
      if (diffJson(pa.value, pb.value, jopts, out)) return;
      // A number at or beyond 2^53 was rounded by JSON.parse: start over with exact numbers.
      out.length = mark;
      const xa = parseJsonLossless(ta);
      const xb = parseJsonLossless(tb);
      if (xa.ok && xb.ok) diffJson(xa.value, xb.value, jopts, out);
      return;
    }
    const why: string[] = [];
    if (ka === "json" && pa && !pa.ok) why.push(`legacy body is not valid JSON (${pa.error})`);
    if (kb === "json" && pb && !pb.ok) why.push(`candidate body is not valid JSON (${pb.error})`);
    if (why.length) why.push("compared as text");
    diffText(ta, tb, { trailingNewline: c.rules.trailingNewline, note: why.join(", ") || undefined }, out);
    return;
  }
  if (isTextual(ka) && isTextual(kb)) {
    diffText(decodeText(a.body, cta), decodeText(b.body, ctb), { trailingNewline: c.rules.trailingNewline }, out);
    return;
  }
  diffBytes(a.body, b.body, undefined, out);
}

function isTextual(k: BodyKind): boolean {
  return k === "text" || k === "sse" || k === "json";
}

/**
 * A truncated capture cannot be parsed, so the captured bytes are compared up to the shorter one
 * (as text when both are textual) and the difference says what was cut. Semantically equal but
 * byte-different JSON (Flask's sorted keys) therefore shows up here: raise the capture cap.
 */
function compareTruncated(
  a: DecodedBody,
  b: DecodedBody,
  cts: [ContentType, ContentType],
  kinds: [BodyKind, BodyKind],
  note: string,
  out: Difference[],
): void {
  const n = Math.min(a.body.length, b.body.length);
  const sa = a.body.subarray(0, n);
  const sb = b.body.subarray(0, n);
  if (sa.equals(sb)) {
    // Same prefix: they differ only if the shorter body is complete and the other one goes on.
    const shorter = a.body.length < b.body.length ? a : b.body.length < a.body.length ? b : undefined;
    if (shorter === undefined || shorter.truncated) return;
    const side = shorter === a ? "legacy" : "candidate";
    out.push({
      kind: "body_changed",
      path: "body",
      groupPath: "body",
      detail: `${note}; the ${side} body ends at ${n} bytes`,
    });
    return;
  }
  if (isTextual(kinds[0]) && isTextual(kinds[1])) {
    diffText(decodeText(sa, cts[0]), decodeText(sb, cts[1]), { trailingNewline: false, note }, out);
  } else diffBytes(sa, sb, note, out);
}
