// Short-stage rollout configs and user traffic shared by the rollout and cluster tests.
import { Agent, request } from "undici";

/** A rollout of the `api` route (GET /api/*) through `stages`, with stages short enough for tests. */
export const ROLLOUT = (stages: string): string => `
bucketing: { keys: [header:x-user-id] }
routes:
  - name: api
    match: { path: /api/*, methods: [GET] }
  - match: { path: /* }
rollout:
  routes: [api]
  stages: ${stages}
  min_duration: 1s
  warmup: 200ms
  interval: 250ms
  min_requests: 60
  coverage_min_requests: 5
  margins: { error_rate: 3pt, p95_latency: 300%, parity: 5% }
  max_duration: 2m
`;

/** traffic sends requests from many users until `stop()` says so; returns counts by status. */
export function traffic(url: string, paths: readonly string[], stop: () => boolean): Promise<Record<number, number>> {
  const agent = new Agent({ connections: 8 });
  const counts: Record<number, number> = {};
  let i = 0;
  const worker = async (): Promise<void> => {
    while (!stop()) {
      const n = i++;
      const res = await request(url + (paths[n % paths.length] ?? "/"), {
        dispatcher: agent,
        headers: { "x-user-id": `user-${n % 997}` },
      });
      await res.body.dump();
      counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
    }
  };
  return Promise.all(Array.from({ length: 6 }, worker)).then(async () => {
    await agent.close();
    return counts;
  });
}
