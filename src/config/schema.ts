import { z } from "zod";
import { duration, listenAddress, parseLatencyMargin, size } from "./units.js";

/**
 * The canonical configuration schema. Every field documents its meaning and default here;
 * docs/config.md and schema/cutover.schema.json are generated from or checked against it.
 */

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"] as const;
export const SAFE_METHODS: readonly string[] = ["GET", "HEAD", "OPTIONS"];

export const FRAMEWORKS = ["flask", "fastapi", "robyn", "express", "fastify", "django", "other"] as const;

const healthSchema = z
  .object({
    /** Path probed by the active health check. */
    path: z.string().startsWith("/"),
    /** Time between probes. Default 5s. */
    interval: duration.default(5000),
    /** A probe that takes longer fails. Default 2s. */
    timeout: duration.default(2000),
    /** Status codes that count as healthy. Default: any 2xx. */
    expect: z.array(z.number().int().min(100).max(599)).optional(),
    /** Consecutive failures (probes or live requests) that mark the upstream unhealthy. Default 3. */
    unhealthy_after: z.number().int().min(1).default(3),
    /** Consecutive successful probes that mark it healthy again. Default 2. */
    healthy_after: z.number().int().min(1).default(2),
  })
  .strict();

const upstreamSchema = z
  .object({
    /** Base URL: http://host:port (https is supported too). A path prefix is prepended to every request. */
    url: z
      .url({ protocol: /^https?$/ })
      .refine((u) => !u.includes("?") && !u.includes("#"), "an upstream URL has no query string or fragment"),
    /** The framework behind this upstream; turns on the matching diff presets (e.g. flask → fastapi). */
    framework: z.enum(FRAMEWORKS).optional(),
    /** Active health check; omitted means passive checks only. */
    health: healthSchema.optional(),
    /** Keep-alive connections kept open to this upstream. Default 64. */
    connections: z.number().int().min(1).max(4096).default(64),
  })
  .strict();

/** The mirror circuit breaker (src/mirror/breaker.ts); per route and mirrored upstream. */
const breakerSchema = z
  .object({
    /** Consecutive failed mirrored exchanges (transport error, garbage, deadline, runaway body) that open it; 0 = off. Default 5. */
    failures: z.number().int().min(0).max(10_000).default(5),
    /** First open period; then one probe. Each failed probe doubles it. Default 1s. */
    open: duration.default(1000),
    /** Longest open period; closed this long, the period starts again from `open`. Default 60s. */
    max_open: duration.default(60_000),
  })
  .strict()
  .refine((b) => b.max_open >= b.open, { message: "max_open must be at least open", path: ["max_open"] });

export const BREAKER_DEFAULTS = { failures: 5, open: 1000, max_open: 60_000 };

const mirrorSchema = z
  .object({
    /** Share of matching requests copied to the candidate, 0–100. Default 100. */
    percent: z.number().min(0).max(100).default(100),
    /** Methods mirrored. Default: GET, HEAD, OPTIONS. Others need `writes: isolated`. */
    methods: z.array(z.enum(METHODS)).optional(),
    /**
     * Declares where the candidate writes. `isolated` means it has its own datastore, so mirroring
     * POST/PUT/PATCH/DELETE cannot double-write; anything else keeps writes unmirrored.
     */
    writes: z.enum(["none", "isolated"]).default("none"),
    /**
     * With `writes: isolated`: learn per user which legacy ids, session ids and tokens stand for
     * which candidate ones and substitute them in that user's later mirrored requests. Default true.
     */
    correlate: z.boolean().optional(),
    /** Request bodies larger than this are served unmirrored (and counted). Default 1mib. */
    max_body: size.default(1 << 20),
    /** Deadline for the whole mirrored exchange (not an idle timeout); then it is aborted. Default 5s. */
    timeout: duration.default(5000),
    /** Also send the request to `legacy-secondary` to learn legacy's own noise. Default: when that upstream exists. */
    secondary: z.boolean().optional(),
    /** Stop paying for a failing mirror: skip it after consecutive failures, probe, close on success. */
    breaker: breakerSchema.default(BREAKER_DEFAULTS),
  })
  .strict();

/**
 * A header or query condition: an exact value, `{ regex }` matched against the whole value, or
 * `{ present: true | false }`.
 */
const condition = z.union([
  z.string(),
  z.object({ regex: z.string().min(1) }).strict(),
  z.object({ present: z.boolean() }).strict(),
]);

