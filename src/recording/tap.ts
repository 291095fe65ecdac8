import type { Config, RecordConfig } from "../config/schema.js";
import type { CapturedResponse } from "../diff/types.js";
import type { ComparisonSink, MirroredRequest } from "../mirror/mirror.js";
import { HarWriter, type WriterStats } from "./write.js";

/** Journal bytes waiting for the disk before entries are dropped (and counted). */
const MAX_PENDING = 8 << 20;

/**
 * RecordingTap records mirrored exchanges at the gateway: it sits in front of the comparison sink,
 * passes every exchange on unchanged, and writes the sampled ones of the selected routes (the
 * request, legacy's answer as served, the candidate's answer) to a HAR file. The exchange is
 * finished when it arrives here, and the redaction and serialisation run on a later turn of the
 * event loop (setImmediate), so a client's request never waits for the recording; the writer
 * drops and counts what the disk cannot take. Requests bodies are not captured (the mirror tees
 * them to the upstreams), so recorded writes carry no body yet.
 */
export class RecordingTap implements ComparisonSink {
  private readonly writer: HarWriter;
  private readonly routes: ReadonlySet<string> | undefined;
  private acc = 0;
  sampledOut = 0;

  constructor(
    private readonly inner: ComparisonSink,
    private readonly cfg: RecordConfig,
    config: Config,
  ) {
    this.routes = cfg.routes ? new Set(cfg.routes) : undefined;
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

  compare(
    req: MirroredRequest,
    legacy: CapturedResponse,
    candidate: CapturedResponse,
    secondary: CapturedResponse | undefined,
  ): void {
    this.inner.compare(req, legacy, candidate, secondary);
    if (this.routes && !this.routes.has(req.route.name)) return;
    // Deterministic sampling, evenly spread, like the mirror's percent.
    this.acc += this.cfg.percent;
    if (this.acc < 100) {
      this.sampledOut++;
      return;
    }
    this.acc -= 100;
    setImmediate(() =>
      this.writer.write({
        id: req.id,
        at: req.at,
        method: req.method,
        target: req.path + req.query,
        headers: req.headers,
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
