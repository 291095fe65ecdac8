import { z } from "zod";
import { duration, listenAddress, size } from "./units.js";

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
    /** Request bodies larger than this are served unmirrored (and counted). Default 1mib. */
    max_body: size.default(1 << 20),
    /** Deadline for the whole mirrored exchange (not an idle timeout); then it is aborted. Default 5s. */
    timeout: duration.default(5000),
    /** Also send the request to `legacy-secondary` to learn legacy's own noise. Default: when that upstream exists. */
    secondary: z.boolean().optional(),
  })
  .strict();

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
    /** Allowed p95 latency increase relative to legacy ("+20%" or 20). Default 20. */
    p95_latency: z.union([z.number(), z.string()]).default(20),
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
    margins: judgeMargins.default({ error_rate: 0.5, p95_latency: 20, parity: 0.1 }),
    /** What happens when max_duration passes without a promote verdict. Default hold. */
    on_timeout: z.enum(["hold", "rollback"]).default("hold"),
    /** Whether the judge promotes by itself (`auto`) or waits for `cutover promote` (`manual`). Default auto. */
    promote: z.enum(["auto", "manual"]).default("auto"),
    /** Routes served more than this many times by legacy must have reached the candidate before the last stage. */
    coverage_min_requests: z.number().int().min(1).default(20),
    /** URL that receives every rollout decision as JSON (POST). */
    webhook: z.url().optional(),
  })
  .strict();

export const configSchema = z
  .object({
    /** Data-plane listener. Default 0.0.0.0:8080. */
    listen: listenAddress.default("0.0.0.0:8080"),
    /**
     * Processes serving the data plane. 1 (default) serves from the gateway's own process; N > 1
     * or "auto" (one per core) forks cluster workers that share the listener, while the first
     * process keeps the state (admin API, store, judge, findings) and tells them weights and health.
     */
    workers: z.union([z.number().int().min(1).max(64), z.literal("auto")]).default(1),
    admin: z
      .object({
        /** Admin API listener; loopback by default. */
        listen: listenAddress.default("127.0.0.1:9901"),
        /** Bearer token required on every admin request (use ${ENV} interpolation). At least 16 characters. */
        token: z.string().min(16, "admin token must be at least 16 characters"),
      })
      .strict(),
    /** Where state (weights, rollout, findings, audit log) is kept. Default .cutover/state.db. */
    store: z
      .object({ path: z.string().default(".cutover/state.db") })
      .strict()
      .default({ path: ".cutover/state.db" }),
    upstreams: z
      .object({ legacy: upstreamSchema, candidate: upstreamSchema, "legacy-secondary": upstreamSchema.optional() })
      .strict(),
    bucketing: z
      .object({
        /** Keys tried in order to find the user a request belongs to. */
        keys: z.array(bucketKey).min(1).default(["jwt.sub", "ip"]),
        /** When no key is present: use the client IP, or draw a bucket per request. Default ip. */
        fallback: z.enum(["ip", "random"]).default("ip"),
        /** Salt mixed into the hash; change it to reshuffle which users see the candidate. */
        salt: z.string().default("cutover"),
      })
      .strict()
      .default({ keys: ["jwt.sub", "ip"], fallback: "ip", salt: "cutover" }),
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
      }),
    rollout: rolloutSchema.optional(),
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
export type UpstreamName = "legacy" | "candidate" | "legacy-secondary";
export type Target = "legacy" | "candidate";
