import { coverageState, groupCoverage } from "./present.js";
import type { CoverageRow, CoverageState, CoverageView } from "./wire.js";

/** Where requests go once `limit` endpoints are tracked. */
export const OTHER_ENDPOINTS = "(other endpoints)";

interface Counts {
  route: string;
  legacy: number;
  candidate: number;
  mirrored: number;
}

/** What the comparison side knows per endpoint (findings' route summaries: compared, differing). */
export interface ComparedCounts {
  routeName: string;
  template: string;
  mirrored: number;
  differing: number;
}

/** The store collection the counts are kept in: one row per endpoint (see CoverageMatrix.rowsChanged). */
export const COVERAGE_COLLECTION = "endpoint_coverage";

/** One stored row: an endpoint's counts; the OTHER_ENDPOINTS row also says how many requests were folded into it. */
export interface CoverageStoredRow extends Counts {
  folded?: number;
}

/**
 * CoverageMatrix counts, per endpoint ("METHOD /template"), the live requests each target served
 * and the requests mirrored to the candidate; the comparison side (compared, differing) comes
 * from the findings when the view is built. Pure data: no clock, no I/O.
 *
 * Bounded: at most `limit` endpoints are tracked (the inventory's own endpoints always fit: they
 * are reserved first); requests for further endpoints are counted under OTHER_ENDPOINTS, and
 * `folded` says how many.
 */
export class CoverageMatrix {
  private readonly rows = new Map<string, Counts>();
  private inventory = new Map<string, string>();
  private unlistedCount: number | undefined;
  /** Endpoints whose counts changed since rowsChanged() was last called. */
  private readonly changed = new Set<string>();
  folded = 0;

  constructor(readonly limit = 1024) {}

  /** Endpoints known without traffic (inventory, config routes), with their route names. */
  setInventory(list: Iterable<{ endpoint: string; route: string }>): void {
    this.inventory = new Map();
    for (const e of list) if (!this.inventory.has(e.endpoint)) this.inventory.set(e.endpoint, e.route);
    this.unlistedCount = undefined;
  }

  /** One live request served. */
  served(route: string, endpoint: string, target: "legacy" | "candidate"): void {
    this.row(route, endpoint)[target]++;
  }

  /** The rows changed since the last call, as stored (one per endpoint); clears the change set. */
  rowsChanged(): { key: string; value: CoverageStoredRow }[] {
    const out: { key: string; value: CoverageStoredRow }[] = [];
    for (const endpoint of this.changed) {
      const c = this.rows.get(endpoint);
      if (!c) continue;
      out.push({ key: endpoint, value: endpoint === OTHER_ENDPOINTS ? { ...c, folded: this.folded } : { ...c } });
    }
    this.changed.clear();
    return out;
  }

  /** A matrix restored from stored rows (several replicas' rows already merged by the store). */
  static fromRows(rows: readonly { key: string; value: unknown }[], limit?: number): CoverageMatrix {
    const m = new CoverageMatrix(limit);
    for (const { key, value } of rows) {
      const r = value as CoverageStoredRow;
      m.rows.set(key, { route: r.route, legacy: r.legacy, candidate: r.candidate, mirrored: r.mirrored });
      m.folded += r.folded ?? 0;
    }
    return m;
  }

  /** One request mirrored to the candidate (both answers captured, handed to the comparison). */
  mirrored(route: string, endpoint: string): void {
    this.row(route, endpoint).mirrored++;
  }

  get size(): number {
    return this.rows.size;
  }

  /** The matrix: every tracked endpoint and every inventory endpoint, joined with the comparisons. */
  view(compared: readonly ComparedCounts[], now = Date.now()): CoverageView {
    const out = new Map<string, CoverageRow>();
    const rowOf = (route: string, endpoint: string): CoverageRow => {
      const key = `${route}\u0000${endpoint}`;
      let r = out.get(key);
      if (!r) {
        r = {
          endpoint,
          route,
          inventory: this.inventory.has(endpoint),
          seen: 0,
          legacy: 0,
          candidate: 0,
          mirrored: 0,
          compared: 0,
          differing: 0,
          state: "never_exercised",
        };
        out.set(key, r);
      }
      return r;
    };
    for (const [endpoint, route] of this.inventory) rowOf(route, endpoint);
    for (const [endpoint, c] of this.rows) {
      const r = rowOf(c.route, endpoint);
      r.legacy += c.legacy;
      r.candidate += c.candidate;
      r.seen += c.legacy + c.candidate;
      r.mirrored += c.mirrored;
    }
    for (const c of compared) {
      const r = rowOf(c.routeName, c.template);
      r.compared += c.mirrored;
      r.differing += c.differing;
    }
    // An inventory endpoint that got traffic under another route than guessed is listed once, with it.
    const used = (r: CoverageRow): boolean => r.seen + r.mirrored + r.compared > 0;
    const active = new Set([...out.values()].filter(used).map((r) => r.endpoint));
    for (const [key, r] of out) if (!used(r) && active.has(r.endpoint)) out.delete(key);
    const totals: Record<CoverageState, number> = { not_reached: 0, differing: 0, never_exercised: 0, covered: 0 };
    for (const r of out.values()) {
      r.mirrored = Math.max(r.mirrored, r.compared);
      r.state = coverageState(r);
      totals[r.state]++;
    }
    return {
      generatedAt: now,
      rows: groupCoverage([...out.values()]).flatMap((g) => g.rows),
      totals,
      endpoints: this.rows.size,
      limit: this.limit,
      folded: this.folded,
    };
  }

  /** Tracked endpoints the inventory does not list (the fold row aside). */
  private unlisted(): number {
    if (this.unlistedCount === undefined) {
      let n = 0;
      for (const e of this.rows.keys()) if (e !== OTHER_ENDPOINTS && !this.inventory.has(e)) n++;
      this.unlistedCount = n;
    }
    return this.unlistedCount;
  }

  private row(route: string, endpoint: string): Counts {
    let c = this.rows.get(endpoint);
    if (c) {
      this.changed.add(endpoint);
      return c;
    }
    // Inventory endpoints are reserved: they fit even when unknown shapes filled the matrix.
    if (!this.inventory.has(endpoint) && this.unlisted() >= this.limit) {
      this.folded++;
      endpoint = OTHER_ENDPOINTS;
      this.changed.add(endpoint);
      c = this.rows.get(endpoint);
      if (c) return c;
    }
    c = { route, legacy: 0, candidate: 0, mirrored: 0 };
    this.rows.set(endpoint, c);
    this.changed.add(endpoint);
    if (this.unlistedCount !== undefined && endpoint !== OTHER_ENDPOINTS && !this.inventory.has(endpoint))
      this.unlistedCount++;
    return c;
  }
}
