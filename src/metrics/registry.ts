import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Target } from "../config/schema.js";

/** Latency buckets in seconds: loopback sub-millisecond answers up to slow 10 s endpoints. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Cell {
  duration: ReturnType<Histogram["labels"]>;
  byCode: Map<number, ReturnType<Counter["labels"]>>;
  total: number;
  errors: number;
}

/**
 * Metrics owns the Prometheus registry. Per-request recording goes through cells resolved once
 * per (route, target), so the hot path never hashes label sets (prom-client's `labels()` does).
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter;
  private readonly duration: Histogram;
  readonly upstreamHealthy: Gauge;
  readonly openConnections: Gauge;
  readonly openUpgrades: Gauge;
  readonly routeWeight: Gauge;
  readonly upstreamErrors: Counter;
  readonly mirrorTotal: Counter;
  readonly mirrorSkipped: Counter;
  readonly mirrorDiffs: Counter;
  private cells: Cell[][] = [];
  private routeNames: string[] = [];

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: "cutover_requests_total",
      help: "Requests answered, by route, target and status code (gateway errors use their status).",
      labelNames: ["route", "target", "code"],
      registers,
    });
    this.duration = new Histogram({
      name: "cutover_request_duration_seconds",
      help: "Time from request arrival to the end of the response, by route and target.",
      labelNames: ["route", "target"],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.upstreamHealthy = new Gauge({
      name: "cutover_upstream_healthy",
      help: "1 when the upstream is healthy.",
      labelNames: ["upstream"],
      registers,
    });
    this.openConnections = new Gauge({
      name: "cutover_open_connections",
      help: "Client connections open on the data-plane listener.",
      registers,
    });
    this.openUpgrades = new Gauge({
      name: "cutover_open_upgrades",
      help: "Upgraded (WebSocket) connections open, by target.",
      labelNames: ["target"],
      registers,
    });
    this.routeWeight = new Gauge({
      name: "cutover_route_candidate_weight",
      help: "Candidate weight in percent, by route.",
      labelNames: ["route"],
      registers,
    });
    this.upstreamErrors = new Counter({
      name: "cutover_upstream_errors_total",
      help: "Transport failures talking to an upstream, by code.",
      labelNames: ["upstream", "code"],
      registers,
    });
    this.mirrorTotal = new Counter({
      name: "cutover_mirror_total",
      help: "Mirrored requests compared, by route and outcome.",
      labelNames: ["route", "outcome"],
      registers,
    });
    this.mirrorSkipped = new Counter({
      name: "cutover_mirror_skipped_total",
      help: "Requests that matched a mirror but were served unmirrored, by reason.",
      labelNames: ["route", "reason"],
      registers,
    });
    this.mirrorDiffs = new Counter({
      name: "cutover_mirror_differences_total",
      help: "Differences found in mirrored answers, by route and kind.",
      labelNames: ["route", "kind"],
      registers,
    });
    collectDefaultMetrics({ register: this.registry, prefix: "cutover_process_" });
  }

  /** setRoutes prepares cells for a route table (called at start and on reload). */
  setRoutes(names: readonly string[]): void {
    this.routeNames = [...names];
    this.cells = names.map((route) =>
      (["legacy", "candidate"] as const).map((target) => ({
        duration: this.duration.labels(route, target),
        byCode: new Map(),
        total: 0,
        errors: 0,
      })),
    );
  }

  record(routeId: number, target: Target, status: number, seconds: number): void {
    const cell = this.cells[routeId]?.[target === "legacy" ? 0 : 1];
    if (!cell) return;
    cell.total++;
    if (status >= 500) cell.errors++;
    cell.duration.observe(seconds);
    let c = cell.byCode.get(status);
    if (!c) {
      c = this.requests.labels(this.routeNames[routeId] ?? "?", target, String(status));
      cell.byCode.set(status, c);
    }
    c.inc();
  }

  /** Totals since start, for status output: [legacy, candidate] per route id. */
  counts(routeId: number): { legacy: { total: number; errors: number }; candidate: { total: number; errors: number } } {
    const row = this.cells[routeId];
    return {
      legacy: { total: row?.[0]?.total ?? 0, errors: row?.[0]?.errors ?? 0 },
      candidate: { total: row?.[1]?.total ?? 0, errors: row?.[1]?.errors ?? 0 },
    };
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
