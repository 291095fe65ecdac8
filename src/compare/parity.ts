import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { Config } from "../config/schema.js";
import { describePresets, presetsFor, type DiffOptions } from "../diff/index.js";
import type { CapturedResponse, Difference } from "../diff/types.js";
import { FindingsAggregator, findingId, type CapCounts } from "../findings/index.js";
import type { Finding, FindingsRows, RouteRow } from "../findings/types.js";
import type { Metrics } from "../metrics/registry.js";
import { NoiseModel, type NoiseSnapshot } from "../noise/index.js";
import { endpointResolverFor } from "../inventory/endpoints.js";
import type { EndpointResolver, EndpointTemplate } from "../inventory/resolve.js";
import { maskCards } from "../redact/cards.js";
import type { Store, StoredRow } from "../store/store.js";
import { computePair, type PairJob, type PairResult } from "./compare.js";
import type { ComparisonSink, MirroredRequest } from "../mirror/mirror.js";
import { ComparisonThread } from "./thread.js";

/** One bounded piece of state as status shows it (admin's StateStatus). */
export interface StateCount {
  kind: string;
  entries: number | null;
  limit: number;
  capped: number;
}

/**
 * How one comparison came out for the judge: "same" (no real difference), "differs" (a real,
 * unaccepted difference), or "undecided" (its only real-looking differences are values legacy
 * has answered too few times to tell a generated value from a change: left out of parity).
 */
export type ParityOutcome = "same" | "differs" | "undecided";

/** What the judge hears about each comparison: the request, its outcome, the candidate's answer, the endpoint key. */
export type ParityListener = (
  req: MirroredRequest,
  outcome: ParityOutcome,
  candidate: CapturedResponse,
  endpoint: string,
) => void;

