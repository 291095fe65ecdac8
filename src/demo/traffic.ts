import { Agent, request } from "undici";

export interface TrafficStats {
  sent: number;
  byStatus: Record<string, number>;
  failed: number;
}

/**
 * runTraffic sends a bounded, steady stream of requests from `users` distinct users (x-user-id)
 * until `until()` is true or `signal` aborts. Concurrency and rate are capped, so the demo never
 * floods the machine.
 */
export async function runTraffic(opts: {
  url: string;
  users: number;
  ratePerSec: number;
  paths: readonly string[];
  stop: () => boolean;
}): Promise<TrafficStats> {
  const stats: TrafficStats = { sent: 0, byStatus: {}, failed: 0 };
  const dispatcher = new Agent({ connections: 16 });
  const interval = 1000 / opts.ratePerSec;
  let inflight = 0;
  let i = 0;
  try {
    while (!opts.stop()) {
      if (inflight < 32) {
        const user = `user-${(i * 7919) % opts.users}`;
        const path = opts.paths[i % opts.paths.length] ?? "/";
        i++;
        inflight++;
        stats.sent++;
        request(opts.url + path, {
          dispatcher,
          headers: { "x-user-id": user },
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        })
          .then(async (res) => {
            await res.body.dump();
            stats.byStatus[res.statusCode] = (stats.byStatus[res.statusCode] ?? 0) + 1;
          })
          .catch(() => {
            stats.failed++;
          })
          .finally(() => inflight--);
      }
      await new Promise((r) => setTimeout(r, interval));
    }
    while (inflight > 0) await new Promise((r) => setTimeout(r, 20));
  } finally {
    await dispatcher.close();
  }
  return stats;
}
