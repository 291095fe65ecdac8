import type { RoutePlan } from "../inventory/plan.js";

/** The commented starting config `cutover init` writes. It must pass `cutover check` (tested). */

const HEAD = `# cutover.yaml — see docs/config.md for every field.
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
`;

const BUCKETING = `
# Which user a request belongs to, tried in order. A user stays on one side while the weight
# only grows; lowering it sends back exactly the users above the new line.
bucketing:
  keys: [jwt.sub, cookie:session, header:x-user-id, ip]
  fallback: ip
`;

const ROLLOUT = `
# Move traffic by evidence: 'cutover status' shows the verdict and why.
# rollout:
#   stages: [shadow, 1, 5, 25, 50, 100]
#   min_duration: 10m
#   margins: { error_rate: +0.5pt, p95_latency: +20% and +25ms, parity: 0.1% }
#   on_timeout: hold
`;

export const INIT_TEMPLATE = `${HEAD}
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
${BUCKETING}
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
${ROLLOUT}`;

export interface InitUpstream {
  url: string;
  /** A value of the schema's `framework` enum, or undefined when unknown. */
  framework: string | undefined;
  /** What the endpoints were read from, for the comment. */
  origin: string;
}

/** YAML needs quotes around a plain scalar that starts with `*` (an alias) or holds `: ` or ` #`. */
function scalar(s: string): string {
  return /^[*&!|>%@`'"{[]|: | #|[,[\]{}]/.test(s) ? JSON.stringify(s) : s;
}

function upstream(name: string, u: InitUpstream, health: string | undefined, what: string): string {
  const lines = [`  # ${what} — endpoints read from ${u.origin}`, `  ${name}:`, `    url: ${u.url}`];
  if (u.framework) lines.push(`    framework: ${u.framework}`);
  if (health) lines.push(`    health: { path: ${scalar(health)}, interval: 5s }`);
  return lines.join("\n");
}

/** renderInitConfig writes a config whose routes come from the route inventory. */
export function renderInitConfig(legacy: InitUpstream, candidate: InitUpstream, plan: RoutePlan): string {
  const routes = plan.routes.map((r) => {
    const lines = r.notes.map((n) => `  # ${n}`);
    lines.push(`  - name: ${scalar(r.name)}`, `    match: { path: ${scalar(r.path)} }`);
    if (r.rewrite) lines.push(`    rewrite: { candidate: ${scalar(r.rewrite)} }`);
    lines.push("    candidate_weight: 0");
    if (r.mirror) lines.push("    mirror: { percent: 100 }   # copies of GET/HEAD/OPTIONS, compared");
    return lines.join("\n");
  });
  const extra = plan.candidateOnly.length
    ? `\n# Only the candidate serves these (no route needed until clients call them):\n${plan.candidateOnly.map((l) => `#   ${l}`).join("\n")}\n`
    : "";
  return `${HEAD}
upstreams:
${upstream("legacy", legacy, plan.health.legacy, "The backend you are migrating away from")}
${upstream("candidate", candidate, plan.health.candidate, "The one you are migrating to")}
${BUCKETING}
# Endpoint templates that findings are keyed by (method + template), read at start.
endpoints: [${[legacy.origin, candidate.origin].map(scalar).join(", ")}]

# First match wins. Weights are the percent of users on the candidate. Written by
# 'cutover init' from both apps' endpoints ('cutover routes' shows the comparison).
routes:
${routes.join("\n\n")}
${extra}${ROLLOUT}`;
}
