import type { Logger } from "pino";
import type { Metrics } from "../metrics/registry.js";
import type { Route } from "../route/table.js";
import { Breaker, type Admission, type BreakerConfig, type BreakerView, type Outcome } from "./breaker.js";

export type { Admission, BreakerView, Outcome } from "./breaker.js";

/**
 * Breakers holds one mirror circuit breaker per (route, mirrored upstream), made on first use, so
 * there are at most routes × 2 of them. It turns their decisions into metrics and log lines.
 */
export class Breakers {
  private readonly all = new Map<string, { route: Route; upstream: string; breaker: Breaker }>();

  constructor(
    private readonly metrics: Metrics,
    private readonly log: Logger,
  ) {}

  private get(route: Route, upstream: string, cfg: BreakerConfig): Breaker {
    const key = `${route.id}/${upstream}`;
    let b = this.all.get(key);
    if (!b) {
      b = { route, upstream, breaker: new Breaker(cfg) };
      this.all.set(key, b);
    }
    return b.breaker;
  }

  /** admit: how the exchange with `upstream` may go, or undefined when its breaker skips it (counted). */
  admit(route: Route, upstream: string, cfg: BreakerConfig): Admission | undefined {
    const b = this.get(route, upstream, cfg);
    const before = b.state;
    const a = b.admit(Date.now());
    if (a === undefined) this.metrics.mirrorBreakerSkipped.labels(route.name, upstream).inc();
    else if (a === "probe" && before === "open")
      this.log.info({ route: route.name, upstream }, "mirror breaker half-open: sending a probe");
    return a;
  }

  /** report feeds one finished exchange's outcome to its breaker. */
  report(route: Route, upstream: string, cfg: BreakerConfig, admission: Admission, outcome: Outcome): void {
    const b = this.get(route, upstream, cfg);
    const to = b.report(admission, outcome, Date.now());
    if (to === undefined) return;
    const v = b.view(route.name, upstream, Date.now());
    this.metrics.mirrorBreakerOpen.labels(route.name, upstream).set(to === "closed" ? 0 : 1);
    if (to === "open") {
      this.metrics.mirrorBreakerOpened.labels(route.name, upstream).inc();
      this.log.warn(
        { route: route.name, upstream, last_failure: v.last_failure, open_ms: v.open_ms },
        admission === "probe"
          ? "mirror breaker open again: the probe failed"
          : `mirror breaker open: ${v.failures} failed exchanges, ${b.consecutive} in a row`,
      );
    } else {
      this.log.info({ route: route.name, upstream, probes: v.probes }, "mirror breaker closed: the probe succeeded");
    }
  }

  /** views is every breaker as status shows it. */
  views(): BreakerView[] {
    const now = Date.now();
    return [...this.all.values()].map((b) => b.breaker.view(b.route.name, b.upstream, now));
  }
}