const routeSchema = z
  .object({
    /** Name used by the CLI, admin API, metrics and reports. Default: "<METHODS> <path>". */
    name: z.string().min(1).max(100).optional(),
    match: z
      .object({
        /** Path template: literal segments, `:param` segments, and a trailing `*` for the rest. */
        path: z.string().startsWith("/"),
        /** Methods this route takes. Default: all. */
        methods: z.array(z.enum(METHODS)).min(1).optional(),
        /** Request headers that must match (names case-insensitive), e.g. { accept: text/event-stream }. */
        headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/), condition).optional(),
        /** Query parameters that must match (any occurrence), e.g. { transport: polling }. */
        query: z.record(z.string().min(1), condition).optional(),
      })
      .strict(),
    /** Percent of users (buckets) sent to the candidate, 0–100 in steps of 0.01. Default 0. */
    candidate_weight: z.number().min(0).max(100).multipleOf(0.01).default(0),
    /** Per-target path aliases, e.g. { candidate: /healthz } for a route matching /health. */
    rewrite: z
      .object({ legacy: z.string().startsWith("/").optional(), candidate: z.string().startsWith("/").optional() })
      .strict()
      .optional(),
    /** Copy requests to the candidate and compare answers; the client is served by legacy. */
    mirror: mirrorSchema.optional(),
    /**
     * Keep sessions on the side that created them. `engine.io`: the sid of an Engine.IO (Socket.IO)
     * polling handshake is tagged with its side, and later polls and the WebSocket upgrade follow the
     * tag instead of the bucket. Default: none.
     */
    affinity: z.enum(["engine.io"]).optional(),
  })
  .strict();

const bucketKey = z
  .string()
  .refine((k) => k === "jwt.sub" || k === "ip" || /^(cookie|header):[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k), {
    message: 'must be "jwt.sub", "ip", "cookie:<name>" or "header:<name>"',
  });

const judgeMargins = z
  .object({
    /** Allowed error-rate increase, in percentage points ("+0.5pt" or 0.5). Default 0.5. */
    error_rate: z.union([z.number(), z.string()]).default(0.5),
    /**
     * Allowed p95 latency increase over legacy: a relative part and an absolute floor, and the
     * candidate counts as slower only when worse by both ("+20% and +25ms"; "+50%" or 50 keeps the
     * +25ms floor, "+10ms" keeps +20%, "+0ms" removes the floor). Default "+20% and +25ms".
     */
    p95_latency: z
      .union([z.number().nonnegative(), z.string()])
      .superRefine((v, ctx) => {
        const r = parseLatencyMargin(v);
        if ("error" in r) ctx.addIssue({ code: "custom", message: r.error });
      })
      .default("+20% and +25ms"),
    /** Allowed parity mismatch rate, percent of mirrored requests ("0.1%" or 0.1). Default 0.1. */
    parity: z.union([z.number(), z.string()]).default(0.1),
  })
  .strict();

const rolloutSchema = z
  .object({
    /** Route names or path templates under this rollout. Default: every route. */
    routes: z.array(z.string()).optional(),
    /** Stages: "shadow" (mirror only) then candidate weights in percent. */
    stages: z.array(z.union([z.literal("shadow"), z.number().min(0).max(100)])).min(1),
    /** Minimum time per stage. Default 10m. */
    min_duration: duration.default(600_000),
    /** Longest a stage may wait for evidence before `on_timeout` applies. Default 1h. */
    max_duration: duration.default(3_600_000),
    /** Requests excluded after each weight change. Default 30s. */
    warmup: duration.default(30_000),
    /** Minimum candidate requests per stage; default: computed from the margins. */
    min_requests: z.number().int().min(1).optional(),
    /** How often the judge evaluates. Default 5s. */
    interval: duration.default(5000),
    margins: judgeMargins.default({ error_rate: 0.5, p95_latency: "+20% and +25ms", parity: 0.1 }),
    /** What happens when max_duration passes without a promote verdict. Default hold. */
    on_timeout: z.enum(["hold", "rollback"]).default("hold"),
    /** Whether the judge promotes by itself (`auto`) or waits for `cutover promote` (`manual`). Default auto. */
    promote: z.enum(["auto", "manual"]).default("auto"),
    /** Before the last stage, every endpoint legacy served must have reached the candidate this many times (live or mirrored). */
    coverage_min_requests: z.number().int().min(1).default(20),
    /** URL that receives every rollout decision as JSON (POST). */
    webhook: z.url().optional(),
  })
  .strict();

/** The defaults of `diff.limits` (also used when `diff:` is left out). */
const DIFF_LIMITS = {
  findings: 2000,
  templates: 1000,
  examples: 1000,
  differences: 200,
  noise_templates: 500,
  correlation_users: 10_000,
  correlation_values: 256,
};

