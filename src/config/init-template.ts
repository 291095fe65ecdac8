/** The commented starting config `cutover init` writes. It must pass `cutover check` (tested). */
export const INIT_TEMPLATE = `# cutover.yaml — see docs/config.md for every field.
# Secrets come from the environment: \${NAME} or \${NAME:-default}.

# Where clients connect (put cutover where the old backend's address was).
listen: 0.0.0.0:8080
# Processes serving clients: 1, N, or auto (one per core). With more than one, this process keeps
# the state and the judge while cluster workers serve (docs/lifecycle.md#processes).
workers: 1

# The control plane: loopback only, every request needs "Authorization: Bearer <token>".
admin:
  listen: 127.0.0.1:9901
  token: \${CUTOVER_ADMIN_TOKEN}

upstreams:
  # The backend you are migrating away from…
  legacy:
    url: http://127.0.0.1:5000
    framework: flask
    health: { path: /health, interval: 5s }
  # …and the one you are migrating to.
  candidate:
    url: http://127.0.0.1:8000
    framework: fastapi
    health: { path: /healthz, interval: 5s }

# Which user a request belongs to, tried in order. A user stays on one side while the weight
# only grows; lowering it sends back exactly the users above the new line.
bucketing:
  keys: [jwt.sub, cookie:session, header:x-user-id, ip]
  fallback: ip

# First match wins. Weights are the percent of users on the candidate.
routes:
  - name: health
    match: { path: /health }
    rewrite: { candidate: /healthz }   # old clients keep calling /health
    candidate_weight: 0

  - name: api
    match: { path: /api/*, methods: [GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE] }
    candidate_weight: 0
    # Send a copy of safe requests to the candidate and compare the answers.
    mirror: { percent: 100 }

  - name: everything-else
    match: { path: /* }
    candidate_weight: 0

# Move traffic by evidence: 'cutover status' shows the verdict and why.
# rollout:
#   stages: [shadow, 1, 5, 25, 50, 100]
#   min_duration: 10m
#   margins: { error_rate: +0.5pt, p95_latency: +20% and +25ms, parity: 0.1% }
#   on_timeout: hold
`;
