import type { Target } from "../config/schema.js";
import { murmur3 } from "../split/hash.js";

/**
 * Served is one answered request as the control plane hears it (request metrics, live chart,
 * judge window): small, plain and free of sockets, so cluster workers can send it in batches.
 * The data plane emits exactly one per request, HTTP or upgrade, through a ServedSink.
 */
export interface Served {
  route: number;
  /** The request's method and path (no query): the recorder resolves the endpoint from them. */
  method: string;
  path: string;
  target: Target;
  /** The upstream's status (101 for an upgrade it accepted); 0 when it gave none. */
  status: number;
  /** The status the request metrics count: 499 for a client that left before any answer. */
  metricStatus: number;
  /** The upstream failed at the transport level (a CUTOVER_ERR_UPSTREAM_* code). */
  failed: boolean;
  /** Milliseconds to the end of the answer (for an upgrade: to the 101 handshake). */
  ms: number;
  /** Hash of the bucket key (or of the request id): the judge clusters by it, never sees the key. */
  user: string;
  id: string;
}

/** Where the data plane sends served records: the recorder in this process, or the IPC batcher of a cluster worker. */
export interface ServedSink {
  served(s: Served): void;
}

const encoder = new TextEncoder();

/** userHash: the judge clusters by user; it sees a hash of the bucket key, never the key itself. */
export function userHash(key: string | undefined, fallback: string): string {
  return murmur3(encoder.encode(key ?? fallback)).toString(36);
}