const PERSIST_EVERY_MS = 5000;
// The noise model is one bounded document (maxTemplates × maxPathsPerRoute): written every 12th tick.
const NOISE_EVERY = 12;
const FINDINGS = "finding";
const ROUTES = "finding_route";

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
  /** More bounded state shown (and measured) with the findings' (correlated values, the recording). */
  readonly stateSources: (() => StateCount[])[] = [];
  private readonly reportedExtra = new Map<string, number>();
  compared = 0;
  private readonly diffOptions: DiffOptions;
  /** Findings were loaded from an older store's single document: rewrite as rows, then drop it. */
  private migrate = false;
  private ticks = 0;
  private readonly changes: Set<string>;
  private readonly reported: CapCounts = {
    templatesFolded: 0,
    findingsUnrecorded: 0,
    examplesDropped: 0,
    differencesDropped: 0,
  };
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
      maxFindings: d.limits.findings,
      maxTemplates: d.limits.templates,
      maxExamples: d.limits.examples,
      maxDifferences: d.limits.differences,
    };
    const { rows, legacyDoc } = loadFindings(store);
    this.findings = rows ? FindingsAggregator.fromRows(rows, opts) : new FindingsAggregator(opts);
    this.changes = this.findings.track();
    if (legacyDoc && rows) {
      // Stored by an older cutover as one document: rewrite it once as rows.
      for (const f of rows.findings) this.changes.add(`f:${f.id}`);
      for (const r of rows.routes) this.changes.add(`r:${r.routeName}\n${r.template}`);
      this.migrate = true;
    }
    const noise = store.getDoc("noise") as NoiseSnapshot | undefined;
    this.noise = noise ? NoiseModel.fromJSON(noise) : new NoiseModel();
    this.noise.options.maxTemplates = d.limits.noise_templates;
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

  /** The endpoint key findings are stored under (a card number in a literal segment masked): coverage uses the same. */
  endpointKey(method: string, path: string): string {
    return maskCards(this.endpointFor(method, path)).text;
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
    // The endpoint key holds no user data by construction; a card number in a literal path segment is masked anyway.
    const template = this.findings.resolveTemplate(req.route.name, this.endpointKey(req.method, req.path));
    // A correlated id (`writes: isolated`) shown as each side's own is not a difference.
    const mapped = req.correlation?.paths;
    const own = (d: Difference): boolean => !(d.kind === "value_changed" && mapped?.has(d.path));
    const diffs = mapped?.size ? r.diffs.filter(own) : r.diffs;
    // The request target lets the model tell "same request, different value" (generated) apart.
    // Only equality matters, so the model keeps a digest: a raw target can hold ?api_key=…
    const target = createHash("sha256")
      .update(`${req.method} ${req.path}${req.query}`)
      .digest("base64url")
      .slice(0, 16);
    if (r.legacyLeaves) this.noise.observePrepared(template, r.legacyLeaves, target);
    if (secondary) {
      if (r.secondaryLeaves) this.noise.observePrepared(template, r.secondaryLeaves, target);
      this.noise.observeSecondary(template, (r.secondaryDiffs ?? []).filter(own), diffs);
    }
    const name = req.route.name;
    this.findings.countMirrored(name, template);
    const seen = { real: false, undecided: false };
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
        ...(req.correlation?.mapped.length ? { mapped: req.correlation.mapped } : {}),
      };
      this.findings.add(exchange, diffs, (d: Difference) => {
        const e = this.noise.explain(template, d);
        // An accepted difference is intended: it no longer counts against the judge's parity either.
        if (e.class === "real" && !this.findings.get(findingId(name, template, d.kind, d.groupPath))?.accepted) {
          if (e.undecided) seen.undecided = true;
          else seen.real = true;
        }
        return e;
      });
      for (const d of diffs) this.metrics.mirrorDiffs.labels(name, d.kind).inc();
    }
    this.metrics.mirrorTotal
      .labels(
        name,
        candidate.error
          ? "candidate_error"
          : diffs.length
            ? seen.real
              ? "different"
              : seen.undecided
                ? "undecided"
                : "noise_only"
            : "same",
      )
      .inc();
    this.compared++;
    const outcome: ParityOutcome = seen.real ? "differs" : seen.undecided ? "undecided" : "same";
    for (const fn of this.listeners) fn(req, outcome, candidate, template);
  }

  describePresets(): { name: string; rules: string[] }[] {
    return describePresets(this.presets);
  }

  /**
   * persist writes what changed since the last call: the findings and route states touched (as
   * rows), findings pruned (deleted), and every NOISE_EVERY calls (or with `force`, e.g. after an
   * accept) the noise model. Also refreshes the state metrics.
   */
  persist(force = false): void {
    this.observeState();
    if (!this.migrate && !force && this.changes.size === 0) return;
    const noise = force || ++this.ticks % NOISE_EVERY === 0;
    const findings: StoredRow[] = [];
    const routes: StoredRow[] = [];
    const deleted: string[] = [];
    for (const key of this.changes) {
      const id = key.slice(2);
      if (key.startsWith("f:")) {
        const f = this.findings.findingRow(id);
        if (f) findings.push({ key: id, value: f });
      } else if (key.startsWith("r:")) {
        const r = this.findings.routeRow(id);
        if (r) routes.push({ key: id, value: r });
      } else deleted.push(id);
    }
    this.changes.clear();
    this.store.putRows(FINDINGS, findings, deleted);
    this.store.putRows(ROUTES, routes);
    if (this.migrate) this.store.deleteDoc("findings");
    this.migrate = false;
    if (noise) this.store.putDoc("noise", this.noise.toJSON());
  }

  /** The bounded state for status: entries, cap and what the cap turned away, per kind. */
  stateView(): StateCount[] {
    const o = this.findings.options;
    const sizes = this.findings.sizes();
    const c = this.findings.capped;
    return [
      { kind: "findings", entries: sizes.findings, limit: o.maxFindings, capped: c.findingsUnrecorded },
      { kind: "templates", entries: sizes.templates, limit: o.maxTemplates, capped: c.templatesFolded },
      { kind: "examples", entries: sizes.examples, limit: o.maxExamples, capped: c.examplesDropped },
      {
        kind: "noise_templates",
        entries: this.noise.templates,
        limit: this.noise.options.maxTemplates,
        capped: 0,
      },
      { kind: "differences", entries: null, limit: o.maxDifferences, capped: c.differencesDropped },
      ...this.stateSources.flatMap((f) => f()),
    ];
  }

  /** Sizes and caps of the bounded state as metrics (cutover_state_*). */
  private observeState(): void {
    const m = this.metrics;
    const o = this.findings.options;
    const sizes = this.findings.sizes();
    const set = (kind: string, n: number, limit: number): void => {
      m.stateEntries.labels(kind).set(n);
      m.stateLimit.labels(kind).set(limit);
    };
    set("findings", sizes.findings, o.maxFindings);
    set("templates", sizes.templates, o.maxTemplates);
    set("examples", sizes.examples, o.maxExamples);
    set("noise_templates", this.noise.templates, this.noise.options.maxTemplates);
    const c = this.findings.capped;
    for (const [k, kind] of Object.entries(CAP_KINDS) as [keyof CapCounts, string][]) {
      if (c[k] > this.reported[k]) m.stateCapped.labels(kind).inc(c[k] - this.reported[k]);
      this.reported[k] = c[k];
    }
    for (const s of this.stateSources.flatMap((f) => f())) {
      set(s.kind, s.entries ?? 0, s.limit);
      const before = this.reportedExtra.get(s.kind) ?? 0;
      if (s.capped > before) m.stateCapped.labels(s.kind).inc(s.capped - before);
      this.reportedExtra.set(s.kind, Math.max(before, s.capped));
    }
  }

  /** close lets pending comparisons finish (up to 2 s), then persists what changed. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.thread?.close();
    this.persist(this.compared > 0);
  }
}

const CAP_KINDS: Record<keyof CapCounts, string> = {
  templatesFolded: "templates_folded",
  findingsUnrecorded: "findings_unrecorded",
  examplesDropped: "examples_dropped",
  differencesDropped: "differences_dropped",
};

/** Findings as stored rows, or (an older store) the one document they used to be. */
function loadFindings(store: Store): { rows: FindingsRows | undefined; legacyDoc: boolean } {
  const findings = store.getRows(FINDINGS);
  const routes = store.getRows(ROUTES);
  if (findings.length === 0 && routes.length === 0) {
    const doc = store.getDoc("findings") as FindingsRows | undefined;
    return { rows: doc, legacyDoc: doc !== undefined };
  }
  const rows: FindingsRows = { version: 1, routes: routes.map((r) => r.value as RouteRow), findings: [], examples: [] };
  for (const { value } of findings) {
    const { examples, ...f } = value as Finding;
    rows.findings.push(f);
    examples.forEach((example, slot) => rows.examples.push({ findingId: f.id, slot, example }));
  }
  return { rows, legacyDoc: false };
}
