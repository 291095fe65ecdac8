import { readFileSync } from "node:fs";
import { CutoverError, type Problem } from "../errors/index.js";
import { parseGor, looksLikeGor } from "./gor.js";
import { HOP, harSchema, type Har, type HarAnswer, type HarContent, type HarEntry } from "./har.js";
import type { RecordedAnswer, RecordedRequest } from "./types.js";

// HTTP/2 pseudo-headers (DevTools HAR) and lengths the client library recomputes.
const SKIP = (name: string): boolean => HOP.has(name) || name.startsWith(":") || name === "content-length";

/** validateHar checks a parsed document against the HAR 1.2 schema; every problem with its path. */
export function validateHar(doc: unknown): { ok: true; har: Har } | { ok: false; problems: Problem[] } {
  const r = harSchema.safeParse(doc);
  if (r.success) return { ok: true, har: r.data };
  return {
    ok: false,
    problems: r.error.issues.slice(0, 50).map((i) => ({ path: i.path.map(String).join("."), message: i.message })),
  };
}

function contentBody(c: HarContent | { text?: string | undefined; encoding?: string | undefined } | undefined): Buffer {
  if (!c?.text) return Buffer.alloc(0);
  return c.encoding === "base64" ? Buffer.from(c.text, "base64") : Buffer.from(c.text, "utf8");
}

function headerMap(pairs: readonly { name: string; value: string }[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const { name, value } of pairs) {
    const n = name.toLowerCase();
    const prev = out[n];
    out[n] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return out;
}

function answer(a: HarAnswer | HarEntry["response"]): RecordedAnswer {
  const out: RecordedAnswer = { status: a.status, headers: headerMap(a.headers), body: contentBody(a.content) };
  if (a.content && (a.content as Record<string, unknown>)["_truncated"] === true) out.truncated = true;
  const err = (a as Record<string, unknown>)["error"] ?? (a as Record<string, unknown>)["_error"];
  if (typeof err === "string") out.error = err;
  return out;
}

/** The request of one HAR entry, ready to send: path and query only, hop-by-hop headers left out. */
export function entryToRequest(e: HarEntry, index: number): RecordedRequest {
  const url = new URL(e.request.url, "http://recorded.invalid");
  const c = e._cutover;
  const body = e.request.postData ? contentBody(e.request.postData) : undefined;
  const r: RecordedRequest = {
    index,
    id: c?.id ?? `har-${index}`,
    at: Date.parse(e.startedDateTime) || 0,
    method: e.request.method.toUpperCase(),
    target: url.pathname + url.search,
    headers: e.request.headers
      .map(({ name, value }): [string, string] => [name.toLowerCase(), value])
      .filter(([n]) => !SKIP(n)),
    body: body && body.length ? body : undefined,
    redacted: c?.redacted ?? [],
  };
  // A browser HAR lists cookies apart when it left the Cookie header out.
  if (e.request.cookies.length && !r.headers.some(([n]) => n === "cookie"))
    r.headers.push(["cookie", e.request.cookies.map((k) => `${k.name}=${k.value}`).join("; ")]);
  if (e.request.postData && !r.headers.some(([n]) => n === "content-type") && e.request.postData.mimeType)
    r.headers.push(["content-type", e.request.postData.mimeType]);
  if (c?.route !== undefined) r.route = c.route;
  if (c?.template !== undefined) r.template = c.template;
  if (c?.userKey !== undefined) r.userKey = c.userKey;
  if (c?.target !== undefined) r.served = c.target;
  if (c?.jwt) r.jwt = c.jwt;
  if (c?.ids && c.idSalt !== undefined) {
    r.maskedIds = c.ids;
    r.idSalt = c.idSalt;
  }
  if (e.response.status > 0) r.recorded = answer(e.response);
  if (c?.candidate) r.candidate = answer(c.candidate);
  return r;
}

/** harToRequests turns a parsed HAR document into the request list replay and bench consume. */
export function harToRequests(doc: unknown): RecordedRequest[] {
  const v = validateHar(doc);
  if (!v.ok) throw new CutoverError("CUTOVER_ERR_RECORDING_INVALID", "HAR schema", { problems: v.problems });
  return v.har.log.entries.map(entryToRequest);
}

/** parseRecording reads HAR 1.2 JSON or GoReplay `.gor` bytes into requests, in recorded order. */
export function parseRecording(data: Buffer, name = "recording"): RecordedRequest[] {
  if (looksLikeGor(data)) return parseGor(data);
  let doc: unknown;
  try {
    doc = JSON.parse(data.toString("utf8"));
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_RECORDING_INVALID", `${name}: not JSON (${(err as Error).message})`);
  }
  return harToRequests(doc);
}

/**
 * readRecording is the one entry point for a recording file: HAR (written by cutover, a browser's
 * DevTools, Schemathesis…) or `.gor`. Requests come back sorted by arrival time (stable).
 */
export function readRecording(file: string): RecordedRequest[] {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_RECORDING_READ", `${file}: ${(err as Error).message}`, { cause: err });
  }
  const list = parseRecording(data, file);
  const sorted = [...list].sort((a, b) => a.at - b.at || a.index - b.index);
  sorted.forEach((r, i) => (r.index = i));
  return sorted;
}
