import { parseJson } from "../json/parse.js";
import { parseBody } from "../diff/parse-body.js";
import { parseSse } from "../diff/sse.js";
import type { CapturedResponse, Difference } from "../diff/types.js";
import { VOLATILE_HEADERS } from "../diff/headers.js";
import type { NoiseClass, NoiseExplanation } from "./class.js";

export type { NoiseClass, NoiseExplanation } from "./class.js";
import {
  collectLeaves,
  DEFAULT_GENERATED,
  generatedVerdict,
  observeSummaries,
  summarizeLeaves,
  type GeneratedLimits,
  type Leaf,
  type LeafSummary,
  type PathStats,
  type RouteStats,
} from "./generated.js";
import {
  DEFAULT_SECONDARY,
  observeSecondaryPair,
  secondaryVerdict,
  type SecondaryCounts,
  type SecondaryRoute,
  type SecondaryThresholds,
} from "./secondary.js";

export interface NoiseOptions {
  secondary: SecondaryThresholds;
  generated: GeneratedLimits;
  /** Route templates tracked; later templates are not learned (their differences stay "real"). Default 500. */
  maxTemplates: number;
}

/** The persisted form (toJSON/fromJSON). Versioned so a newer layout can be refused or migrated. */
export interface NoiseSnapshot {
  version: 1;
  options: NoiseOptions;
  secondary: Record<string, { samples: number; keys: [string, number, number][] }>;
  generated: Record<string, [string, PathStats][]>;
}

// Kinds a generated value can produce: the value changed, nothing structural.
const VALUE_KINDS: ReadonlySet<Difference["kind"]> = new Set(["value_changed", "header_changed"]);
const VOLATILE = new Set(VOLATILE_HEADERS);

// Events learned per answer: enough to see every field of a typical stream, bounded for long ones.
const MAX_SSE_EVENTS = 64;

/** The JSON data of an event stream's events (those whose data parses as JSON). */
function sseData(text: string): unknown[] {
  const out: unknown[] = [];
  for (const e of parseSse(text)) {
    if (out.length >= MAX_SSE_EVENTS) break;
    const r = parseJson(e.data);
    if (r.ok && r.value !== null && typeof r.value === "object") out.push(r.value);
  }
  return out;
}

/**
 * Learned noise, per route template. Feed it legacy's answers (observeLegacy) and, when a
 * legacy-secondary exists, each request's two difference lists (observeSecondary); then ask
 * classify() about each candidate difference. Pure, in memory, bounded; persist with toJSON().
 */
export class NoiseModel {
  readonly options: NoiseOptions;
  private readonly secondary = new Map<string, SecondaryRoute>();
  private readonly generated = new Map<string, RouteStats>();

  constructor(options: Partial<NoiseOptions> = {}) {
    this.options = {
      secondary: { ...DEFAULT_SECONDARY, ...options.secondary },
      generated: { ...DEFAULT_GENERATED, ...options.generated },
      maxTemplates: options.maxTemplates ?? 500,
    };
  }

  /**
   * Learns from one legacy answer: `body` is the parsed JSON (parseBody(resp).value), `target`
   * the request's method + path + query (enables "same request, different value"), `headers`
   * legacy's response headers.
   */
  observeLegacy(
    template: string,
    body: unknown,
    extra: { target?: string; headers?: Record<string, string | string[]> } = {},
  ): void {
    this.observePrepared(template, NoiseModel.prepare(body, extra.headers), extra.target);
  }

  /** observeLegacy for a captured response: parses the body (JSON only) and takes its headers. */
  observeLegacyResponse(template: string, resp: CapturedResponse, target?: string): void {
    const prepared = NoiseModel.prepareResponse(resp);
    if (prepared) this.observePrepared(template, prepared, target);
  }

  /**
   * The pure half of observeLegacy: parse and walk a legacy answer into plain data. Runs where
   * the comparison runs (a worker thread); observePrepared applies the result to the model.
   */
  static prepareResponse(resp: CapturedResponse): LeafSummary[] | undefined {
    if (resp.error !== undefined) return undefined;
    const parsed = parseBody(resp);
    if (parsed.kind === "sse") return NoiseModel.prepare(undefined, resp.headers, sseData(parsed.text));
    return NoiseModel.prepare(parsed.kind === "json" ? parsed.value : undefined, resp.headers);
  }

