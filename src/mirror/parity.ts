import type { Config } from "../config/schema.js";
import { describePresets, diffResponses, presetsFor, type DiffOptions } from "../diff/index.js";
import type { CapturedResponse, Difference } from "../diff/types.js";
import { FindingsAggregator, findingId } from "../findings/index.js";
import type { FindingsRows } from "../findings/types.js";
import type { Metrics } from "../metrics/registry.js";
import { NoiseModel, type NoiseSnapshot } from "../noise/index.js";
import { pathShape } from "../route/shape.js";
import type { Route } from "../route/table.js";
import type { Store } from "../store/store.js";
import type { ComparisonSink, MirroredRequest } from "./mirror.js";

/** What the judge hears about each comparison: the request, whether it really differed, the candidate's answer. */
export type ParityListener = (req: MirroredRequest, mismatch: boolean, candidate: CapturedResponse) => void;

const PERSIST_EVERY_MS = 5000;

/**
 * Parity turns finished mirrored exchanges into findings: diff (with the pair's framework
 * presets), learned noise, grouping by route template, redacted examples. Findings and the noise
 * model are kept in the store and reloaded at start, so they survive restarts.
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

  constructor(
    config: Config,
    private readonly store: Store,
    private readonly metrics: Metrics,
  ) {
    const d = config.diff;
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
  }

  /** templateFor groups by the route's template, or by path shape under a wildcard route. */
  static templateFor(route: Route, path: string): string {
    return route.template.wildcard ? pathShape(path) : route.template.source;
  }

  compare(
    req: MirroredRequest,
    legacy: CapturedResponse,
    candidate: CapturedResponse,
    secondary: CapturedResponse | undefined,
  ): void {
    const template = Parity.templateFor(req.route, req.path);
    const request = { method: req.method, headers: req.headers };
    const diffs = diffResponses(legacy, candidate, this.diffOptions, request);
    // The request target lets the model tell "same request, different value" (generated) apart.
    const target = `${req.method} ${req.path}${req.query}`;
    this.noise.observeLegacyResponse(template, legacy, target);
    if (secondary) {
      this.noise.observeLegacyResponse(template, secondary, target);
      this.noise.observeSecondary(template, diffResponses(legacy, secondary, this.diffOptions, request), diffs);
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

  close(): void {
    clearInterval(this.timer);
    this.dirty = true;
    this.persist();
  }
}