const recordSchema = z
  .object({
    /** HAR file the gateway writes; after a rotation, `<stem>.2.har`, `<stem>.3.har`, … */
    path: z.string().min(1),
    /** Route names recorded, mirrored or not (unmirrored ones with the served answer). Default: every route with `mirror:`. */
    routes: z.array(z.string()).optional(),
    /** Share of those exchanges recorded, 0–100. Default 100. */
    percent: z.number().min(0).max(100).default(100),
    /** Bodies (the request's, copied as it streams, and the answers) are cut at this size. Default 64kib. */
    max_body: size.default(64 * 1024),
    /** Start a new file after this many bytes. Default 64mib; 0 never. */
    rotate_size: size.default(64 * 1024 * 1024),
    /** Start a new file after this long. Default 0 (never). */
    rotate_age: duration.default(0),
  })
  .strict();

const replaySchema = z
  .object({
    /**
     * Re-sign recorded Bearer JWTs (which have expired by replay time) with this secret and
     * algorithm; iat/nbf/exp are moved to the replay's clock, the token's lifetime kept. Without
     * it, requests whose token expired are listed as unauthenticated instead of compared.
     */
    resign: z
      .object({
        /** The HMAC secret both sides verify with; use ${ENV} interpolation, never a literal. */
        secret: z.string().min(1),
        /** HS256 (default), HS384 or HS512. */
        alg: z.enum(["HS256", "HS384", "HS512"]).default("HS256"),
      })
      .strict()
      .optional(),
    /** Users replayed in parallel; each user's requests stay in recorded order. Default 8. */
    concurrency: z.number().int().min(1).max(1000).default(8),
    /** `fast`: as fast as the upstreams answer (default); `original`: keep the recorded gaps. */
    pacing: z.enum(["fast", "original"]).default("fast"),
    /** A replayed request is abandoned after this long. Default 10s. */
    timeout: duration.default(10_000),
    /** Learn values the sides generate differently (ids, session ids) and substitute them. Default true. */
    correlate: z.boolean().default(true),
  })
  .strict();

const PG_URL = /^postgres(ql)?:\/\//;

const storeSchema = z
  .union([
    z.string().min(1),
    z
      .object({
        /** SQLite file. */
        path: z.string().min(1).optional(),
        /** PostgreSQL URL. */
        url: z.string().regex(PG_URL, "must start with postgres:// or postgresql://").optional(),
      })
      .strict()
      .refine((o) => (o.path === undefined) !== (o.url === undefined), { message: "set exactly one of path and url" }),
  ])
  .default(".cutover/state.db")
  .transform((v): StoreConfig => {
    if (typeof v === "string") return PG_URL.test(v) ? { kind: "postgres", url: v } : { kind: "sqlite", path: v };
    return v.url !== undefined ? { kind: "postgres", url: v.url } : { kind: "sqlite", path: v.path ?? "" };
  });

export type StoreConfig = { kind: "sqlite"; path: string } | { kind: "postgres"; url: string };

const tlsSchema = z
  .object({
    /** PEM certificate file (with its chain). Reloaded when the file changes or on SIGHUP. */
    cert: z.string().min(1),
    /** PEM private key file. */
    key: z.string().min(1),
  })
  .strict();

