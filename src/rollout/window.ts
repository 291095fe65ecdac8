import { LatencyHistogram, type HistogramSnapshot } from "../stats/histogram.js";
import { UserSample, hashUser, type UserSampleSnapshot } from "../stats/user-sample.js";
import { FoldingMap } from "./folding-map.js";
import { WindowCell, type Channel, type RequestSample, type WindowOptions } from "./window-cell.js";

export { WindowCell, type Channel, type RequestSample, type WindowOptions } from "./window-cell.js";
import type { CoverageCounts, EndpointCoverage } from "./wire.js";

/**
 * The judge's window: what both targets did since the stage began (minus warm-up), kept in
 * memory as a mergeable accumulator. Pure data structure — no clock, no I/O; the recorder calls
 * `record` / `recordParity`, the judge reads it, the lead persists `snapshot()`.
 *
 * Memory is bounded whatever the traffic:
 * - cells: one per (route, channel); at most `maxRoutes` routes (default 256), later ones are
 *   folded into the route "(other)"; channels are legacy, candidate, and their mirrored copies;
 * - per cell: counters, ≤ 500 status codes, a 1,024-bucket latency histogram (8 KiB), at most
 *   `examples` request ids per kind, and a user sample of at most `maxUsers` users (default
 *   1,024) storing {n, errors} plus status and latency of each user's first `firstK` (default 8)
 *   requests — about 60 bytes per user, so ≤ ~70 KiB per cell;
 * - user overflow: when a cell's sample is full it halves its hash threshold and evicts the
 *   users above it (see stats/user-sample.ts), so it stays a uniform random sample of users.
 *   Totals (n, errors, statuses, histogram) always count every request; only the per-user
 *   structure the clustering corrections need is sampled;
 * - parity: per route {n, mismatches, last ids}; coverage: per route cumulative counts, and per
 *   endpoint ("METHOD /template") at most `maxEndpoints` (default 1,024) entries, later ones
 *   counted under "(other endpoints)" (`endpointsFolded` says how many requests); parity per
 *   endpoint the same way, for the stage.
 *
 * `reset()` starts a new stage window but keeps the coverage tallies, which span the whole
 * rollout (route coverage is judged "before the last stage", over every stage). `reset({ from })`
 * also drops stage samples timestamped before `from` (the warm-up), so warm-up exclusion holds
 * even if the recorder records everything; coverage still counts those requests.
 */

export interface ParitySample {
  route: string;
  /** The endpoint ("METHOD /template"): parity is also counted per endpoint. */
  endpoint?: string;
  mismatch: boolean;
  at: number;
  id?: string;
}

export const DEFAULT_WINDOW_OPTIONS: WindowOptions = {
  maxUsers: 1024,
  firstK: 8,
  maxRoutes: 256,
  examples: 5,
  maxEndpoints: 1024,
};
export const OTHER_ROUTE = "(other)";
export const OTHER_ENDPOINT = "(other endpoints)";

export interface ParityCounts {
  n: number;
  mismatches: number;
  ids: string[];
}

export type { CoverageCounts, EndpointCoverage } from "./wire.js";

export interface CellSnapshot {
  route: string;
  channel: Channel;
  n: number;
  errors: number;
  statuses: [number, number][];
  latency: HistogramSnapshot;
  users: UserSampleSnapshot;
  firstAt: number | null;
  lastAt: number | null;
  examples: { errors: string[]; slow: [number, string][]; statuses: [number, string[]][] };
}

/** Plain JSON-able data; `Window.fromSnapshot` restores it exactly. */
export interface WindowSnapshot {
  version: 1;
  options: WindowOptions;
  /** Samples before this time (the warm-up) are not part of the window; null = none dropped. */
  from?: number | null;
  cells: CellSnapshot[];
  parity: ({ route: string } & ParityCounts)[];
  coverage: ({ route: string } & CoverageCounts)[];
  /** Per endpoint (absent in windows stored before endpoints were counted). */
  endpoints?: ({ endpoint: string } & EndpointCoverage)[];
  endpointsFolded?: number;
  /** Parity per endpoint for the stage (absent in older windows). */
  endpointParity?: ({ endpoint: string } & EndpointParity)[];
  /** Mirrored requests the mirror breaker skipped in the stage, per route (absent in older windows). */
  mirrorSkips?: { route: string; n: number }[];
}

