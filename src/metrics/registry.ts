import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Target } from "../config/schema.js";

/** Latency buckets in seconds: loopback sub-millisecond answers up to slow 10 s endpoints. */
const REQUESTS_HELP = "Requests answered, by route, target and status code (gateway errors use their status).";
const DURATION_HELP = "Time from request arrival to the end of the response, by route and target.";

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Plain counters for one (route, target): what a request touches. Rendered only at scrape time. */
interface Cell {
  route: string;
  target: Target;
  /** Non-cumulative counts per latency bucket; the last slot is +Inf. */
  buckets: Float64Array;
  sum: number;
  byCode: Map<number, number>;
  total: number;
  errors: number;
}

interface MetricValue {
  metricName?: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * Metrics owns the Prometheus registry. Requests are recorded into plain per-(route, target)
 * cells — an array increment and a Map update, no label hashing and no allocation — and the
 * request counter and latency histogram are built from those cells only when /metrics is scraped
 * (prom-client's `labels().observe()` validates and hashes labels on every call; measured at
 * 2.4 % of gateway CPU in bench/proxy.ts profiles).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly upstreamHealthy: Gauge;
  readonly openConnections: Gauge;
  readonly openUpgrades: Gauge;
  readonly upgradeClosed: Counter;
  readonly upgradeDuration: Histogram;
  readonly routeWeight: Gauge;
  readonly upstreamErrors: Counter;
  readonly upstreamRetries: Counter;
  readonly mirrorTotal: Counter;
  readonly mirrorSkipped: Counter;
  readonly mirrorDiffs: Counter;
  /** Bounded control-plane state: entries held, their cap, and what the cap turned away. */
  readonly stateEntries: Gauge;
  readonly stateLimit: Gauge;
  readonly stateCapped: Counter;
  readonly mirrorAborted: Counter;
  readonly connectionsRefused: Counter;
  /** Mirror circuit breakers (src/mirror/breaker.ts), by route and mirrored upstream. */
  readonly mirrorBreakerOpen: Gauge;
  readonly mirrorBreakerOpened: Counter;
  readonly mirrorBreakerSkipped: Counter;
  /** Time the dashboard's live stream held the event loop: each tick, each new subscriber's start. */
  readonly dashboardPush: Histogram;
  private cells: Cell[][] = [];

