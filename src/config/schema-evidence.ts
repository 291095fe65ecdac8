/**
 * Configuration schema, evidence side: how a rollout's stages are judged into a verdict (`rollout:`
 * and its margins), how mirrored answers are compared into findings (`diff:`, with the caps on the
 * state findings keep), and recording to HAR and its replay (`record:`, `replay:`).
 * Assembled into the whole config by schema.ts, which re-exports the public names; import from there.
 */
import { z } from "zod";
import { duration, parseLatencyMargin, size } from "./units.js";

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

export const rolloutSchema = z
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

/** Diffing mirrored answers into findings: ignored and redacted fields, presets, examples, retention, caps. */
export const diffSchema = z
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
  });

export const recordSchema = z
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

export const replaySchema = z
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

export type RolloutConfig = z.output<typeof rolloutSchema>;
export type ReplayConfig = z.output<typeof replaySchema>;
export type RecordConfig = z.output<typeof recordSchema>;
