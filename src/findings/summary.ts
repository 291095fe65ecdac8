import { parseBody } from "../diff/parse-body.js";
import type { PathPattern } from "../json/path.js";
import { stringifyJson } from "../diff/json-stringify.js";
import { bytesDigest } from "../diff/text-diff.js";
import type { CapturedResponse } from "../diff/types.js";
import { redactHeaders } from "../redact/headers.js";
import { redactJson } from "../redact/json.js";
import { redactText } from "../redact/keys.js";
import type { ResponseSummary } from "./types.js";

export interface SummaryOptions {
  redactHeaders: readonly string[];
  redactPaths: readonly PathPattern[];
  /** Body preview cap in characters. */
  previewChars: number;
}

/**
 * A captured response made safe to store: headers and JSON paths redacted, credential-shaped
 * text masked, body previewed within a size cap. Returns what was masked so the report can say.
 */
export function summarizeResponse(
  resp: CapturedResponse,
  opts: SummaryOptions,
  side: string,
): { summary: ResponseSummary; masked: string[] } {
  const h = redactHeaders(resp.headers, opts.redactHeaders);
  const masked = h.masked.map((n) => `${side} header:${n}`);
  const base = {
    status: resp.status,
    headers: h.headers,
    captureTruncated: resp.truncated,
    totalMs: resp.timing.totalMs,
  };
  if (resp.error !== undefined) {
    const summary: ResponseSummary = {
      ...base,
      error: resp.error,
      mediaType: "",
      bodyKind: "empty",
      body: "",
      bodyBytes: 0,
      previewTruncated: false,
    };
    return { summary, masked };
  }
  const p = parseBody(resp);
  const common = { ...base, mediaType: p.mediaType, bodyBytes: p.size };
  let body: string;
  let kind: ResponseSummary["bodyKind"] = p.kind;
  switch (p.kind) {
    case "empty":
      body = "";
      break;
    case "json": {
      const r = redactJson(p.value, opts.redactPaths);
      masked.push(...r.masked.map((m) => `${side} ${m}`));
      body = stringifyJson(r.value);
      break;
    }
    case "text":
    case "sse": {
      const r = redactText(p.text);
      if (r.count > 0) masked.push(`${side} body: ${r.count} credential-like substring(s)`);
      body = r.text;
      kind = p.kind;
      break;
    }
    case "binary":
      body = bytesDigest(p.bytes);
      break;
    case "undecodable":
      body = p.error;
      break;
  }
  const previewTruncated = body.length > opts.previewChars;
  if (previewTruncated) body = body.slice(0, opts.previewChars);
  return { summary: { ...common, bodyKind: kind, body, previewTruncated }, masked };
}
