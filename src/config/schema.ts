/**
 * The canonical configuration schema: the top level (listeners, TLS, admin, store, replicas,
 * bucketing, override, health endpoint, timeouts, limits, endpoints, log) assembled with the traffic
 * side from schema-routes.ts (upstreams, routes, mirror) and the evidence side from
 * schema-evidence.ts (diff, rollout, record, replay). Every field documents its meaning and default where it is defined; docs/config.md and
 * schema/cutover.schema.json are generated from or checked against it. This module is the entry
 * point: import config types and constants from here.
 */
import { z } from "zod";
import { diffSchema, recordSchema, replaySchema, rolloutSchema } from "./schema-evidence.js";
import { routeSchema, upstreamSchema } from "./schema-routes.js";
import { duration, listenAddress, size } from "./units.js";

export { BREAKER_DEFAULTS, FRAMEWORKS, SAFE_METHODS } from "./schema-routes.js";
export type { MirrorConfig, RouteConfig, Target, UpstreamConfig, UpstreamName } from "./schema-routes.js";
export type { RecordConfig, ReplayConfig, RolloutConfig } from "./schema-evidence.js";

const bucketKey = z
  .string()
  .refine((k) => k === "jwt.sub" || k === "ip" || /^(cookie|header):[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k), {
    message: 'must be "jwt.sub", "ip", "cookie:<name>" or "header:<name>"',
  });

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
    diff: diffSchema,
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
