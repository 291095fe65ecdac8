import { decodeBody } from "./decode.js";
import { parseJson } from "../json/parse.js";
import { bodyKindOf, decodeText, headerValue, parseContentType } from "./media.js";
import type { CapturedResponse } from "./types.js";

/**
 * One response body decoded and parsed the way the engine reads it. The noise model
 * (observeLegacy) and finding examples use it, so they see exactly what the diff saw.
 */
export type ParsedBody = { mediaType: string; size: number; truncated: boolean } & (
  | { kind: "empty" }
  | { kind: "json"; value: unknown; text: string }
  | { kind: "text"; text: string; invalidJson?: string }
  | { kind: "sse"; text: string }
  | { kind: "binary"; bytes: Buffer }
  | { kind: "undecodable"; error: string }
);

/** Decodes (content-encoding) and parses a captured body. Never throws. */
export function parseBody(resp: CapturedResponse): ParsedBody {
  const ct = parseContentType(headerValue(resp.headers["content-type"]));
  const base = { mediaType: ct.mediaType, truncated: resp.truncated };
  const d = decodeBody(resp);
  if (d.error !== undefined) return { ...base, size: resp.body.length, kind: "undecodable", error: d.error };
  const size = d.body.length;
  const common = { ...base, size, truncated: d.truncated };
  if (size === 0) return { ...common, kind: "empty" };
  const kind = bodyKindOf(ct.mediaType);
  if (kind === "binary") return { ...common, kind: "binary", bytes: d.body };
  const text = decodeText(d.body, ct);
  if (kind === "sse") return { ...common, kind: "sse", text };
  if (kind === "json") {
    const r = parseJson(text);
    return r.ok
      ? { ...common, kind: "json", value: r.value, text }
      : { ...common, kind: "text", text, invalidJson: r.error };
  }
  return { ...common, kind: "text", text };
}
