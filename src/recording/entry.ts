import { createHash } from "node:crypto";
import { decodeBody } from "../diff/decode.js";
import { parseJsonLossless } from "../json/parse.js";
import { stringifyJson } from "../diff/json-stringify.js";
import { headerValue, isJsonMedia, parseContentType } from "../diff/media.js";
import { maskedHeaderIds, maskedIds, type MaskedId } from "./ids.js";
import { redactHeaders, redactJson, redactTarget, redactText } from "../redact/index.js";
import { HOP, type HarAnswer, type HarContent, type HarCutover, type HarEntry, type HarNameValue } from "./har.js";

/** One exchange handed to the recording (the request and the answers, before redaction). */
export interface RecordInput {
  id: string;
  /** Epoch ms the request arrived. */
  at: number;
  method: string;
  /** Path and query as the client sent them. */
  target: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body?: Buffer | undefined;
  bodyTruncated?: boolean;
  route?: string;
  template?: string;
  served?: "legacy" | "candidate";
  /** The raw bucket key (`sub:42`); only its salted hash is written. */
  userKey?: string | undefined;
  response: RecordAnswerInput;
  /** The candidate's answer when the request was mirrored. */
  candidate?: RecordAnswerInput | undefined;
}

export interface RecordAnswerInput {
  status: number;
  headers: Readonly<Record<string, string | string[]>>;
  body: Buffer;
  truncated: boolean;
  error?: string | undefined;
  timing?: { headersMs: number; totalMs: number };
}

export interface EntryOptions {
  /** Bodies (request and answers) are cut at this many bytes. */
  maxBody: number;
  /** diff.redact.headers / diff.redact.paths: the same rules as findings. */
  redactHeaders: readonly string[];
  redactPaths: readonly string[];
  /** Mixed into the user-key hash so a recording cannot be joined to other data by key. */
  salt: string;
  /** Salt for the hashes of masked generated values (written in the recording; see ids.ts). */
  idSalt?: string;
}

// The origin is not part of a recording: replay sends to the upstreams it is given.
const ORIGIN = "http://recorded.invalid";

/** userKeyHash is the salted hash written instead of a bucket key. */
export function userKeyHash(key: string, salt: string): string {
  return createHash("sha256").update(`${salt}\0${key}`).digest("hex").slice(0, 16);
}

function pairs(headers: Readonly<Record<string, string | string[] | undefined>>): HarNameValue[] {
  const out: HarNameValue[] = [];
  for (const [name, v] of Object.entries(headers)) {
    if (v === undefined || HOP.has(name)) continue;
    for (const value of Array.isArray(v) ? v : [v]) out.push({ name, value });
  }
  return out;
}

/** The unsigned header and claims of a Bearer JWT (claims redacted like any JSON), or undefined. */
export function jwtParts(authorization: string | undefined, redactPaths: readonly string[]): HarCutover["jwt"] {
  if (!authorization || !/^bearer /i.test(authorization)) return undefined;
  const parts = authorization.slice(7).trim().split(".");
  if (parts.length !== 3) return undefined;
  try {
    const header = JSON.parse(Buffer.from(parts[0] ?? "", "base64url").toString("utf8")) as unknown;
    const claims = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8")) as unknown;
    if (!header || typeof header !== "object" || !claims || typeof claims !== "object") return undefined;
    const safe = redactJson(claims, redactPaths).value as Record<string, unknown>;
    return { header: header as Record<string, unknown>, claims: safe };
  } catch {
    return undefined;
  }
}

/**
 * redactBody masks a body with the findings' rules: JSON by key, path and value shape; text and
 * forms by secret-looking pairs and tokens. A body with nothing to mask keeps its exact bytes.
 */
