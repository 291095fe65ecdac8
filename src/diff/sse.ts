import { redactText } from "../redact/keys.js";
import { diffJson, jsonEqual } from "./json-diff.js";
import { parseJson } from "../json/parse.js";
import type { PathPattern } from "../json/path.js";
import { clip } from "./json-stringify.js";
import type { CapturedResponse, Difference } from "./types.js";

/**
 * Server-sent events (text/event-stream) compared as a sequence of events, the way an EventSource
 * client sees them (WHATWG HTML §9.2.6 "Interpreting an event stream"), plus how they were delivered:
 * FastAPI's GZipMiddleware buffers a whole stream and releases it at the end
 * (flask-fastapi-drift.md, Server-sent events), which only the chunk timing shows.
 */

export interface SseEvent {
  event: string;
  data: string;
  id?: string;
  retry?: string;
}

/** Parses an event stream. Comment lines (heartbeats) are skipped; an unterminated last event is dropped, as a client would. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r\n|\r|\n/);
  let cur: SseEvent | undefined;
  let dataLines: string[] = [];
  for (const line of lines) {
    if (line === "") {
      if (cur) {
        cur.data = dataLines.join("\n");
        events.push(cur);
      }
      cur = undefined;
      dataLines = [];
      continue;
    }
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field !== "data" && field !== "event" && field !== "id" && field !== "retry") continue;
    cur ??= { event: "message", data: "" };
    if (field === "data") dataLines.push(value);
    else if (field === "event") cur.event = value === "" ? "message" : value;
    else if (field === "id") cur.id = value;
    else cur.retry = value;
  }
  return events;
}

interface Parsed extends SseEvent {
  json?: { value: unknown };
  /** What events are aligned on: name, id, retry and the data's JSON keys (or the data itself). */
  key: string;
}

function withJson(e: SseEvent): Parsed {
  const head = `${e.event}\u0000${e.id ?? ""}\u0000${e.retry ?? ""}\u0000`;
  const c = e.data.trimStart().charCodeAt(0);
  // Only objects, arrays and strings are worth parsing; "42" and "ok" compare fine as text.
  if (c !== 123 && c !== 91 && c !== 34) return { ...e, key: head + e.data };
  const r = parseJson(e.data);
  if (!r.ok) return { ...e, key: head + e.data };
  // Events whose values vary (a timestamp in each) still align by their shape, so a noisy stream
  // with one event missing pairs the rest correctly.
  const v = r.value;
  const shape = v !== null && typeof v === "object" && !Array.isArray(v) ? Object.keys(v).sort().join(",") : e.data;
  return { ...e, json: { value: v }, key: head + shape };
}

function dataEqual(x: Parsed, y: Parsed): boolean {
  if (x.json && y.json) return jsonEqual(x.json.value, y.json.value);
  return x.data === y.data;
}

function eventsEqual(x: Parsed, y: Parsed): boolean {
  return x.event === y.event && x.id === y.id && x.retry === y.retry && dataEqual(x, y);
}

// Above this many cells the alignment falls back to positional comparison (bounded CPU per pair).
const MAX_LCS_CELLS = 250_000;

/**
 * Pairs (i, j) of events along a heaviest common subsequence: an equal event weighs 2, one with the
 * same name, id and shape (values differ: noise, or a changed value) weighs 1. Equal events anchor
 * the alignment; noisy streams still align by shape.
 */
function align(a: Parsed[], b: Parsed[]): [number, number][] {
  const n = a.length;
  const m = b.length;
  const weight = (x: Parsed | undefined, y: Parsed | undefined): number =>
    !x || !y || x.key !== y.key ? 0 : eventsEqual(x, y) ? 2 : 1;
  if (n * m > MAX_LCS_CELLS) {
    const pairs: [number, number][] = [];
    for (let i = 0; i < Math.min(n, m); i++) if (a[i]?.key === b[i]?.key) pairs.push([i, i]);
    return pairs;
  }
  const w = m + 1;
  const t = new Uint32Array((n + 1) * w);
  const wt = new Uint8Array(n * m);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      const x = weight(a[i], b[j]);
      wt[i * m + j] = x;
      const skip = Math.max(t[(i + 1) * w + j] ?? 0, t[i * w + j + 1] ?? 0);
      t[i * w + j] = x > 0 ? Math.max(skip, (t[(i + 1) * w + j + 1] ?? 0) + x) : skip;
    }
  }
  const pairs: [number, number][] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const x = wt[i * m + j] ?? 0;
    if (x > 0 && t[i * w + j] === (t[(i + 1) * w + j + 1] ?? 0) + x) pairs.push([i++, j++]);
    else if ((t[(i + 1) * w + j] ?? 0) >= (t[i * w + j + 1] ?? 0)) i++;
    else j++;
  }
  return pairs;
}

function preview(e: Parsed): string {
  const head = e.event === "message" ? "" : `event: ${e.event}; `;
  return clip(redactText(`${head}data: ${e.data}`).text);
}

