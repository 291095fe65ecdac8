import type { Parity } from "../compare/parity.js";
import {
  COVERAGE_COLLECTION,
  CoverageMatrix,
  type ComparedCounts,
  type CoverageSource,
  type CoverageView,
} from "../coverage/index.js";
import type { CapturedResponse } from "../diff/types.js";
import { canonicalRouteTemplate, type EndpointTemplate } from "../inventory/resolve.js";
import type { ComparisonSink, MirroredRequest } from "../mirror/mirror.js";
import type { Runtime } from "../state/runtime.js";
import type { Served } from "../state/served.js";

/** How long a view merged from every replica's stored rows is reused. */
const SHARED_VIEW_MS = 1000;
/** Request lines whose endpoint key is remembered (a hot path resolves once, not per request). */
const KEY_CACHE = 4096;
const PERSIST_EVERY_MS = 5000;

/**
 * CoverageTap feeds the coverage matrix: every served record (both modes: the recorder runs where
 * the control plane is) and every mirrored pair, keyed by the same endpoint resolver the findings
 * use (Parity.endpointKey), so a matrix row and its findings always share the key. The counts are
 * kept in the store, one row per endpoint, the changed ones written at most every 5 s; several
 * replicas on one database each store their own counts and the store sums them (see `share`).
 */
export class CoverageTap implements CoverageSource {
  readonly matrix: CoverageMatrix;
  private dirty = false;
  private inventoryList: { endpoint: string; route: string }[] = [];
  private reportedFolded = 0;
  private readonly keys = new Map<string, string>();
  private readonly timer: NodeJS.Timeout;
  /** Several replicas: the findings of all of them, and the last merged view. */
  private shared: { findings: () => { routes(): readonly ComparedCounts[] }; view?: CoverageView } | undefined;

  constructor(
    private readonly rt: Runtime,
    private readonly parity: Parity,
  ) {
    const limit = rt.config.diff.limits.templates;
    this.matrix = CoverageMatrix.fromRows(rt.store.getRows(COVERAGE_COLLECTION), limit);
    this.reportedFolded = this.matrix.folded;
    this.useInventory([]);
    this.timer = setInterval(() => this.persist(), PERSIST_EVERY_MS).unref();
  }

  /** Inventory templates (from `endpoints:` sources) plus the config routes with methods: listed even when never called. */
  useInventory(templates: readonly EndpointTemplate[]): void {
    const list: EndpointTemplate[] = [...templates];
    for (const r of this.rt.table.routes) {
      const p = r.config.match.path;
      if (p.endsWith("*")) continue;
      const path = canonicalRouteTemplate(p);
      for (const method of r.config.match.methods ?? []) list.push({ method, path });
    }
    const seen = new Set<string>();
    this.inventoryList = [];
    for (const t of list) {
      if (t.method === "*") continue;
      // The endpoint as a request for it resolves (a sample path with every parameter filled).
      const sample = t.path.replace(/\{[^}]*\}/g, (m) => (m.includes(":path") ? "x" : "1"));
      const endpoint = `${t.method} ${t.path}`;
      // One endpoint whatever its parameters are called; the inventory's name wins, as in the resolver.
      const shape = `${t.method} ${t.path.replace(/\{[^}]*\}/g, "{}")}`;
      if (seen.has(shape)) continue;
      seen.add(shape);
      const route = this.rt.table.match(t.method, sample)?.route.name ?? "";
      this.inventoryList.push({ endpoint, route });
    }
    this.matrix.setInventory(this.inventoryList);
    // The resolver was rebuilt with these templates: keys resolved before may differ now.
    this.keys.clear();
  }

  /**
   * The endpoint key of a request, as the findings resolve it. Remembered per request line: once a
   * line is resolved the resolver answers the same for it, so this only saves the work (~3 µs).
   */
  key(method: string, path: string): string {
    const line = `${method} ${path}`;
    let k = this.keys.get(line);
    if (k === undefined) {
      k = this.parity.endpointKey(method, path);
      if (this.keys.size >= KEY_CACHE) this.keys.clear();
      this.keys.set(line, k);
    }
    return k;
  }

  /** Inventory endpoints of these routes. */
  inventory(routes: ReadonlySet<string>): string[] {
    return this.inventoryList.filter((e) => routes.has(e.route)).map((e) => e.endpoint);
  }

  /** Counts one served request; returns its endpoint key. */
  served(s: Served): string {
    const endpoint = this.key(s.method, s.path);
    const route = this.rt.table.routes[s.route]?.name ?? "";
    this.matrix.served(route, endpoint, s.target);
    this.dirty = true;
    return endpoint;
  }

  /** Wraps the comparison sink: every pair handed to it counts as mirrored for its endpoint. */
  sink(inner: ComparisonSink): ComparisonSink {
    const count = (req: MirroredRequest): void => {
      this.matrix.mirrored(req.route.name, this.key(req.method, req.path));
      this.dirty = true;
    };
    return {
      get offThread() {
        return inner.offThread;
      },
      compare(req: MirroredRequest, legacy: CapturedResponse, candidate: CapturedResponse, secondary) {
        count(req);
        inner.compare(req, legacy, candidate, secondary);
      },
    };
  }

  /**
   * Several replicas on one database: the view becomes every replica's stored counts, summed by
   * the store, joined with every replica's findings. This replica's own counts show once written
   * (within 5 s), as the merged findings do.
   */
  share(findings: () => { routes(): readonly ComparedCounts[] }): void {
    this.shared = { findings };
  }

  view(): CoverageView {
    const sh = this.shared;
    if (!sh) return this.matrix.view(this.parity.findings.routes());
    if (sh.view && Date.now() - sh.view.generatedAt < SHARED_VIEW_MS) return sh.view;
    const merged = CoverageMatrix.fromRows(this.rt.store.getRows(COVERAGE_COLLECTION), this.matrix.limit);
    merged.setInventory(this.inventoryList);
    sh.view = merged.view(sh.findings().routes());
    return sh.view;
  }

  stateView(): { kind: string; entries: number | null; limit: number; capped: number }[] {
    return [{ kind: "endpoints", entries: this.matrix.size, limit: this.matrix.limit, capped: this.matrix.folded }];
  }

  persist(): void {
    const m = this.rt.metrics;
    m.stateEntries.labels("endpoints").set(this.matrix.size);
    m.stateLimit.labels("endpoints").set(this.matrix.limit);
    if (this.matrix.folded > this.reportedFolded)
      m.stateCapped.labels("endpoints_folded").inc(this.matrix.folded - this.reportedFolded);
    this.reportedFolded = this.matrix.folded;
    if (!this.dirty) return;
    this.dirty = false;
    this.rt.store.putRows(COVERAGE_COLLECTION, this.matrix.rowsChanged());
  }

  close(): void {
    clearInterval(this.timer);
    this.persist();
  }
}