  /** `events`: the parsed JSON data of SSE events, learned at "sse[*].data…" like a body. */
  static prepare(
    body: unknown,
    headers: Record<string, string | string[]> = {},
    events: readonly unknown[] = [],
  ): LeafSummary[] {
    const leaves = body === undefined ? new Map<string, Leaf[]>() : collectLeaves(body);
    for (const e of events) collectLeaves(e, leaves, true);
    for (const [name, v] of Object.entries(headers)) {
      const n = name.toLowerCase();
      if (!VOLATILE.has(n)) leaves.set(`header:${n}`, [Array.isArray(v) ? v.join(", ") : v]);
    }
    return summarizeLeaves(leaves);
  }

  /** Applies a prepared legacy answer (see prepareResponse). */
  observePrepared(template: string, prepared: readonly LeafSummary[], target?: string): void {
    const route = this.routeStats(template);
    if (route) observeSummaries(route, prepared, this.options.generated, target);
  }

  /** Records one mirrored request answered by both legacy-secondary and the candidate. */
  observeSecondary(
    template: string,
    legacyVsSecondary: readonly Difference[],
    legacyVsCandidate: readonly Difference[],
  ): void {
    let route = this.secondary.get(template);
    if (!route) {
      if (this.secondary.size >= this.options.maxTemplates) return;
      route = { samples: 0, keys: new Map() };
      this.secondary.set(template, route);
    }
    observeSecondaryPair(route, legacyVsSecondary, legacyVsCandidate);
  }

  classify(template: string, d: Difference): NoiseClass {
    return this.explain(template, d).class;
  }

  /** classify() with the reason, for the report. */
  explain(template: string, d: Difference): NoiseExplanation {
    // A format_changed is never a generated value: only legacy changing format by itself
    // (legacy-secondary shows the same format_changed as often) can make it noise.
    const fmt = d.kind === "format_changed" ? (d.detail ?? "format changed") : undefined;
    const sv = secondaryVerdict(this.secondary.get(template), d, this.options.secondary);
    const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
    if (sv.verdict !== "unknown") {
      const rates = `candidate ${pct(sv.candidateRate)} vs legacy-secondary ${pct(sv.secondaryRate)} over ${sv.samples} requests`;
      if (sv.verdict === "real") return { class: "real", reason: fmt === undefined ? rates : `${fmt} (${rates})` };
      if (sv.samples < this.options.secondary.minSamples) {
        const k = Math.round(sv.secondaryRate * sv.samples);
        return {
          class: "noise_secondary",
          reason: `legacy differed from legacy-secondary on ${k} of the first ${sv.samples} requests: no candidate rate can be clearly more`,
        };
      }
      return { class: "noise_secondary", reason: `legacy differs from itself about as often: ${rates}` };
    }
    if (VALUE_KINDS.has(d.kind)) {
      const gv = generatedVerdict(this.generated.get(template)?.get(d.groupPath), this.options.generated);
      if (gv.generated) return { class: "noise_generated", reason: `legacy's ${d.groupPath} is ${gv.reason}` };
      if (gv.undecided && fmt === undefined)
        return { class: "real", reason: `legacy's ${d.groupPath}: ${gv.reason}`, undecided: true };
    }
    return { class: "real", reason: fmt ?? "no evidence of noise" };
  }

  /** Route templates learned (generated-value statistics), at most options.maxTemplates. */
  get templates(): number {
    return Math.max(this.generated.size, this.secondary.size);
  }

  private routeStats(template: string): RouteStats | undefined {
    let r = this.generated.get(template);
    if (!r) {
      if (this.generated.size >= this.options.maxTemplates) return undefined;
      r = new Map();
      this.generated.set(template, r);
    }
    return r;
  }

  toJSON(): NoiseSnapshot {
    const secondary: NoiseSnapshot["secondary"] = {};
    for (const [t, r] of this.secondary) {
      secondary[t] = { samples: r.samples, keys: [...r.keys].map(([k, c]) => [k, c.secondary, c.candidate]) };
    }
    const generated: NoiseSnapshot["generated"] = {};
    for (const [t, r] of this.generated) generated[t] = [...r];
    return { version: 1, options: this.options, secondary, generated };
  }

  static fromJSON(s: NoiseSnapshot): NoiseModel {
    if ((s as { version: unknown }).version !== 1)
      throw new Error(`unsupported noise model version ${String(s.version)}`);
    const m = new NoiseModel(s.options);
    for (const [t, r] of Object.entries(s.secondary)) {
      const keys = new Map<string, SecondaryCounts>(
        r.keys.map(([k, sec, cand]) => [k, { secondary: sec, candidate: cand }]),
      );
      m.secondary.set(t, { samples: r.samples, keys });
    }
    for (const [t, paths] of Object.entries(s.generated)) m.generated.set(t, new Map(paths));
    return m;
  }
}
