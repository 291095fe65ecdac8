/**
 * FindingsAggregator: records each mirrored exchange's differences into findings under its caps,
 * tracks changes for the store and the live stream, accepts, lists, summarizes per route, prunes,
 * and converts to and from stored rows. Keys and per-route state are in grouping.ts, examples in
 * example.ts, its options and cap counters in types.ts.
 */
import { compilePathPatterns, type PathPattern } from "../json/path.js";
import type { Difference } from "../diff/types.js";
import { CutoverError } from "../errors/index.js";
import type { NoiseClass } from "../noise/model.js";
import { buildExample, exampleSlot } from "./example.js";
import { isIgnored, maskDifference } from "./filters.js";
import {
  findingId,
  fromRouteRow,
  newRouteState,
  OVERFLOW_TEMPLATE,
  recordSignature,
  routeKey,
  summarizeRoute,
  toRouteRow,
  type RouteState,
} from "./grouping.js";
import type {
  AggregatorOptions,
  CapCounts,
  Example,
  Exchange,
  Finding,
  FindingsRows,
  FindingView,
  NoiseInput,
  RouteRow,
  RouteSummary,
} from "./types.js";
import { wilson } from "./wilson.js";

const DEFAULTS: AggregatorOptions = {
  examples: 5,
  redactHeaders: [],
  redactPaths: [],
  ignoreHeaders: [],
  ignorePaths: [],
  previewChars: 8192,
  maxFindings: 2000,
  maxTemplates: 1000,
  maxExamples: 1000,
  maxDifferences: 200,
};

/**
 * Findings in memory: differences grouped by (route, template, kind, group path), with counts,
 * first/last seen, noise class, examples and rates over the route's mirrored requests. Pure;
 * the store persists toRows() and restores with fromRows().
 */
export class FindingsAggregator {
  readonly options: AggregatorOptions;
  private readonly findings = new Map<string, Finding>();
  private readonly routeStates = new Map<string, RouteState>();
  private readonly redactPatterns: readonly PathPattern[];
  private readonly ignorePatterns: readonly PathPattern[];
  private readonly ignoreHeaderSet: ReadonlySet<string>;
  /** Finding ids per route state key, so one route's summary never walks every finding. */
  private readonly byRoute = new Map<string, Set<string>>();
  /** Sets of changed keys ("f:<id>", "r:<route key>", "d:<id>" deleted), one per consumer (store, live stream). */
  private readonly trackers: Set<string>[] = [];
  private exampleCount = 0;
  readonly capped: CapCounts = { templatesFolded: 0, findingsUnrecorded: 0, examplesDropped: 0, differencesDropped: 0 };

  constructor(options: Partial<AggregatorOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
    this.redactPatterns = compilePathPatterns(this.options.redactPaths);
    this.ignorePatterns = compilePathPatterns(this.options.ignorePaths);
    this.ignoreHeaderSet = new Set(this.options.ignoreHeaders.map((h) => h.toLowerCase()));
  }

  /** Counts mirrored requests of a route, the denominator of every rate. Call once per compared pair. */
  countMirrored(routeName: string, template: string, n = 1): void {
    this.route(routeName, template).mirrored += n;
    this.touch(`r:${routeKey(routeName, template)}`);
  }

  /** The template to group under: `template`, or OVERFLOW_TEMPLATE once the route states are full. */
  resolveTemplate(routeName: string, template: string): string {
    if (this.routeStates.has(routeKey(routeName, template)) || this.routeStates.size < this.options.maxTemplates)
      return template;
    this.capped.templatesFolded++;
    return OVERFLOW_TEMPLATE;
  }

  /** A new change tracker: the keys changed from now on ("f:id", "r:route\ntemplate", "d:id"). */
  track(): Set<string> {
    const t = new Set<string>();
    this.trackers.push(t);
    return t;
  }

  private touch(key: string): void {
    for (const t of this.trackers) t.add(key);
  }

  /** Sizes of the bounded state, for metrics and status. */
  sizes(): { findings: number; templates: number; examples: number } {
    return { findings: this.findings.size, templates: this.routeStates.size, examples: this.exampleCount };
  }

