/**
 * The demo's gateway config. `users` and `search` are mirrored only: their findings (a renamed
 * field, a date format, 422 vs 200) keep them on legacy. `/api/*` (orders, uptime), equal but for
 * noise cutover learns, goes through a whole rollout in about a minute.
 */
export function demoConfig(o: {
  port: string;
  token: string;
  store: string;
  legacy: string;
  candidate: string;
  scenario: string;
}): string {
  return `
listen: 127.0.0.1:${o.port}
admin: { listen: 127.0.0.1:0, token: ${o.token} }
store: { path: ${o.store} }
upstreams:
  legacy: { url: ${o.legacy}, framework: flask, health: { path: /health, interval: 1s } }
  candidate: { url: ${o.candidate}, framework: fastapi, health: { path: /healthz, interval: 1s } }
bucketing: { keys: [header:x-user-id, ip], salt: cutover }   # fixed, so the demo's users split the same way every run
log: { level: warn }
routes:
  - name: health
    match: { path: /health }
    rewrite: { candidate: /healthz }
  - name: users
    match: { path: /api/users/:id, methods: [GET] }
    mirror: { percent: 100 }
  - name: search
    match: { path: /api/search, methods: [GET] }
    mirror: { percent: 100 }
  - name: api
    match: { path: /api/* }
rollout:
  routes: [api]
  stages: [shadow, 10, 50, 100]
  min_duration: 5s
  warmup: 1s
  interval: 500ms
  min_requests: 25
  coverage_min_requests: 5
  # Demo-sized margins: with zero errors the judge needs about 3/margin candidate requests per
  # stage (rule of three), so 5pt means ~60 requests, seconds at this traffic. Production: +0.5pt.
  margins: { error_rate: 5pt, p95_latency: 200%, parity: 5% }
  max_duration: 5m
`;
}

/** The demo's request mix: both ports' real differences, learned noise, a bad query value. */
export const DEMO_PATHS = [
  "/api/users/1",
  "/api/orders",
  "/api/search?limit=3",
  "/api/uptime",
  "/health",
  "/api/users/3",
  "/api/orders",
  "/api/search?limit=ten",
  "/api/uptime",
  "/api/orders",
];
