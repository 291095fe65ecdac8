/**
 * The recording's part of the cluster protocol: exchanges a worker's recording probe captured, as
 * they cross the IPC channel (structured clone), and the probe's counts. Pure data, no I/O.
 */
import type { RecordedBodyCopy } from "../mirror/mirror.js";
import type { RecordAnswerInput, RecordInput } from "../recording/entry.js";

/** An answer as sent: the body is an exact-size copy (a Buffer is often a view into an 8 KiB slab). */
export type WireAnswer = Omit<RecordAnswerInput, "body"> & { body: Uint8Array };

/** One captured exchange (a RecordInput, already cut at record.max_body) as a worker sends it. */
export type WireRecord = Omit<RecordInput, "body" | "response" | "candidate"> & {
  body?: Uint8Array | undefined;
  response: WireAnswer;
  candidate?: WireAnswer | undefined;
};

/** The request body copy of a mirrored exchange the recording keeps (null: it had no body). */
export interface WireBodyCopy {
  body: Uint8Array;
  truncated: boolean;
}

/** A worker's recording counts: `inflight` as it is now, the others since its previous message. */
export interface RecordCounts {
  /** Unmirrored exchanges being captured. */
  inflight: number;
  /** Unmirrored exchanges not recorded because MAX_RECORDING_INFLIGHT were being captured. */
  busy: number;
  /** Captured exchanges dropped because the channel to the primary was backed up. */
  dropped: number;
}

/** The recording's message from a worker: what it captured since the last one, and its counts. */
export interface RecordsMessage {
  t: "records";
  records: WireRecord[];
  counts: RecordCounts;
}

const copy = (b: Buffer): Uint8Array => new Uint8Array(b);
const revive = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

function wireAnswer(a: RecordAnswerInput): WireAnswer {
  return { ...a, body: copy(a.body) };
}

/** toWireRecord copies the bodies into exact-size arrays; `bytes` is what the record weighs on the channel (about). */
export function toWireRecord(x: RecordInput): { record: WireRecord; bytes: number } {
  const record: WireRecord = {
    ...x,
    body: x.body && copy(x.body),
    response: wireAnswer(x.response),
    candidate: x.candidate && wireAnswer(x.candidate),
  };
  let bytes = 256 + x.target.length + (x.body?.length ?? 0) + x.response.body.length + (x.candidate?.body.length ?? 0);
  for (const [k, v] of Object.entries(x.headers)) bytes += k.length + String(v ?? "").length;
  return { record, bytes };
}

export function fromWireRecord(w: WireRecord): RecordInput {
  return {
    ...w,
    body: w.body && revive(w.body),
    response: { ...w.response, body: revive(w.response.body) },
    candidate: w.candidate && { ...w.candidate, body: revive(w.candidate.body) },
  };
}

/** wireCopy reads a mirrored exchange's request body copy (undefined: not recorded; null: no body). */
export function wireCopy(c: RecordedBodyCopy | null | undefined): WireBodyCopy | null | undefined {
  return c ? { body: copy(c.body()), truncated: c.truncated() } : c;
}

export function reviveCopy(w: WireBodyCopy | null | undefined): RecordedBodyCopy | null | undefined {
  if (!w) return w;
  const body = revive(w.body);
  return { body: () => body, truncated: () => w.truncated };
}