  /**
   * Records one exchange's differences. Returns the ids of the findings it touched. Call
   * countMirrored for the exchange too (also when there are no differences).
   */
  add(exchange: Exchange, all: readonly Difference[], noise: NoiseInput): string[] {
    let differences = all;
    const route = this.route(exchange.routeName, exchange.template);
    this.touch(`r:${routeKey(exchange.routeName, exchange.template)}`);
    const kept: { d: Difference; cls: NoiseClass; reason?: string }[] = [];
    if (differences.length > this.options.maxDifferences) {
      this.capped.differencesDropped += differences.length - this.options.maxDifferences;
      differences = differences.slice(0, this.options.maxDifferences);
    }
    differences.forEach((d, i) => {
      if (isIgnored(d.groupPath, this.ignorePatterns, this.ignoreHeaderSet)) {
        route.ignoredDifferences++;
        return;
      }
      const n = typeof noise === "string" ? noise : typeof noise === "function" ? noise(d) : (noise[i] ?? "real");
      const safe = maskDifference(d, this.redactPatterns, this.options.redactHeaders);
      kept.push(typeof n === "string" ? { d: safe, cls: n } : { d: safe, cls: n.class, reason: n.reason });
    });
    if (kept.length === 0) return [];
    let example: Example | undefined;
    let unrecorded = false;
    const touched = new Set<string>();
    for (const { d, cls, reason } of kept) {
      const id = findingId(exchange.routeName, exchange.template, d.kind, d.groupPath);
      let f = this.findings.get(id);
      if (!f) {
        if (this.findings.size >= this.options.maxFindings) {
          unrecorded = true;
          this.capped.findingsUnrecorded++;
          continue;
        }
        f = {
          id,
          routeName: exchange.routeName,
          template: exchange.template,
          kind: d.kind,
          groupPath: d.groupPath,
          count: 0,
          firstSeen: exchange.at,
          lastSeen: exchange.at,
          noise: cls,
          noiseCounts: { real: 0, noise_secondary: 0, noise_generated: 0 },
          sample: d,
          examples: [],
        };
        this.findings.set(id, f);
        this.index(f);
      }
      if (touched.has(id)) continue; // several list items of one request count once
      touched.add(id);
      this.touch(`f:${id}`);
      f.count++;
      f.firstSeen = Math.min(f.firstSeen, exchange.at);
      f.lastSeen = Math.max(f.lastSeen, exchange.at);
      f.noise = cls;
      if (reason !== undefined) f.noiseReason = reason;
      else delete f.noiseReason;
      f.noiseCounts[cls]++;
      f.sample = d;
      const slot = exampleSlot(f.examples, exchange.at, this.options, this.exampleCount);
      if (slot === "dropped") this.capped.examplesDropped++;
      else if (slot !== "none") {
        example ??= buildExample(
          exchange,
          kept.map((k) => k.d),
          { ...this.options, redactPaths: this.redactPatterns },
        );
        if (slot === "append") {
          f.examples.push(example);
          this.exampleCount++;
        } else f.examples[this.options.examples - 1] = example;
      }
    }
    // Without a finding to accept it later, such a request always counts as differing.
    if (unrecorded) route.overflow++;
    else recordSignature(route, touched);
    return [...touched];
  }

  private index(f: Finding): void {
    const key = routeKey(f.routeName, f.template);
    let ids = this.byRoute.get(key);
    if (!ids) this.byRoute.set(key, (ids = new Set()));
    ids.add(f.id);
  }

  private route(routeName: string, template: string): RouteState {
    const key = routeKey(routeName, template);
    let r = this.routeStates.get(key);
    if (!r) {
      r = newRouteState(routeName, template);
      this.routeStates.set(key, r);
    }
    return r;
  }

  /** Marks a finding as accepted: kept and still counted, but no longer part of the parity rate. */
  accept(id: string, reason: string, by: string, at = Date.now()): Finding {
    const f = this.findings.get(id);
    if (!f) throw new CutoverError("CUTOVER_ERR_FINDING_NOT_FOUND", id);
    f.accepted = { reason, by, at };
    this.touch(`f:${id}`);
    this.touch(`r:${routeKey(f.routeName, f.template)}`);
    return f;
  }

  /** Withdraws an acceptance. */
  unaccept(id: string): Finding {
    const f = this.findings.get(id);
    if (!f) throw new CutoverError("CUTOVER_ERR_FINDING_NOT_FOUND", id);
    delete f.accepted;
    this.touch(`f:${id}`);
    this.touch(`r:${routeKey(f.routeName, f.template)}`);
    return f;
  }

  get(id: string): FindingView | undefined {
    const f = this.findings.get(id);
    return f && this.view(f);
  }