export function redactBody(
  body: Buffer,
  contentType: string | undefined,
  redactPaths: readonly string[],
): { text: string; encoding?: "base64"; masked: string[]; parsed?: unknown } {
  const ct = parseContentType(contentType);
  body = wholeCharacters(body);
  const text = body.toString("utf8");
  const binary = !Buffer.from(text, "utf8").equals(body);
  if (binary) return { text: body.toString("base64"), encoding: "base64", masked: [] };
  if (isJsonMedia(ct.mediaType) || /^\s*[[{]/.test(text)) {
    const parsed = parseJsonLossless(text);
    if (parsed.ok) {
      const r = redactJson(parsed.value, redactPaths);
      return r.masked.length
        ? { text: stringifyJson(r.value), masked: r.masked, parsed: parsed.value }
        : { text, masked: [] };
    }
    // JSON cut at the body cap (or broken): the configured paths cannot be found in it, so it is not kept.
    if (redactPaths.length) return { text: "", masked: ["body (JSON that does not parse: not kept)"] };
  }
  if (ct.mediaType === "application/x-www-form-urlencoded") {
    const r = redactTarget(`?${text}`);
    if (r.masked.length) return { text: r.target.slice(1), masked: r.masked };
  }
  const r = redactText(text);
  return r.count ? { text: r.text, masked: [`body (${r.count} token-like value(s))`] } : { text, masked: [] };
}

/**
 * A body cut at a cap can end inside a multi-byte UTF-8 character: drop that partial character,
 * so cut text stays text (and is redacted as text) instead of passing for binary.
 */
export function wholeCharacters(body: Buffer): Buffer {
  const n = body.length;
  for (let k = 1; k <= 3 && k <= n; k++) {
    const b = body[n - k] ?? 0;
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    // The lead byte of the last character: how long the character should be.
    const want = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return want > k ? body.subarray(0, n - k) : body;
  }
  return body;
}

function cap(body: Buffer, max: number): { body: Buffer; cut: boolean } {
  return body.length > max ? { body: body.subarray(0, max), cut: true } : { body, cut: false };
}

function answerContent(
  a: RecordAnswerInput,
  opts: EntryOptions,
  masked: string[],
  side: string,
  ids?: MaskedId[],
): HarContent {
  const decoded = decodeBody({ ...a, timing: { headersMs: 0, totalMs: 0 } });
  const { body, cut } = cap(decoded.error ? a.body : decoded.body, opts.maxBody);
  const ctype = headerValue(a.headers["content-type"]);
  const r = redactBody(body, ctype, opts.redactPaths);
  for (const m of r.masked) masked.push(`${side} ${m}`);
  if (ids && opts.idSalt && r.parsed !== undefined) ids.push(...maskedIds(r.parsed, r.masked, opts.idSalt));
  return {
    size: decoded.body.length,
    mimeType: ctype ?? "",
    text: r.text,
    ...(r.encoding ? { encoding: r.encoding } : {}),
    ...(cut || a.truncated || decoded.truncated ? { _truncated: true } : {}),
  };
}

/** Headers of an answer as recorded: credentials masked, and content-encoding dropped (bodies are decoded). */
function answerHeaders(
  h: Readonly<Record<string, string | string[]>>,
  opts: EntryOptions,
  masked: string[],
  side: string,
) {
  const r = redactHeaders(h, opts.redactHeaders);
  for (const m of r.masked) masked.push(`${side} header:${m}`);
  const { "content-encoding": _enc, "content-length": _len, ...rest } = r.headers;
  return pairs(rest);
}

/**
 * toHarEntry turns one exchange into a HAR entry, redacted before anything is written: credential
 * headers masked (a Bearer JWT kept as unsigned header and claims, for re-signing), secret-like
 * query parameters and body values masked, bodies decoded and cut at `maxBody`, the user key hashed.
 */
export function toHarEntry(x: RecordInput, opts: EntryOptions): HarEntry {
  const masked: string[] = [];
  const truncated: NonNullable<HarCutover["truncated"]> = [];
  const t = redactTarget(x.target);
  masked.push(...t.masked);
  const url = new URL(t.target, ORIGIN);
  const reqHeaders = redactHeaders(x.headers, opts.redactHeaders);
  for (const m of reqHeaders.masked) masked.push(`header:${m}`);
  const jwt = jwtParts(headerValue(x.headers.authorization), opts.redactPaths);
  const ctype = headerValue(x.headers["content-type"]);
  let postData: HarEntry["request"]["postData"];
  if (x.body && x.body.length > 0) {
    const { body, cut } = cap(x.body, opts.maxBody);
    if (cut || x.bodyTruncated) truncated.push("request");
    const r = redactBody(body, ctype, opts.redactPaths);
    masked.push(...r.masked.map((m) => `request ${m}`));
    postData = { mimeType: ctype ?? "", text: r.text, ...(r.encoding ? { encoding: r.encoding } : {}) };
  }
  const ids: MaskedId[] = opts.idSalt ? maskedHeaderIds(x.headers, reqHeaders.masked, opts.idSalt) : [];
  const response = answerContent(x.response, opts, masked, "response", ids);
  const responseHeaders = answerHeaders(x.response.headers, opts, masked, "response");
  if (response["_truncated"]) truncated.push("response");
  const cutover: HarCutover = { id: x.id };
  if (x.route !== undefined) cutover.route = x.route;
  if (x.template !== undefined) cutover.template = x.template;
  if (x.served !== undefined) cutover.target = x.served;
  if (x.userKey !== undefined) cutover.userKey = userKeyHash(x.userKey, opts.salt);
  if (x.candidate) {
    const content = answerContent(x.candidate, opts, masked, "candidate");
    if (content["_truncated"]) truncated.push("candidate");
    const answer: HarAnswer = {
      status: x.candidate.status,
      headers: answerHeaders(x.candidate.headers, opts, masked, "candidate"),
      content,
    };
    if (x.candidate.error !== undefined) answer.error = x.candidate.error;
    cutover.candidate = answer;
  }
  if (jwt) cutover.jwt = jwt;
  if (ids.length && opts.idSalt) {
    cutover.ids = ids;
    cutover.idSalt = opts.idSalt;
  }
  if (masked.length) cutover.redacted = [...new Set(masked)];
  if (truncated.length) cutover.truncated = truncated;
  const wait = x.response.timing?.headersMs ?? 0;
  const total = x.response.timing?.totalMs ?? wait;
  return {
    startedDateTime: new Date(x.at).toISOString(),
    time: Number.isFinite(total) ? total : 0,
    request: {
      method: x.method,
      url: url.href,
      httpVersion: "HTTP/1.1",
      cookies: [],
      headers: pairs(reqHeaders.headers),
      queryString: [...url.searchParams].map(([name, value]) => ({ name, value })),
      ...(postData ? { postData } : {}),
      headersSize: -1,
      bodySize: x.body?.length ?? 0,
    },
    response: {
      status: x.response.status,
      statusText: "",
      httpVersion: "HTTP/1.1",
      cookies: [],
      headers: responseHeaders,
      content: response,
      redirectURL: headerValue(x.response.headers.location) ?? "",
      headersSize: -1,
      bodySize: x.response.body.length,
      ...(x.response.error !== undefined ? { _error: x.response.error } : {}),
    },
    cache: {},
    timings: {
      send: 0,
      wait: Number.isFinite(wait) ? wait : 0,
      receive: Number.isFinite(total - wait) ? total - wait : 0,
    },
    _cutover: cutover,
  };
}
