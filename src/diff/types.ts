/**
 * Types shared by the response-diff engine and its callers (mirror, noise, findings, store).
 * The shapes of CapturedResponse, DiffKind, Difference and DiffOptions are the contract with the
 * mirror; fields may be added, never renamed.
 */

/** One upstream's answer to a mirrored request, as captured by the mirror. */
export interface CapturedResponse {
  status: number;
  /** Lower-cased header names. */
  headers: Record<string, string | string[]>;
  /** Raw bytes as received, possibly gzip/br/deflate-encoded, capped by the capturer. */
  body: Buffer;
  /** The body exceeded the capture cap: what we have is compared, and differences say so. */
  truncated: boolean;
  /** A CUTOVER_ERR_* code when the upstream gave no response (connect error, timeout, reset). */
  error?: string;
  /** Arrival offsets in ms; `chunks` are the body chunks' offsets, used to catch SSE buffering. */
  timing: { headersMs: number; totalMs: number; chunks?: number[] };
}

export { DIFF_KINDS } from "./difference.js";
export type { DiffKind, Difference } from "./difference.js";

export interface DiffOptions {
  /** Header names never compared, added to the built-in volatile ones (config diff.ignore.headers). */
  ignoreHeaders: readonly string[];
  /** JSON paths never compared: "$.meta.request_id", "$.items[*].etag", "$..trace_id" (config diff.ignore.paths). */
  ignorePaths: readonly string[];
  /** Framework presets in force, e.g. ["flask->fastapi"]; see presetsFor(). */
  presets: readonly string[];
  /** Header names whose values never appear in previews, besides the built-in sensitive ones (diff.redact.headers). */
  redactHeaders?: readonly string[];
  /** JSON paths whose values never appear in previews, besides secret-like keys (diff.redact.paths). */
  redactPaths?: readonly string[];
}

/**
 * What the engine may know about the request both answers belong to. Optional: without it, rules
 * that depend on the request (HEAD bodies, CORS headers on requests without Origin) stay off.
 */
export interface DiffRequest {
  method: string;
  /** Lower-cased header names. */
  headers?: Record<string, string | string[] | undefined>;
}
