import type { RecordConfig, RouteConfig } from "../config/schema.js";
import type { RecordInput } from "../recording/entry.js";
import { MAX_RECORDING_INFLIGHT, RecordingProbe } from "../recording/probe.js";
import type { RecordingState, RecordingTap } from "../recording/tap.js";
import type { Route } from "../route/table.js";
import type { FromWorker } from "./protocol.js";
import {
  fromWireRecord,
  toWireRecord,
  type RecordCounts,
  type RecordsMessage,
  type WireRecord,
} from "./record-wire.js";

/**
 * Bytes of captured exchanges a worker holds for the primary (queued, or handed to the channel
 * and not yet written); past it new ones are dropped and counted (`recording_ipc`).
 */
export const MAX_RECORD_BYTES = 8 << 20;
/** A records message goes at once when it holds this many exchanges or bytes. */
const FLUSH_RECORDS = 32;
const FLUSH_BYTES = 1 << 20;

type Send = (m: FromWorker, done?: (err: Error | null) => void) => boolean;

/**
 * RecordShipper is a cluster worker's side of the recording: the same RecordingProbe as a single
 * process on the worker's request path (bodies up to record.max_body, MAX_RECORDING_INFLIGHT
 * unmirrored exchanges at once), whose captured exchanges go to the primary in `records`
 * messages instead of to a file. Bounded by MAX_RECORD_BYTES: what the channel cannot take is
 * dropped and counted, never waited for. Mirrored exchanges travel with their pair (the request
 * body copy in WirePair), as the comparison needs both answers anyway.
 */
export class RecordShipper {
  /** Messages handed to the channel and not yet written. */
  unsent = 0;
  private queue: WireRecord[] = [];
  private queuedBytes = 0;
  /** Queued bytes plus those of messages not yet written. */
  private heldBytes = 0;
  private dropped = 0;
  private busySent = 0;
  private inflightSent = 0;
  private probed: RecordingProbe | undefined;

  constructor(
    private readonly cfg: RecordConfig,
    private readonly send: Send,
  ) {}

  /** probe makes the request-path side for this worker's data plane; it writes here. */
  probe(routes: readonly Route<RouteConfig>[]): RecordingProbe {
    this.probed = new RecordingProbe(this.cfg, routes, (x) => this.add(x));
    return this.probed;
  }

  /** add queues a captured exchange (already off the client's path), or drops it when the channel is backed up. */
  add(x: RecordInput): void {
    const { record, bytes } = toWireRecord(x);
    if (this.heldBytes + bytes > MAX_RECORD_BYTES) {
      this.dropped++;
      return;
    }
    this.queue.push(record);
    this.queuedBytes += bytes;
    this.heldBytes += bytes;
    if (this.queue.length >= FLUSH_RECORDS || this.queuedBytes >= FLUSH_BYTES) this.flush();
  }

  /** flush sends what is queued, and the counts when they changed (called with every report tick). */
  flush(): void {
    const c = this.probed?.counts;
    const counts: RecordCounts = {
      inflight: c?.inflight ?? 0,
      busy: (c?.busy ?? 0) - this.busySent,
      dropped: this.dropped,
    };
    if (this.queue.length === 0 && counts.busy === 0 && counts.dropped === 0 && counts.inflight === this.inflightSent)
      return;
    const m: RecordsMessage = { t: "records", records: this.queue, counts };
    const bytes = this.queuedBytes;
    this.queue = [];
    this.queuedBytes = 0;
    this.busySent += counts.busy;
    this.inflightSent = counts.inflight;
    this.dropped = 0;
    this.unsent++;
    this.send(m, () => {
      this.unsent--;
      this.heldBytes -= bytes;
    });
  }
}

/**
 * RecordIntake is the primary's side: it hands the workers' captured exchanges to the recording
 * writer (redaction and serialisation happen there, as in a single process) and sums their counts
 * for status (`recording_inflight`, `recording_ipc`).
 */
export class RecordIntake {
  private readonly write: (x: RecordInput) => void;
  private readonly inflight = new Map<number, number>();
  private busy = 0;
  private dropped = 0;

  constructor(
    tap: RecordingTap,
    private readonly workers: number,
  ) {
    this.write = tap.remote(() => this.state());
  }

  take(slot: number, m: RecordsMessage): void {
    this.inflight.set(slot, m.counts.inflight);
    this.busy += m.counts.busy;
    this.dropped += m.counts.dropped;
    for (const r of m.records) this.write(fromWireRecord(r));
  }

  /** The worker in `slot` exited: what it was capturing is gone. */
  gone(slot: number): void {
    this.inflight.delete(slot);
  }

  private state(): RecordingState[] {
    let inflight = 0;
    for (const n of this.inflight.values()) inflight += n;
    return [
      {
        kind: "recording_inflight",
        entries: inflight,
        limit: MAX_RECORDING_INFLIGHT * this.workers,
        capped: this.busy,
      },
      { kind: "recording_ipc", entries: null, limit: MAX_RECORD_BYTES * this.workers, capped: this.dropped },
    ];
  }
}
