/**
 * Configuration schema, traffic side: the upstreams (legacy, candidate, legacy-secondary) with their
 * health checks, and the routes with their match conditions, split weight, rewrites, affinity and
 * mirror settings (including the mirror circuit breaker). Assembled into the whole config by
 * schema.ts, which re-exports the public names; import from there.
 */
import { z } from "zod";
import { duration, size } from "./units.js";

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

export const upstreamSchema = z
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

export const routeSchema = z
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

export type UpstreamConfig = z.output<typeof upstreamSchema>;
export type RouteConfig = z.output<typeof routeSchema>;
export type MirrorConfig = z.output<typeof mirrorSchema>;
export type UpstreamName = "legacy" | "candidate" | "legacy-secondary";
export type Target = "legacy" | "candidate";