/** Comparisons of one endpoint in the stage, and how many really differed. */
export interface EndpointParity {
  route: string;
  n: number;
  mismatches: number;
}

export class Window {
  readonly options: WindowOptions;
  private readonly cellMap = new Map<string, WindowCell>();
  private readonly parityMap = new Map<string, ParityCounts>();
  private readonly coverageMap = new Map<string, CoverageCounts>();
  private readonly endpoints: FoldingMap<EndpointCoverage>;
  private readonly endpointParityMap: FoldingMap<EndpointParity>;
  /** Per route: mirrored requests the mirror breaker skipped in the stage (set, not counted, by the controller). */
  private readonly skipsMap = new Map<string, number>();
  /** Stage samples before this time are ignored (see reset). */
  from = -Infinity;

  constructor(options: Partial<WindowOptions> = {}) {
    this.options = { ...DEFAULT_WINDOW_OPTIONS, ...options };
    const max = this.options.maxEndpoints ?? 1024;
    this.endpoints = new FoldingMap(max, OTHER_ENDPOINT);
    this.endpointParityMap = new FoldingMap(max, OTHER_ENDPOINT);
  }

  /** Requests counted under OTHER_ENDPOINT because `maxEndpoints` endpoints were tracked. */
  get endpointsFolded(): number {
    return this.endpoints.folded;
  }

  /** Record one request served (or mirrored) after warm-up. */
  record(s: RequestSample): void {
    const route = this.routeName(s.route);
    const channel: Channel = s.mirrored ? `${s.target}:mirror` : s.target;
    if (s.at >= this.from) this.cellFor(route, channel).add(s, hashUser(s.user));
    const cov = this.coverageFor(route);
    const ep = s.endpoint === undefined ? undefined : this.endpointFor(route, s.endpoint);
    if (s.target === "legacy") {
      if (!s.mirrored) {
        cov.legacy++;
        if (ep) ep.legacy++;
      }
    } else if (s.mirrored) {
      // A copy the candidate never answered did not reach it: coverage waits for a real answer.
      if (!s.unanswered) {
        cov.mirrored++;
        if (ep) ep.mirrored++;
      }
    } else {
      cov.candidate++;
      if (ep) ep.candidate++;
    }
  }

  /** Record one mirrored comparison (after noise filtering): did the answers differ? */
  recordParity(s: ParitySample): void {
    const route = this.routeName(s.route);
    this.coverageFor(route);
    if (s.at < this.from) return;
    let p = this.parityMap.get(route);
    if (!p) {
      p = { n: 0, mismatches: 0, ids: [] };
      this.parityMap.set(route, p);
    }
    p.n++;
    if (s.endpoint !== undefined) {
      const e = this.endpointParityMap.at(s.endpoint, () => ({ route, n: 0, mismatches: 0 }));
      e.n++;
      if (s.mismatch) e.mismatches++;
    }
    if (s.mismatch) {
      p.mismatches++;
      if (s.id !== undefined) {
        p.ids.push(s.id);
        if (p.ids.length > this.options.examples) p.ids.shift();
      }
    }
  }

  /**
   * Start a new stage window; samples before `from` (the end of the warm-up, carried by the
   * `reset_window` effect) are ignored. Coverage tallies survive unless `coverage: true`.
   */
  reset(opts: { coverage?: boolean; from?: number } = {}): void {
    this.cellMap.clear();
    this.parityMap.clear();
    this.endpointParityMap.clear();
    this.skipsMap.clear();
    this.from = opts.from ?? -Infinity;
    if (opts.coverage) {
      this.coverageMap.clear();
      this.endpoints.clear();
    }
  }

