import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import type { RecordConfig, RouteConfig } from "../config/schema.js";
import { Capture } from "../mirror/capture.js";
import type { MirroredRequest, RecordedBodyCopy } from "../mirror/mirror.js";
import type { CapturedResponse } from "../diff/types.js";
import type { ErrorCode } from "../errors/index.js";
import type { ResponseObserver } from "../proxy/forward.js";
import type { Route } from "../route/table.js";
import type { RequestFacts } from "../state/facts.js";
import type { RecordInput } from "./entry.js";

/** Unmirrored exchanges being captured for the recording at once; past it they are skipped (counted). */
export const MAX_RECORDING_INFLIGHT = 256;

/**
 * BodyCopy keeps the first `cap` bytes of a request body as it streams past (a Capture: chunks by
 * reference), and whether the rest was cut or never arrived.
 */
export class BodyCopy implements RecordedBodyCopy {
  private readonly capture: Capture;

  constructor(cap: number) {
    this.capture = new Capture(0, cap, () => undefined);
  }

  add(chunk: Buffer): void {
    this.capture.onData(chunk);
  }

  end(): void {
    this.capture.onEnd();
  }

  body(): Buffer {
    return this.capture.result().body;
  }

  /** Cut at the cap, or the client's body had not all arrived when the exchange was recorded. */
  truncated(): boolean {
    return this.capture.full || !this.capture.done;
  }
}

/**
 * ServedAnswer captures the answer the client is served. A candidate that refused the connection
 * is retried on legacy (the Flight changes the decision at once, in the same call as the error):
 * then the error is not the answer, and the retry's answer is captured instead.
 */
class ServedAnswer implements ResponseObserver {
  private capture: Capture;
  private target: string;

  constructor(
    private readonly facts: RequestFacts,
    private readonly cap: number,
    private readonly done: (answer: CapturedResponse) => void,
  ) {
    this.target = facts.decision.target;
    this.capture = this.fresh();
  }

  private fresh(): Capture {
    const c: Capture = new Capture(this.facts.startedAt, this.cap, () => this.done(c.result()));
    return c;
  }

  onStart(status: number, headers: IncomingHttpHeaders): void {
    this.capture.onStart(status, headers);
  }

  onData(chunk: Buffer): void {
    this.capture.onData(chunk);
  }

  onEnd(): void {
    this.capture.onEnd();
  }

  onError(code: ErrorCode): void {
    queueMicrotask(() => {
      if (this.facts.decision.target !== this.target) {
        this.target = this.facts.decision.target;
        this.capture = this.fresh();
      } else this.capture.onError(code);
    });
  }
}

export interface ProbeCounts {
  /** Exchanges of the selected routes left out by `percent`. */
  sampledOut: number;
  /** Unmirrored exchanges not recorded because MAX_RECORDING_INFLIGHT were being captured. */
  busy: number;
  /** Request bodies cut at record.max_body. */
  bodiesCut: number;
  inflight: number;
}

/**
 * RecordingProbe picks, on the request path, the exchanges of the selected routes that the
 * recording keeps (sampled by `percent`, mirrored or not) and copies their request bodies (up to
 * record.max_body) as they stream past. A mirrored one is marked and reaches the recording with
 * the comparison (both answers); an unmirrored one gets an observer that captures the served
 * answer and hands the exchange to `write` on a later turn of the event loop. The probe never
 * holds up the request: the body is copied from the same 'data' events the upstream reads.
 */
export class RecordingProbe {
  readonly counts: ProbeCounts = { sampledOut: 0, busy: 0, bodiesCut: 0, inflight: 0 };
  private readonly acc: Float64Array;
  private readonly selected: boolean[];

  constructor(
    private readonly cfg: RecordConfig,
    routes: readonly Route<RouteConfig>[],
    private readonly write: (x: RecordInput) => void,
  ) {
    this.acc = new Float64Array(routes.length);
    // Default: the routes with `mirror:` (as before bodies and unmirrored exchanges were recorded).
    this.selected = routes.map((r) => (cfg.routes ? cfg.routes.includes(r.name) : r.config.mirror !== undefined));
  }

  /**
   * begin decides whether this request is recorded. `mirrored` is the mirror's request when the
   * mirror took it (with `body`, the stream legacy reads). Returns the stream legacy must read
   * instead of `req` (when the probe had to tee the body itself) and the observer of the served
   * answer (when it is not mirrored).
   */
  begin(
    req: IncomingMessage,
    facts: RequestFacts,
    mirrored: { request: MirroredRequest; body?: PassThrough } | undefined,
  ): { body?: PassThrough; observer?: ResponseObserver } | undefined {
    const route = facts.rm.route;
    if (!this.selected[route.id]) return undefined;
    this.acc[route.id] = (this.acc[route.id] ?? 0) + this.cfg.percent;
    if ((this.acc[route.id] ?? 0) < 100) {
      this.counts.sampledOut++;
      return undefined;
    }
    this.acc[route.id] = (this.acc[route.id] ?? 0) - 100;
    if (!mirrored && this.counts.inflight >= MAX_RECORDING_INFLIGHT) {
      this.counts.busy++;
      return undefined;
    }
    const copy = facts.hasBody ? new BodyCopy(this.cfg.max_body) : undefined;
    let body: PassThrough | undefined;
    if (copy) {
      // A second 'data' listener is safe only once something pipes `req`: the mirror's tee, or ours.
      if (!mirrored?.body) req.pipe((body = new PassThrough()));
      req.on("data", (c: Buffer) => copy.add(c));
      req.once("end", () => {
        copy.end();
        if (copy.truncated()) this.counts.bodiesCut++;
      });
    }
    if (mirrored) {
      mirrored.request.record = copy ?? null;
      return undefined;
    }
    this.counts.inflight++;
    const at = Date.now();
    const served = new ServedAnswer(facts, this.cfg.max_body, (answer) => {
      this.counts.inflight--;
      setImmediate(() =>
        this.write({
          id: facts.id,
          at,
          method: facts.method,
          target: facts.path + facts.query,
          headers: req.headers,
          body: copy?.body(),
          bodyTruncated: copy?.truncated() ?? false,
          route: route.name,
          template: route.template.source,
          served: facts.decision.target,
          userKey: facts.key,
          response: answer,
        }),
      );
    });
    return body ? { body, observer: served } : { observer: served };
  }
}
