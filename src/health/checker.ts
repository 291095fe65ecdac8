import type { Upstream } from "../proxy/upstream.js";

/**
 * HealthChecker probes each upstream that has `health:` configured, on its own interval.
 * Probes go through the upstream's own pool, so they exercise the connections traffic uses.
 */
export class HealthChecker {
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;

  constructor(private readonly upstreams: readonly Upstream[]) {}

  start(): void {
    for (const u of this.upstreams) {
      const h = u.config.health;
      if (!h) continue;
      const run = (): void => {
        if (this.stopped) return;
        void this.probe(u).then(() => this.schedule(run, h.interval));
      };
      run();
    }
  }

  private schedule(fn: () => void, ms: number): void {
    if (!this.stopped) this.timers.push(setTimeout(fn, ms).unref());
  }

  /** probe runs one check now and updates the upstream's state. Returns whether it passed. */
  async probe(u: Upstream): Promise<boolean> {
    const h = u.config.health;
    if (!h) return true;
    try {
      const res = await u.pool.request({
        method: "GET",
        path: u.basePath + h.path,
        headers: { "user-agent": "cutover-health", accept: "*/*" },
        headersTimeout: h.timeout,
        bodyTimeout: h.timeout,
      });
      await res.body.dump({ limit: 64 * 1024 });
      const ok = h.expect ? h.expect.includes(res.statusCode) : res.statusCode >= 200 && res.statusCode < 300;
      if (ok) u.success(true);
      else u.failure(`HTTP_${res.statusCode}`);
      return ok;
    } catch (err) {
      u.failure((err as { code?: string }).code ?? "PROBE_FAILED");
      return false;
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }
}