  private view(f: Finding): FindingView {
    const route = this.routeStates.get(routeKey(f.routeName, f.template));
    const mirrored = Math.max(route?.mirrored ?? 0, f.count);
    return {
      ...f,
      rate: wilson(f.count, mirrored),
      ignored: this.ignored(f),
    };
  }

  /** Findings, most frequent first. By default: real, unaccepted and not ignored ones only. */
  list(
    filter: { route?: string; includeNoise?: boolean; includeAccepted?: boolean; includeIgnored?: boolean } = {},
  ): FindingView[] {
    const out: FindingView[] = [];
    for (const f of this.findings.values()) {
      if (filter.route !== undefined && f.routeName !== filter.route && f.template !== filter.route) continue;
      const v = this.view(f);
      if (!filter.includeNoise && v.noise !== "real") continue;
      if (!filter.includeAccepted && v.accepted) continue;
      if (!filter.includeIgnored && v.ignored) continue;
      out.push(v);
    }
    return out.sort((a, b) => b.count - a.count || a.id.localeCompare(b.id));
  }

  /** Per route: mirrored requests and the share with at least one real, unaccepted difference. */
  routes(): RouteSummary[] {
    const out: RouteSummary[] = [];
    for (const key of this.routeStates.keys()) {
      const r = this.routeSummary(key);
      if (r) out.push(r);
    }
    return out.sort((a, b) => a.routeName.localeCompare(b.routeName) || a.template.localeCompare(b.template));
  }

  /** Summaries of the route states a tracker saw change since the last call (then clears it): O(changes). */
  changedRoutes(changes: Set<string>): RouteSummary[] {
    const out: RouteSummary[] = [];
    for (const key of changes) {
      if (!key.startsWith("r:")) continue;
      const r = this.routeSummary(key.slice(2));
      if (r) out.push(r);
    }
    changes.clear();
    return out;
  }

  /** One route state's summary, from its own findings and signatures only (O(its size), not O(all findings)). */
  routeSummary(key: string): RouteSummary | undefined {
    const r = this.routeStates.get(key);
    return r && summarizeRoute(r, this.findingsOf(key), (f) => this.ignored(f));
  }

  private *findingsOf(key: string): Generator<Finding> {
    for (const id of this.byRoute.get(key) ?? []) {
      const f = this.findings.get(id);
      if (f) yield f;
    }
  }

  private ignored(f: Finding): boolean {
    return isIgnored(f.groupPath, this.ignorePatterns, this.ignoreHeaderSet);
  }

  /** Drops findings last seen before `cutoff` (config diff.retention). Returns how many. */
  prune(cutoff: number): number {
    let n = 0;
    for (const [id, f] of this.findings) {
      if (f.lastSeen < cutoff) {
        this.findings.delete(id);
        this.byRoute.get(routeKey(f.routeName, f.template))?.delete(id);
        this.exampleCount -= f.examples.length;
        this.touch(`d:${id}`);
        this.touch(`r:${routeKey(f.routeName, f.template)}`);
        n++;
      }
    }
    return n;
  }

  /** A finding as its stored row (examples included), or undefined once pruned. */
  findingRow(id: string): Finding | undefined {
    return this.findings.get(id);
  }

  /** A route state as its stored row. */
  routeRow(key: string): RouteRow | undefined {
    const r = this.routeStates.get(key);
    return r && toRouteRow(r);
  }

  toRows(): FindingsRows {
    const routes = [...this.routeStates.values()].map(toRouteRow);
    const findings: FindingsRows["findings"] = [];
    const examples: FindingsRows["examples"] = [];
    for (const { examples: ex, ...f } of this.findings.values()) {
      findings.push(f);
      ex.forEach((example, slot) => examples.push({ findingId: f.id, slot, example }));
    }
    return { version: 1, routes, findings, examples };
  }

  static fromRows(rows: FindingsRows, options: Partial<AggregatorOptions> = {}): FindingsAggregator {
    if ((rows as { version: unknown }).version !== 1)
      throw new Error(`unsupported findings version ${String(rows.version)}`);
    const a = new FindingsAggregator(options);
    for (const r of rows.routes) a.routeStates.set(routeKey(r.routeName, r.template), fromRouteRow(r));
    for (const f of rows.findings) {
      const finding = { ...f, examples: [] };
      a.findings.set(f.id, finding);
      a.index(finding);
    }
    for (const e of [...rows.examples].sort((x, y) => x.slot - y.slot)) {
      const f = a.findings.get(e.findingId);
      if (!f) continue;
      f.examples.push(e.example);
      a.exampleCount++;
    }
    return a;
  }
}
