import zlib from "node:zlib";
import type { CapturedResponse } from "./types.js";

/**
 * Content-Encoding decoding before comparison: one side gzipping (GZipMiddleware, flask-compress)
 * must not look like a body difference (Diffy could not do this, opendiffy/diffy#93).
 */

/** Decoded bodies larger than this are cut, so a small compressed capture cannot expand without bound. */
export const MAX_DECODED_BYTES = 16 * 1024 * 1024;

export interface DecodedBody {
  body: Buffer;
  /** Set when a declared encoding could not be decoded; `body` is then the raw bytes. */
  error?: string;
  /** True when the decoded body is incomplete (capture truncated, or the decode cap was hit). */
  truncated: boolean;
}

function encodingsOf(h: string | string[] | undefined): string[] {
  if (h === undefined) return [];
  const joined = Array.isArray(h) ? h.join(",") : h;
  return joined
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "" && s !== "identity");
}

function decodeOnce(enc: string, buf: Buffer, partial: boolean): Buffer {
  // A truncated capture is an incomplete stream: flush what can be decoded instead of failing.
  const opts: zlib.ZlibOptions = { maxOutputLength: MAX_DECODED_BYTES };
  if (partial) opts.finishFlush = zlib.constants.Z_SYNC_FLUSH;
  switch (enc) {
    case "gzip":
    case "x-gzip":
      return zlib.gunzipSync(buf, opts);
    case "deflate":
      // RFC 9110 says zlib-wrapped, but some servers send raw deflate; accept both as browsers do.
      try {
        return zlib.inflateSync(buf, opts);
      } catch {
        return zlib.inflateRawSync(buf, opts);
      }
    case "br": {
      const bopts: zlib.BrotliOptions = { maxOutputLength: MAX_DECODED_BYTES };
      if (partial) bopts.finishFlush = zlib.constants.BROTLI_OPERATION_FLUSH;
      return zlib.brotliDecompressSync(buf, bopts);
    }
    default:
      throw new Error(`unsupported content-encoding "${enc}"`);
  }
}

/** The body as the client's HTTP library would hand it to the application. Never throws. */
export function decodeBody(resp: CapturedResponse): DecodedBody {
  const encodings = encodingsOf(resp.headers["content-encoding"]);
  if (encodings.length === 0 || resp.body.length === 0) return { body: resp.body, truncated: resp.truncated };
  let body = resp.body;
  try {
    // Codings are listed in the order they were applied, so they are undone last first.
    for (let i = encodings.length - 1; i >= 0; i--) body = decodeOnce(encodings[i] ?? "", body, resp.truncated);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    if (err instanceof RangeError || /maxOutputLength|buffer/i.test(msg)) {
      return { body: resp.body, truncated: true, error: `decoded body exceeds ${MAX_DECODED_BYTES} bytes` };
    }
    return { body: resp.body, truncated: resp.truncated, error: `${encodings.join(", ")} decoding failed: ${msg}` };
  }
  return { body, truncated: resp.truncated };
}
