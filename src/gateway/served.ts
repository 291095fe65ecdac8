import type { Target } from "../config/schema.js";
import type { ForwardResult } from "../proxy/forward.js";
import { murmur3 } from "../split/hash.js";
import type { RequestFacts } from "./handler.js";

/**
 * Served is one answered request as the control plane hears it (live chart, judge window,
 * request metrics): small, plain and free of sockets, so cluster workers can send it in batches.
 */
export interface Served {
  route: number;
  target: Target;
  /** The upstream's status; 0 when it gave none. */
  status: number;
  /** The status the request metrics count: 499 for a client that left before any answer. */
  metricStatus: number;
  /** A transport failure (CUTOVER_ERR_* code) happened. */
  failed: boolean;
  ms: number;
  /** Hash of the bucket key (or of the request id): the judge clusters by it, never sees the key. */
  user: string;
  id: string;
}

const encoder = new TextEncoder();

/** userHash: the judge clusters by user; it sees a hash of the bucket key, never the key itself. */
export function userHash(key: string | undefined, fallback: string): string {
  return murmur3(encoder.encode(key ?? fallback)).toString(36);
}

/** The status the request metrics count: 499 for a client that left before any answer. */
export function metricStatus(r: ForwardResult): number {
  return r.clientClosed && !r.status ? 499 : r.status;
}

/** servedOf builds the record; `hashUser` false leaves `user` empty (nothing will read it). */
export function servedOf(facts: RequestFacts, r: ForwardResult, target: Target, ms: number, hashUser = true): Served {
  return {
    route: facts.rm.route.id,
    target,
    status: r.status,
    metricStatus: metricStatus(r),
    failed: r.code !== undefined,
    ms,
    user: hashUser ? userHash(facts.key, facts.id) : "",
    id: facts.id,
  };
}