  /** Total requests recorded in the window for a channel (all routes). */
  total(channel: Channel): number {
    let n = 0;
    for (const c of this.cellMap.values()) if (c.channel === channel) n += c.n;
    return n;
  }

  cell(route: string, channel: Channel): WindowCell | undefined {
    return this.cellMap.get(`${channel}\u0000${route}`);
  }

  cells(): IterableIterator<WindowCell> {
    return this.cellMap.values();
  }

  parity(route: string): ParityCounts | undefined {
    return this.parityMap.get(route);
  }

  coverage(): ReadonlyMap<string, CoverageCounts> {
    return this.coverageMap;
  }

  /** Cumulative counts per endpoint since the rollout began (same life as `coverage()`). */
  endpointCoverage(): ReadonlyMap<string, EndpointCoverage> {
    return this.endpoints.map;
  }

  /** Comparisons per endpoint in the stage window, and how many really differed. */
  endpointParity(): ReadonlyMap<string, EndpointParity> {
    return this.endpointParityMap.map;
  }

  /** Every route that appears in the window, its parity or its coverage, sorted. */
  routes(): string[] {
    const set = new Set<string>();
    for (const c of this.cellMap.values()) set.add(c.route);
    for (const r of this.parityMap.keys()) set.add(r);
    return [...set].sort();
  }

  /** Adds another window (another gateway instance, or a persisted part) into this one. */
  merge(o: Window): void {
    for (const c of o.cellMap.values()) this.cellFor(c.route, c.channel).merge(c);
    for (const [route, p] of o.parityMap) {
      const mine = this.parityMap.get(route) ?? { n: 0, mismatches: 0, ids: [] };
      this.parityMap.set(route, {
        n: mine.n + p.n,
        mismatches: mine.mismatches + p.mismatches,
        ids: [...mine.ids, ...p.ids].slice(-this.options.examples),
      });
    }
    for (const [route, c] of o.coverageMap) {
      const mine = this.coverageFor(route);
      mine.legacy += c.legacy;
      mine.candidate += c.candidate;
      mine.mirrored += c.mirrored;
    }
    for (const [endpoint, c] of o.endpoints.map) {
      const mine = this.endpointFor(c.route, endpoint);
      mine.legacy += c.legacy;
      mine.candidate += c.candidate;
      mine.mirrored += c.mirrored;
    }
    this.endpoints.folded += o.endpoints.folded;
    for (const [endpoint, c] of o.endpointParityMap.map) {
      const mine = this.endpointParityMap.at(endpoint, () => ({ route: c.route, n: 0, mismatches: 0 }));
      mine.n += c.n;
      mine.mismatches += c.mismatches;
    }
    for (const [route, n] of o.skipsMap) this.skipsMap.set(route, (this.skipsMap.get(route) ?? 0) + n);
  }

  /**
   * Sets how many mirrored requests of a route the mirror breaker skipped in this stage. The
   * breaker lives in the data plane, which counts; the controller copies the stage's count here so
   * it travels with the window (merged over replicas, judged as a gate).
   */
  setMirrorSkips(route: string, n: number): void {
    if (n > 0) this.skipsMap.set(this.routeName(route), n);
    else this.skipsMap.delete(this.routeName(route));
  }

  mirrorSkips(): [string, number][] {
    return [...this.skipsMap];
  }

