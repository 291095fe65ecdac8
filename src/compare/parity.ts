import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { describePresets, presetsFor, type DiffOptions } from "../diff/index.js";
import type { CapturedResponse, Difference } from "../diff/types.js";
import { FindingsAggregator, findingId } from "../findings/index.js";
import type { FindingsRows } from "../findings/types.js";
import type { Metrics } from "../metrics/registry.js";
import { NoiseModel, type NoiseSnapshot } from "../noise/index.js";
import { endpointResolverFor } from "../inventory/endpoints.js";
import type { EndpointResolver, EndpointTemplate } from "../inventory/resolve.js";
import type { Store } from "../store/store.js";
import { computePair, type PairJob, type PairResult } from "./compare.js";
import type { ComparisonSink, MirroredRequest } from "../mirror/mirror.js";
import { ComparisonThread } from "./thread.js";

/** What the judge hears about each comparison: the request, whether it really differed, the candidate's answer. */
export type ParityListener = (req: MirroredRequest, mismatch: boolean, candidate: CapturedResponse) => void;

const PERSIST_EVERY_MS = 5000;

/**
 * Parity turns finished mirrored exchanges into findings: diff (with the pair's framework
 * presets), learned noise, grouping by route template, redacted examples. Findings and the noise
 * model are kept in the store and reloaded at start, so they survive restarts. Parsing and diffing
 * (computePair) run on a worker thread when `diff.worker` is on; the state stays here.
 */
export class Parity implements ComparisonSink {
  readonly findings: FindingsAggregator;
  readonly noise: NoiseModel;
  readonly presets: string[];
  readonly listeners: ParityListener[] = [];
  compared = 0;
  private readonly diffOptions: DiffOptions;
  private dirty = false;
  private readonly timer: NodeJS.Timeout;
  private readonly thread: ComparisonThread | undefined;
  private resolver: EndpointResolver;

  constructor(
    private readonly config: Config,
    private readonly store: Store,
    private readonly metrics: Metrics,
    private readonly log?: Logger,
  ) {
    const d = config.diff;
    this.resolver = endpointResolverFor(config.routes, []);
    this.presets =
      d.presets === "auto"
        ? presetsFor(config.upstreams.legacy.framework, config.upstreams.candidate.framework)
        : d.presets === "none"
          ? []
          : [...d.presets];
    this.diffOptions = {
      ignoreHeaders: d.ignore.headers,
      ignorePaths: d.ignore.paths,
      presets: this.presets,
      redactHeaders: d.redact.headers,
      redactPaths: d.redact.paths,
    };
    const opts = {
      examples: d.examples,
      redactHeaders: d.redact.headers,
      redactPaths: d.redact.paths,
      ignoreHeaders: d.ignore.headers,
      ignorePaths: d.ignore.paths,
    };
    const rows = store.getDoc("findings") as FindingsRows | undefined;
    this.findings = rows ? FindingsAggregator.fromRows(rows, opts) : new FindingsAggregator(opts);
    const noise = store.getDoc("noise") as NoiseSnapshot | undefined;
    this.noise = noise ? NoiseModel.fromJSON(noise) : new NoiseModel();
    this.findings.prune(Date.now() - d.retention);
    this.timer = setInterval(() => this.persist(), PERSIST_EVERY_MS).unref();
    // The thread costs ~15 MiB: only made when something can be mirrored (a route's `mirror:` or a
    // rollout's shadow stage).
    const mirrors = config.routes.some((r) => r.mirror) || config.rollout !== undefined;
    if (d.worker && log && mirrors)
      this.thread = new ComparisonThread(this.diffOptions, log, Math.max(1024, d.max_concurrency * 16));
  }

  /** Resolves when the comparison thread (if any) is loaded; at most `ms` later. */
  async ready(ms = 10_000): Promise<void> {
    if (!this.thread) return;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([this.thread.ready, new Promise((r) => (t = setTimeout(r, ms)))]);
    clearTimeout(t);
  }

  get offThread(): boolean {
    return this.thread?.alive === true;
  }