  constructor() {
    const registers = [this.registry];
    this.registry.registerMetric({
      name: "cutover_requests_total",
      help: REQUESTS_HELP,
      type: "counter",
      aggregator: "sum",
      get: () => this.requestValues(),
    } as unknown as Counter);
    this.registry.registerMetric({
      name: "cutover_request_duration_seconds",
      help: DURATION_HELP,
      type: "histogram",
      aggregator: "sum",
      get: () => this.durationValues(),
    } as unknown as Counter);
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
    this.upgradeClosed = new Counter({
      name: "cutover_upgrade_closed_total",
      help: "Upgraded (WebSocket) connections closed, by route, target and close code (1006: none sent).",
      labelNames: ["route", "target", "code"],
      registers,
    });
    this.upgradeDuration = new Histogram({
      name: "cutover_upgrade_duration_seconds",
      help: "How long upgraded (WebSocket) connections stayed open, by route and target.",
      labelNames: ["route", "target"],
      buckets: [0.1, 1, 10, 60, 600, 3600],
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
    this.upstreamRetries = new Counter({
      name: "cutover_upstream_retries_total",
      help: "Body-less idempotent requests sent a second time because a kept-alive connection closed before any answer, by upstream and pool (live, mirror).",
      labelNames: ["upstream", "pool"],
      registers,
    });
    this.mirrorTotal = new Counter({
      name: "cutover_mirror_total",
      help: "Mirrored requests compared, by route and outcome (same, noise_only, undecided, different, candidate_error).",
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
    this.stateEntries = new Gauge({
      name: "cutover_state_entries",
      help: "Entries held in bounded state, by kind (findings, templates, examples, noise_templates, live_subscribers, endpoints).",
      labelNames: ["kind"],
      registers,
    });
    this.stateLimit = new Gauge({
      name: "cutover_state_limit",
      help: "The cap on cutover_state_entries, by kind.",
      labelNames: ["kind"],
      registers,
    });
    this.stateCapped = new Counter({
      name: "cutover_state_capped_total",
      help: "What a state cap turned away, by kind: templates folded into {other}, findings unrecorded, examples and differences dropped, requests of endpoints folded into (other endpoints).",
      labelNames: ["kind"],
      registers,
    });
    this.mirrorAborted = new Counter({
      name: "cutover_mirror_aborted_total",
      help: "Mirrored exchanges the gateway cut short: deadline (mirror timeout) or capture_full (body past the capture cap).",
      labelNames: ["route", "upstream", "reason"],
      registers,
    });
    this.connectionsRefused = new Counter({
      name: "cutover_connections_refused_total",
      help: "Client connections answered 503 and closed at once: max_connections or max_connections_per_ip.",
      labelNames: ["reason"],
      registers,
    });
    this.mirrorBreakerOpen = new Gauge({
      name: "cutover_mirror_breaker_open",
      help: "1 while a mirror circuit breaker is open or probing (summed over cluster workers), by route and upstream.",
      labelNames: ["route", "upstream"],
      registers,
    });
    this.mirrorBreakerOpened = new Counter({
      name: "cutover_mirror_breaker_opened_total",
      help: "Times a mirror circuit breaker opened after consecutive failed mirrored exchanges or a failed probe.",
      labelNames: ["route", "upstream"],
      registers,
    });
    this.mirrorBreakerSkipped = new Counter({
      name: "cutover_mirror_breaker_skipped_total",
      help: "Mirrored exchanges not sent to an upstream because its breaker was open (candidate ones also count in cutover_mirror_skipped_total{reason=breaker_open}).",
      labelNames: ["route", "upstream"],
      registers,
    });
    this.dashboardPush = new Histogram({
      name: "cutover_dashboard_push_seconds",
      help: "Time the dashboard's live stream held the event loop, by kind: tick (once a second, for all subscribers) or snapshot (a new subscriber's start).",
      labelNames: ["kind"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    collectDefaultMetrics({ register: this.registry, prefix: "cutover_process_" });
  }

  /**
   * omitControlPlane drops what a cluster worker does not own from its registry: requests and
   * latencies (the primary counts them from the workers' batches), weights and upstream health
   * (the primary decides them). What is left (connections, upgrades, upstream errors, mirror skips,
   * process) is summed across workers at scrape time.
   */
  omitControlPlane(): void {
    for (const name of [
      "cutover_requests_total",
      "cutover_request_duration_seconds",
      "cutover_upstream_healthy",
      "cutover_route_candidate_weight",
      "cutover_state_entries",
      "cutover_state_limit",
      "cutover_state_capped_total",
      "cutover_dashboard_push_seconds",
    ])
      this.registry.removeSingleMetric(name);
  }

  /** setRoutes prepares cells for a route table (called at start and on reload). */
  setRoutes(names: readonly string[]): void {
    this.cells = names.map((route) =>
      (["legacy", "candidate"] as const).map((target) => ({
        route,
        target,
        buckets: new Float64Array(LATENCY_BUCKETS.length + 1),
        sum: 0,
        byCode: new Map<number, number>(),
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
    cell.sum += seconds;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > (LATENCY_BUCKETS[i] as number)) i++;
    (cell.buckets[i] as number)++;
    cell.byCode.set(status, (cell.byCode.get(status) ?? 0) + 1);
  }

  private requestValues(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    for (const cell of this.cells.flat()) {
      for (const [code, n] of cell.byCode)
        values.push({ labels: { route: cell.route, target: cell.target, code }, value: n });
    }
    return { name: "cutover_requests_total", help: REQUESTS_HELP, type: "counter", aggregator: "sum", values };
  }

  private durationValues(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const name = "cutover_request_duration_seconds";
    const values: MetricValue[] = [];
    for (const cell of this.cells.flat()) {
      if (cell.total === 0) continue;
      const labels = { route: cell.route, target: cell.target };
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += cell.buckets[i] ?? 0;
        values.push({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: cumulative });
      });
      values.push({ metricName: `${name}_bucket`, labels: { ...labels, le: "+Inf" }, value: cell.total });
      values.push({ metricName: `${name}_sum`, labels, value: cell.sum });
      values.push({ metricName: `${name}_count`, labels, value: cell.total });
    }
    return { name, help: DURATION_HELP, type: "histogram", aggregator: "sum", values };
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