  snapshot(): WindowSnapshot {
    return {
      version: 1,
      options: { ...this.options },
      from: Number.isFinite(this.from) ? this.from : null,
      cells: [...this.cellMap.values()].map((c) => ({
        route: c.route,
        channel: c.channel,
        n: c.n,
        errors: c.errors,
        statuses: [...c.statuses.entries()].sort((a, b) => a[0] - b[0]),
        latency: c.latency.snapshot(),
        users: c.users.snapshot(),
        firstAt: Number.isFinite(c.firstAt) ? c.firstAt : null,
        lastAt: Number.isFinite(c.lastAt) ? c.lastAt : null,
        examples: { errors: [...c.errorIds], slow: c.slowIds.map(([ms, id]) => [ms, id]), statuses: [...c.statusIds] },
      })),
      parity: [...this.parityMap].map(([route, p]) => ({ route, n: p.n, mismatches: p.mismatches, ids: [...p.ids] })),
      coverage: [...this.coverageMap].map(([route, c]) => ({ route, ...c })),
      endpoints: [...this.endpoints.map].map(([endpoint, c]) => ({ endpoint, ...c })),
      endpointsFolded: this.endpoints.folded,
      endpointParity: [...this.endpointParityMap.map].map(([endpoint, c]) => ({ endpoint, ...c })),
      mirrorSkips: [...this.skipsMap].map(([route, n]) => ({ route, n })),
    };
  }

  static fromSnapshot(s: WindowSnapshot): Window {
    const w = new Window(s.options);
    w.from = s.from ?? -Infinity;
    for (const cs of s.cells) {
      const c = w.cellFor(cs.route, cs.channel);
      c.n = cs.n;
      c.errors = cs.errors;
      for (const [st, n] of cs.statuses) c.statuses.set(st, n);
      c.latency.merge(LatencyHistogram.fromSnapshot(cs.latency));
      c.users.merge(UserSample.fromSnapshot(cs.users, w.options.maxUsers, w.options.firstK));
      c.firstAt = cs.firstAt ?? Infinity;
      c.lastAt = cs.lastAt ?? -Infinity;
      c.errorIds = [...cs.examples.errors];
      c.slowIds = cs.examples.slow.map(([ms, id]) => [ms, id]);
      for (const [st, ids] of cs.examples.statuses) c.statusIds.set(st, [...ids]);
    }
    for (const p of s.parity) w.parityMap.set(p.route, { n: p.n, mismatches: p.mismatches, ids: [...p.ids] });
    for (const c of s.coverage) {
      w.coverageMap.set(c.route, { legacy: c.legacy, candidate: c.candidate, mirrored: c.mirrored });
    }
    for (const e of s.endpoints ?? []) {
      w.endpoints.map.set(e.endpoint, {
        route: e.route,
        legacy: e.legacy,
        candidate: e.candidate,
        mirrored: e.mirrored,
      });
    }
    w.endpoints.folded = s.endpointsFolded ?? 0;
    for (const e of s.endpointParity ?? [])
      w.endpointParityMap.map.set(e.endpoint, { route: e.route, n: e.n, mismatches: e.mismatches });
    for (const k of s.mirrorSkips ?? []) w.skipsMap.set(k.route, k.n);
    return w;
  }

  /** One window from several snapshots (e.g. one per gateway instance). */
  static fromSnapshots(list: readonly WindowSnapshot[]): Window {
    const first = list[0];
    const w = first ? Window.fromSnapshot(first) : new Window();
    for (const s of list.slice(1)) w.merge(Window.fromSnapshot(s));
    return w;
  }

  /** The coverage map doubles as the registry of known routes (it is never reset mid-rollout). */
  private routeName(route: string): string {
    if (this.coverageMap.has(route)) return route;
    return this.coverageMap.size >= this.options.maxRoutes ? OTHER_ROUTE : route;
  }

  private cellFor(route: string, channel: Channel): WindowCell {
    const key = `${channel}\u0000${route}`;
    let c = this.cellMap.get(key);
    if (!c) {
      c = new WindowCell(route, channel, this.options);
      this.cellMap.set(key, c);
    }
    return c;
  }

  private endpointFor(route: string, endpoint: string): EndpointCoverage {
    return this.endpoints.at(endpoint, () => ({ route, legacy: 0, candidate: 0, mirrored: 0 }));
  }

  private coverageFor(route: string): CoverageCounts {
    let c = this.coverageMap.get(route);
    if (!c) {
      c = { legacy: 0, candidate: 0, mirrored: 0 };
      this.coverageMap.set(route, c);
    }
    return c;
  }
}
