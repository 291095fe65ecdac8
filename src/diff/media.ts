/** Content types: what a body is, so the engine compares it the way a client would read it. */

export interface ContentType {
  /** "application/json", lower-cased, parameters removed; "" when the header is absent. */
  mediaType: string;
  /** Parameters with lower-cased names, in the order given. */
  params: [string, string][];
}

const EMPTY: ContentType = { mediaType: "", params: [] };
const cache = new Map<string, ContentType>();
const CACHE_MAX = 1000;

/** First value of a header that may be repeated. */
export function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Parses a Content-Type value (memoised: a service uses a handful of distinct values). */
export function parseContentType(value: string | undefined): ContentType {
  if (value === undefined || value.trim() === "") return EMPTY;
  const hit = cache.get(value);
  if (hit) return hit;
  const parts = value.split(";");
  const params: [string, string][] = [];
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i] ?? "";
    const eq = p.indexOf("=");
    if (eq === -1) continue;
    let v = p.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    params.push([p.slice(0, eq).trim().toLowerCase(), v]);
  }
  const ct: ContentType = { mediaType: (parts[0] ?? "").trim().toLowerCase(), params };
  if (cache.size < CACHE_MAX) cache.set(value, ct);
  return ct;
}

export function param(ct: ContentType, name: string): string | undefined {
  for (const [k, v] of ct.params) if (k === name) return v;
  return undefined;
}

export type BodyKind = "json" | "sse" | "text" | "binary";

/** How a body of this media type is compared. Unknown or absent types are compared as bytes. */
export function bodyKindOf(mediaType: string): BodyKind {
  if (mediaType === "application/json" || mediaType.endsWith("+json") || mediaType === "text/json") return "json";
  if (mediaType === "text/event-stream") return "sse";
  if (
    mediaType.startsWith("text/") ||
    mediaType.endsWith("+xml") ||
    mediaType === "application/xml" ||
    mediaType === "application/javascript" ||
    mediaType === "application/x-www-form-urlencoded" ||
    mediaType === "application/x-ndjson"
  ) {
    return "text";
  }
  return "binary";
}

/** True for JSON media types, which have no charset parameter (RFC 8259 §11: JSON is UTF-8). */
export function isJsonMedia(mediaType: string): boolean {
  return bodyKindOf(mediaType) === "json";
}

/** Decodes body bytes as text in the declared charset (UTF-8 when none or unknown). */
export function decodeText(body: Buffer, ct: ContentType): string {
  const charset = param(ct, "charset")?.toLowerCase();
  if (charset === undefined || charset === "utf-8" || charset === "utf8") return body.toString("utf8");
  if (charset === "iso-8859-1" || charset === "latin1" || charset === "us-ascii" || charset === "ascii") {
    return body.toString("latin1");
  }
  try {
    return new TextDecoder(charset).decode(body);
  } catch {
    return body.toString("utf8");
  }
}
