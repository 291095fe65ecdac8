/**
 * A finding's examples: when the aggregator keeps one for a differing request (the first few, a
 * recent one refreshed now and then, within a global budget), and what one holds (the exchange made
 * safe to store: request target and headers redacted, both responses summarized). Pure.
 */
import type { Difference } from "../diff/types.js";
import { redactHeaders } from "../redact/headers.js";
import { redactTarget } from "../redact/url.js";
import { summarizeResponse, type SummaryOptions } from "./summary.js";
import type { Example, Exchange } from "./types.js";

/** Differences kept per example. */
export const MAX_EXAMPLE_DIFFERENCES = 50;
/** How often the "latest" example of a finding is replaced. */
export const LATEST_EVERY_MS = 10_000;

/** What a new differing request does to a finding's examples: none, append, replace the last slot, or dropped by the budget. */
export type ExampleSlot = "none" | "append" | "replace" | "dropped";

/**
 * Keeps the first `examples`−1 examples, and a recent one in the last slot, refreshed at most every
 * LATEST_EVERY_MS: building an example redacts and previews both bodies, which was 45 % of a
 * comparison's CPU when it ran for every differing request (bench/mirror.ts profile). Past half of
 * `maxExamples` (examples kept over all findings) only a finding's first example is kept; at it, none.
 */
export function exampleSlot(
  examples: readonly Example[],
  at: number,
  limits: { examples: number; maxExamples: number },
  exampleCount: number,
): ExampleSlot {
  const max = limits.examples;
  const last = examples.at(-1);
  const want = max > 0 && (examples.length < max || (last !== undefined && at - last.at >= LATEST_EVERY_MS));
  if (!want) return "none";
  const grows = examples.length < max;
  const budget = examples.length === 0 ? limits.maxExamples : limits.maxExamples / 2;
  if (grows && exampleCount >= budget) return "dropped";
  return grows ? "append" : "replace";
}

/** One exchange as a stored example: target and headers redacted, both responses summarized. */
export function buildExample(exchange: Exchange, differences: readonly Difference[], opts: SummaryOptions): Example {
  const req = redactHeaders(exchange.requestHeaders, opts.redactHeaders);
  const target = redactTarget(exchange.path);
  const legacy = summarizeResponse(exchange.legacy, opts, "legacy");
  const candidate = summarizeResponse(exchange.candidate, opts, "candidate");
  return {
    exchangeId: exchange.id,
    at: exchange.at,
    method: exchange.method,
    path: target.target,
    requestHeaders: req.headers,
    legacy: legacy.summary,
    candidate: candidate.summary,
    differences: differences.slice(0, MAX_EXAMPLE_DIFFERENCES),
    masked: [...target.masked, ...req.masked.map((n) => `request header:${n}`), ...legacy.masked, ...candidate.masked],
    ...(exchange.mapped?.length ? { mapped: exchange.mapped.slice(0, 20) } : {}),
  };
}