export interface SseDiffOptions {
  ignore: readonly PathPattern[];
  redact: readonly PathPattern[];
}

/** Appends differences between two event streams (and their delivery) to `out`. */
export function diffSse(
  legacyText: string,
  candidateText: string,
  timing: { legacy: CapturedResponse["timing"]; candidate: CapturedResponse["timing"] },
  opts: SseDiffOptions,
  out: Difference[],
): void {
  const a = parseSse(legacyText).map(withJson);
  const b = parseSse(candidateText).map(withJson);
  const pairs = align(a, b);
  pairs.push([a.length, b.length]);
  let pi = 0;
  let pj = 0;
  for (const [i, j] of pairs) {
    // Between two aligned events: pair the leftovers in order, the rest are missing or extra.
    const gapA = i - pi;
    const gapB = j - pj;
    for (let k = 0; k < Math.max(gapA, gapB); k++) {
      const x = k < gapA ? a[pi + k] : undefined;
      const y = k < gapB ? b[pj + k] : undefined;
      if (x && y) compareEvent(pi + k, x, y, opts, out);
      else if (x) out.push(seqDiff("sse_event_missing", pi + k, preview(x), undefined));
      else if (y) out.push(seqDiff("sse_event_extra", pj + k, undefined, preview(y)));
    }
    // The aligned pair itself: same name, id and shape, the values may still differ.
    const x = a[i];
    const y = b[j];
    if (x && y && !eventsEqual(x, y)) compareEvent(i, x, y, opts, out);
    pi = i + 1;
    pj = j + 1;
  }
  diffDelivery(a.length, timing.legacy, timing.candidate, out);
}

function seqDiff(kind: Difference["kind"], index: number, legacy?: string, candidate?: string): Difference {
  const d: Difference = { kind, path: `sse[${index}]`, groupPath: "sse[*]" };
  if (legacy !== undefined) d.legacy = legacy;
  if (candidate !== undefined) d.candidate = candidate;
  return d;
}

function compareEvent(i: number, x: Parsed, y: Parsed, opts: SseDiffOptions, out: Difference[]): void {
  for (const field of ["event", "id", "retry"] as const) {
    if (x[field] === y[field]) continue;
    out.push({
      kind: "sse_event_changed",
      path: `sse[${i}].${field}`,
      groupPath: `sse[*].${field}`,
      legacy: clip(x[field] ?? "(absent)"),
      candidate: clip(y[field] ?? "(absent)"),
    });
  }
  if (dataEqual(x, y)) return;
  if (x.json && y.json) {
    // JSON data is diffed like a JSON body, each difference at its own path inside the event
    // (sse[2].data.at), so noise is learned per field and format changes are found there too.
    const inner: Difference[] = [];
    diffJson(x.json.value, y.json.value, opts, inner);
    for (const d of inner) out.push(inSseData(d, i));
    return;
  }
  out.push({
    kind: "sse_event_changed",
    path: `sse[${i}].data`,
    groupPath: SSE_DATA,
    legacy: clip(redactText(x.data).text),
    candidate: clip(redactText(y.data).text),
  });
}

/** The group path root of JSON inside SSE event data; JSON paths continue from it ("sse[*].data.at"). */
export const SSE_DATA = "sse[*].data";

/** A JSON body difference moved inside event `i`'s data: "$.at" → "sse[i].data.at". */
function inSseData(d: Difference, i: number): Difference {
  const move = (p: string, root: string): string => (p.startsWith("$") ? root + p.slice(1) : root);
  return { ...d, path: move(d.path, `sse[${i}].data`), groupPath: move(d.groupPath, SSE_DATA) };
}

// A stream counts as "streamed" when its chunks spread over at least this long; below it, local
// captures coalesce chunks and timing says nothing.
const MIN_STREAM_SPREAD_MS = 100;

/** Flags a candidate that delivered in one burst what legacy streamed event by event (buffering). */
export function diffDelivery(
  events: number,
  legacy: CapturedResponse["timing"],
  candidate: CapturedResponse["timing"],
  out: Difference[],
): void {
  const lc = legacy.chunks;
  const cc = candidate.chunks;
  if (!lc || !cc || events < 3 || lc.length < 3) return;
  const spread = (lc[lc.length - 1] ?? 0) - (lc[0] ?? 0);
  if (spread < MIN_STREAM_SPREAD_MS || cc.length > 2) return;
  const last = Math.round(cc[cc.length - 1] ?? candidate.totalMs);
  out.push({
    kind: "sse_event_changed",
    path: "sse.delivery",
    groupPath: "sse.delivery",
    legacy: `${lc.length} chunks over ${Math.round(spread)} ms`,
    candidate: `${cc.length} chunk(s), last at ${last} ms`,
    detail:
      "the candidate delivered the stream in one burst instead of event by event (buffering, e.g. GZipMiddleware on text/event-stream)",
  });
}
