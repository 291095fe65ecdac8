import { createHash } from "node:crypto";
import { redactText } from "../redact/keys.js";
import { clip } from "./json-stringify.js";
import type { Difference } from "./types.js";

/** Text and byte bodies: one body_changed per pair, with previews around the first difference. */

const CONTEXT_BEFORE = 40;

function stripOneNewline(s: string): string {
  if (s.endsWith("\r\n")) return s.slice(0, -2);
  if (s.endsWith("\n")) return s.slice(0, -1);
  return s;
}

function window(s: string, at: number): string {
  if (s.length === 0) return "(empty)";
  const start = Math.max(0, at - CONTEXT_BEFORE);
  const snippet = (start > 0 ? "…" : "") + s.slice(start, start + 220);
  return clip(redactText(snippet).text);
}

/** Compares two texts; `trailingNewline` makes a single trailing newline on either side irrelevant. */
export function diffText(
  legacy: string,
  candidate: string,
  opts: { trailingNewline: boolean; note?: string },
  out: Difference[],
): void {
  const a = opts.trailingNewline ? stripOneNewline(legacy) : legacy;
  const b = opts.trailingNewline ? stripOneNewline(candidate) : candidate;
  if (a === b) return;
  let i = 0;
  const n = Math.min(a.length, b.length);
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  let line = 1;
  let lineStart = 0;
  for (let k = 0; k < i; k++) {
    if (a.charCodeAt(k) === 10) {
      line++;
      lineStart = k + 1;
    }
  }
  let detail = `first difference at line ${line}, column ${i - lineStart + 1} (legacy ${a.length} chars, candidate ${b.length} chars)`;
  if (opts.note) detail = `${opts.note}; ${detail}`;
  out.push({
    kind: "body_changed",
    path: "body",
    groupPath: "body",
    legacy: window(a, i),
    candidate: window(b, i),
    detail,
  });
}

/** A short, comparable stand-in for bytes that are not text. */
export function bytesDigest(b: Buffer): string {
  if (b.length === 0) return "(empty)";
  return `sha256:${createHash("sha256").update(b).digest("hex").slice(0, 16)} (${b.length} bytes)`;
}

/** Compares two opaque bodies by content; previews are digests, never the bytes. */
export function diffBytes(legacy: Buffer, candidate: Buffer, note: string | undefined, out: Difference[]): void {
  if (legacy.equals(candidate)) return;
  const d: Difference = {
    kind: "body_changed",
    path: "body",
    groupPath: "body",
    legacy: bytesDigest(legacy),
    candidate: bytesDigest(candidate),
  };
  if (note !== undefined) d.detail = note;
  out.push(d);
}