  /** Comparisons handed to the thread and not answered yet. */
  get pending(): number {
    return this.thread?.size ?? 0;
  }

  /**
   * The endpoint (method + template) a request belongs to: from the route inventory and the
   * config's routes, or a shape that keeps no user data. Findings, rates and noise are keyed by it.
   */
  endpointFor(method: string, path: string): string {
    return this.resolver.resolve(method, path);
  }

  /** Adds endpoint templates read from `endpoints:` sources (the gateway loads them at start). */
  useEndpoints(templates: readonly EndpointTemplate[]): void {
    this.resolver = endpointResolverFor(this.config.routes, templates);
  }

  compare(
    req: MirroredRequest,
    legacy: CapturedResponse,
    candidate: CapturedResponse,
    secondary: CapturedResponse | undefined,
  ): void {
    const job: PairJob = { request: { method: req.method, headers: req.headers }, legacy, candidate, secondary };
    const w = this.thread;
    if (w?.alive) {
      const queued = w.run(job, (err, result) => (result ? this.apply(req, job, result) : this.failed(req, err)));
      if (!queued) this.metrics.mirrorSkipped.labels(req.route.name, "busy").inc();
      return;
    }
    let result: PairResult;
    try {
      result = computePair(job, this.diffOptions);
    } catch (err) {
      this.failed(req, err as Error);
      return;
    }
    this.apply(req, job, result);
  }

  /** A comparison that threw is counted as skipped (`error`), so parity rates are not biased. */
  private failed(req: MirroredRequest, err: Error | undefined): void {
    this.metrics.mirrorSkipped.labels(req.route.name, "error").inc();
    this.log?.warn({ id: req.id, route: req.route.name, err: err?.message }, "comparison failed");
  }

  /** apply folds one computed comparison into the noise model, the findings and the metrics. */
  private apply(req: MirroredRequest, job: PairJob, r: PairResult): void {
    const { legacy, candidate, secondary } = job;
    const template = this.endpointFor(req.method, req.path);
    const diffs = r.diffs;
    // The request target lets the model tell "same request, different value" (generated) apart.
    const target = `${req.method} ${req.path}${req.query}`;
    if (r.legacyLeaves) this.noise.observePrepared(template, r.legacyLeaves, target);
    if (secondary) {
      if (r.secondaryLeaves) this.noise.observePrepared(template, r.secondaryLeaves, target);
      this.noise.observeSecondary(template, r.secondaryDiffs ?? [], diffs);
    }
    const name = req.route.name;
    this.findings.countMirrored(name, template);
    const seen = { real: false };
    if (diffs.length) {
      const exchange = {
        id: req.id,
        at: req.at,
        method: req.method,
        path: req.path + req.query,
        routeName: name,
        template,
        requestHeaders: req.headers,
        legacy,
        candidate,
      };
      this.findings.add(exchange, diffs, (d: Difference) => {
        const e = this.noise.explain(template, d);
        // An accepted difference is intended: it no longer counts against the judge's parity either.
        if (e.class === "real" && !this.findings.get(findingId(name, template, d.kind, d.groupPath))?.accepted)
          seen.real = true;
        return e;
      });
      for (const d of diffs) this.metrics.mirrorDiffs.labels(name, d.kind).inc();
    }
    this.metrics.mirrorTotal
      .labels(
        name,
        candidate.error ? "candidate_error" : diffs.length ? (seen.real ? "different" : "noise_only") : "same",
      )
      .inc();
    this.compared++;
    this.dirty = true;
    for (const fn of this.listeners) fn(req, seen.real, candidate);
  }

  describePresets(): { name: string; rules: string[] }[] {
    return describePresets(this.presets);
  }

  /** persist writes findings and noise when they changed (or always with `force`, e.g. after an accept). */
  persist(force = false): void {
    if (!this.dirty && !force) return;
    this.dirty = false;
    this.store.putDoc("findings", this.findings.toRows());
    this.store.putDoc("noise", this.noise.toJSON());
  }

  /** close lets pending comparisons finish (up to 2 s), then persists. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.thread?.close();
    this.dirty = true;
    this.persist();
  }
}
