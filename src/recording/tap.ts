import type { Config, RecordConfig, RouteConfig } from "../config/schema.js";
import type { CapturedResponse } from "../diff/types.js";
import type { ComparisonSink, MirroredRequest } from "../mirror/mirror.js";
import type { Route } from "../route/table.js";
import type { RecordInput } from "./entry.js";
import { MAX_RECORDING_INFLIGHT, RecordingProbe } from "./probe.js";
import { HarWriter, type WriterStats } from "./write.js";

/** Journal bytes waiting for the disk before entries are dropped (and counted). */
const MAX_PENDING = 8 << 20;

/** One bounded part of the recording as status shows it (under `state`). */
export interface RecordingState {
  kind: string;
  entries: number | null;
  limit: number;
  capped: number;
}

/**
 * RecordingTap records exchanges at the gateway to a HAR file. Its probe (probe.ts), on the data
 * plane's request path, picks the sampled exchanges of the selected routes, mirrored or not, and
 * copies their request bodies (up to record.max_body); an unmirrored one is written with the
 * served answer. The tap sits in front of the comparison sink, passes every exchange on unchanged,
 * and writes the mirrored ones the probe marked with legacy's answer as served and the candidate's.
 * Exchanges are finished when they arrive, and the redaction and serialisation run on a later
 * turn of the event loop (setImmediate), so a client's request never waits for the recording; the
 * writer drops and counts what the disk cannot take. In a cluster the probes run in the workers
 * (cluster/recording.ts): the primary's tap writes what they send (`remote`) and the mirrored
 * exchanges they marked, which arrive here with their request body copies.
 */
export class RecordingTap implements ComparisonSink {
  private readonly writer: HarWriter;
  private probed: RecordingProbe | undefined;
  private remoteState: (() => RecordingState[]) | undefined;

  constructor(
    private readonly inner: ComparisonSink,
    private readonly cfg: RecordConfig,
    config: Config,
  ) {
    this.writer = new HarWriter(cfg.path, {
      maxBody: cfg.max_body,
      redactHeaders: config.diff.redact.headers,
      redactPaths: config.diff.redact.paths,
      salt: config.bucketing.salt,
      rotateBytes: cfg.rotate_size,
      rotateMs: cfg.rotate_age,
      maxPending: MAX_PENDING,
    });
  }

  get offThread(): boolean | undefined {
    return this.inner.offThread;
  }

  get stats(): WriterStats {
    return this.writer.stats;
  }

  /** probe makes the request-path side of the recording for a data plane in this process. */
  probe(routes: readonly Route<RouteConfig>[]): RecordingProbe {
    this.probed = new RecordingProbe(this.cfg, routes, (x) => this.writer.write(x));
    return this.probed;
  }

  /**
   * remote is `probe` for a cluster: the probes run in the workers and the primary writes what
   * they captured with the returned function (redacted here); `state` gives their counts.
   */
  remote(state: () => RecordingState[]): (x: RecordInput) => void {
    this.remoteState = state;
    return (x) => this.writer.write(x);
  }

  /** The recording's bounded parts for status: unmirrored exchanges in capture, the journal. */
  state(): RecordingState[] {
    const c = this.probed?.counts;
    return [
      ...(this.remoteState?.() ?? [
        { kind: "recording_inflight", entries: c?.inflight ?? 0, limit: MAX_RECORDING_INFLIGHT, capped: c?.busy ?? 0 },
      ]),
      { kind: "recording_journal", entries: null, limit: MAX_PENDING, capped: this.writer.stats.dropped },
    ];
  }

  compare(
    req: MirroredRequest,
    legacy: CapturedResponse,
    candidate: CapturedResponse,
    secondary: CapturedResponse | undefined,
  ): void {
    this.inner.compare(req, legacy, candidate, secondary);
    // The probe (here or in a cluster worker) chose and sampled on the request path.
    const copy = req.record;
    if (copy === undefined) return;
    setImmediate(() =>
      this.writer.write({
        id: req.id,
        at: req.at,
        method: req.method,
        target: req.path + req.query,
        headers: req.headers,
        ...(copy ? { body: copy.body(), bodyTruncated: copy.truncated() } : {}),
        route: req.route.name,
        template: req.route.template.source,
        served: "legacy",
        userKey: req.key,
        response: legacy,
        candidate,
      }),
    );
  }

  /** close assembles the last file; waits a turn so exchanges queued by setImmediate are written. */
  async close(): Promise<WriterStats> {
    await new Promise((r) => setImmediate(r));
    return this.writer.close();
  }
}