export const configSchema = z
  .object({
    /** Data-plane listener. Default 0.0.0.0:8080. */
    listen: listenAddress.default("0.0.0.0:8080"),
    /**
     * Terminate TLS on the data listener (HTTPS and wss, HTTP/1.1). The files are reloaded when
     * they change or on SIGHUP without dropping open connections.
     */
    tls: tlsSchema.optional(),
    /**
     * Processes serving the data plane. 1 (default) serves from the gateway's own process; N > 1
     * or "auto" (one per core) forks cluster workers that share the listener, while the first
     * process keeps the state (admin API, store, judge, findings) and tells them weights and health.
     */
    workers: z.union([z.number().int().min(1).max(64), z.literal("auto")]).default(1),
    admin: z
      .object({
        /** Admin API listener; loopback by default. A non-loopback address needs `expose: true`. */
        listen: listenAddress.default("127.0.0.1:9901"),
        /**
         * Allow `listen` on a non-loopback address (refused otherwise; a warning is logged at start).
         * Default false.
         */
        expose: z.boolean().default(false),
        /**
         * Bearer token required on every admin request (use ${ENV} interpolation). At least 16
         * characters and 64 bits of entropy (length × Shannon entropy of its characters): sixteen
         * zeros are refused, `openssl rand -hex 16` passes.
         */
        token: z.string().min(16, "admin token must be at least 16 characters"),
        /** Serve the admin API (and dashboard) over HTTPS with these files. */
        tls: tlsSchema.optional(),
      })
      .strict(),
    /**
     * Where state (weights, rollout, findings, audit log) is kept: a SQLite file (embedded, the
     * default .cutover/state.db) or a PostgreSQL URL (`postgres://user:pass@host:5432/db`, e.g.
     * `${DATABASE_URL}`), so state outlives an ephemeral disk. A string is a URL if it starts with
     * postgres:// or postgresql://, else a path; or write `{ path: … }` / `{ url: … }`.
     */
    store: storeSchema,
    /**
     * Several gateways on one PostgreSQL store (ignored with SQLite): how they stay in step and
     * who judges the rollout. See docs/deploy.md "Several replicas".
     */
    replicas: z
      .object({
        /** This replica's id (unset: host name, pid and a random suffix). */
        id: z.string().min(1).max(200).optional(),
        /** How far ahead of its commit a weight change takes effect, on every replica at once. */
        apply_delay: duration.default(500),
        /** How long the judge's lease lasts without renewal: a dead leader is replaced after at most this. */
        lease: duration.default(3000),
        /** How often to poll for changes when notifications are not delivered (a transaction pooler). */
        poll: duration.default(250),
      })
      .strict()
      .default({ apply_delay: 500, lease: 3000, poll: 250 }),
    upstreams: z
      .object({ legacy: upstreamSchema, candidate: upstreamSchema, "legacy-secondary": upstreamSchema.optional() })
      .strict(),
    bucketing: z
      .object({
        /** Keys tried in order to find the user a request belongs to. */
        keys: z.array(bucketKey).min(1).default(["jwt.sub", "ip"]),
        /** When no key is present: use the client IP, or draw a bucket per request. Default ip. */
        fallback: z.enum(["ip", "random"]).default("ip"),
        /**
         * Salt mixed into the hash; change it to reshuffle which users see the candidate. Default ""
         * (unset): a random salt generated at the first start and kept in the store, so nobody
         * outside can pick keys that land on the candidate.
         */
        salt: z.string().default(""),
      })
      .strict()
      .default({ keys: ["jwt.sub", "ip"], fallback: "ip", salt: "" }),
    override: z
      .object({
        /** Honour the override header. Default false. */
        enabled: z.boolean().default(false),
        /** Header that picks the target: legacy or candidate. Default x-cutover-target. */
        header: z.string().default("x-cutover-target"),
        /** When set, the override header is honoured only with `x-cutover-secret: <secret>`. */
        secret: z.string().min(8).optional(),
      })
      .strict()
      .default({ enabled: false, header: "x-cutover-target" }),
    /**
     * The gateway's own liveness/readiness on the data listener, answered before the route table
     * and never forwarded: `GET <path>` (readiness: 503 while draining), `GET <path>/live`.
     */
    health_endpoint: z
      .object({
        /** Answer health requests. Default true. */
        enabled: z.boolean().default(true),
        /** Path of the readiness answer; liveness is `<path>/live`. Default /_cutover/health. */
        path: z
          .string()
          .regex(/^\/[^?#*:]*[^/?#*:]$/, "must be a plain path such as /_cutover/health (no trailing /, *, : or ?)")
          .default("/_cutover/health"),
      })
      .strict()
      .default({ enabled: true, path: "/_cutover/health" }),
    /** Trust X-Forwarded-For from the client when computing the client IP. Default false. */
    trust_proxy: z.boolean().default(false),
    timeouts: z
      .object({
        connect: duration.default(2000),
        /** Time to the upstream's response headers; 504 after it. */
        headers: duration.default(30_000),
        /** Longest silence while a response body streams. SSE streams need heartbeats within this. */
        body: duration.default(300_000),
        /** Idle client keep-alive connections are closed after this. */
        idle: duration.default(60_000),
        /** In-flight requests get this long to finish on shutdown. */
        shutdown: duration.default(10_000),
        /** A client has this long to send its request headers; then 408 and the connection is closed. */
        client_headers: duration.refine((ms) => ms > 0, "must be more than 0").default(10_000),
        /** Longest silence while a client sends its request body; then 408 and the connection is closed. */
        client_body: duration.refine((ms) => ms > 0, "must be more than 0").default(60_000),
      })
      .strict()
      .default({
        connect: 2000,
        headers: 30_000,
        body: 300_000,
        idle: 60_000,
        shutdown: 10_000,
        client_headers: 10_000,
        client_body: 60_000,
      }),
    limits: z
      .object({
        max_url_length: z.number().int().min(256).default(8192),
        max_header_size: size.default(16384),
        /** Most request header lines; more get 431 (Node would silently drop the rest). Default 200. */
        max_headers: z.number().int().min(16).max(10_000).default(200),
        /** Most client connections open at once; more are answered 503 and closed. Default 4096. */
        max_connections: z.number().int().min(1).default(4096),
        /** Most client connections open at once from one IP address; unset means no per-IP cap. */
        max_connections_per_ip: z.number().int().min(1).optional(),
      })
      .strict()
      .default({ max_url_length: 8192, max_header_size: 16384, max_headers: 200, max_connections: 4096 }),
    routes: z.array(routeSchema).min(1),
    /**
     * Where the endpoint templates come from that findings, rates and examples are keyed by
     * (method + template): source directories or files, OpenAPI files or URLs, `flask:app.py`
     * (as for `cutover routes`). Read once at start; a source that cannot be read is logged and
     * skipped. Without any, the config's routes and a path shape that keeps no user data are used.
     */
    endpoints: z.array(z.string().min(1)).default([]),
    diff: z
      .object({
        ignore: z
          .object({ headers: z.array(z.string()).default([]), paths: z.array(z.string()).default([]) })
          .strict()
          .default({ headers: [], paths: [] }),
        redact: z
          .object({ headers: z.array(z.string()).default([]), paths: z.array(z.string()).default([]) })
          .strict()
          .default({ headers: [], paths: [] }),
        /** Framework drift presets: "auto" uses the upstreams' `framework`; "none" turns them off. */
        presets: z.union([z.literal("auto"), z.literal("none"), z.array(z.string())]).default("auto"),
        /** Examples kept per finding. Default 5. */
        examples: z.number().int().min(0).max(100).default(5),
        /** Findings older than this are dropped. Default 14 days. */
        retention: duration.default(14 * 86_400_000),
        /** Most mirrored comparisons in flight at once; also each mirror pool's size. Default 64. */
        max_concurrency: z.number().int().min(1).max(10_000).default(64),
        /** Compare on a worker thread, off the event loop that serves clients. Default true. */
        worker: z.boolean().default(true),
        /**
         * Caps on the state findings keep in memory and in the store; what a cap turns away is
         * counted in cutover_state_capped_total{kind} and shown in status.
         */
        limits: z
          .object({
            /** Findings kept; differences that would open more count as differing, unrecorded. Default 2000. */
            findings: z.number().int().min(1).max(100_000).default(2000),
            /** Route templates (catch-all path shapes) kept; later ones fold into `{other}`. Default 1000. */
            templates: z.number().int().min(1).max(100_000).default(1000),
            /** Examples kept over all findings; past half, only a finding's first. Default 1000. */
            examples: z.number().int().min(0).max(100_000).default(1000),
            /** Differences of one exchange handled; the rest are counted and dropped. Default 200. */
            differences: z.number().int().min(1).max(10_000).default(200),
            /** Route templates the noise model learns; later ones are not learned (stay real). Default 500. */
            noise_templates: z.number().int().min(1).max(100_000).default(500),
            /** Users whose correlated values (`mirror.writes: isolated`) are kept; the least recently seen go first. Default 10000. */
            correlation_users: z.number().int().min(1).max(1_000_000).default(10_000),
            /** Correlated values kept per user; the least recently used go first. Default 256. */
            correlation_values: z.number().int().min(1).max(100_000).default(256),
          })
          .strict()
          .default(DIFF_LIMITS),
      })
      .strict()
      .default({
        ignore: { headers: [], paths: [] },
        redact: { headers: [], paths: [] },
        presets: "auto",
        examples: 5,
        retention: 14 * 86_400_000,
        max_concurrency: 64,
        worker: true,
        limits: DIFF_LIMITS,
      }),
    rollout: rolloutSchema.optional(),
    /** Opt-in recording of mirrored exchanges to HAR, redacted before writing (docs/replay.md). */
    record: recordSchema.optional(),
    /** `cutover replay` settings: JWT re-signing, parallel users, pacing, correlation. */
    replay: replaySchema.default({ concurrency: 8, pacing: "fast", timeout: 10_000, correlate: true }),
    log: z
      .object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "silent"]).default("info") })
      .strict()
      .default({ level: "info" }),
  })
  .strict();

export type Config = z.output<typeof configSchema>;
export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type MirrorConfig = z.output<typeof mirrorSchema>;
export type RolloutConfig = z.output<typeof rolloutSchema>;
export type ReplayConfig = z.output<typeof replaySchema>;
export type RecordConfig = z.output<typeof recordSchema>;
export type UpstreamName = "legacy" | "candidate" | "legacy-secondary";
export type Target = "legacy" | "candidate";
