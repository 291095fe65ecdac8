/**
 * A recording as a list of requests: what replay and bench consume, whatever the file format
 * (HAR 1.2 written by cutover or a browser, GoReplay `.gor`).
 */

/** An answer as recorded (legacy's or the candidate's). Bodies may have been redacted or cut. */
export interface RecordedAnswer {
  status: number;
  /** Lower-cased names; repeated headers joined as arrays. */
  headers: Record<string, string | string[]>;
  body: Buffer;
  truncated?: boolean;
  error?: string;
}

export interface RecordedRequest {
  /** Position in the recording, 0-based. */
  index: number;
  /** The gateway's request id, or a generated one. */
  id: string;
  /** Epoch ms when the request arrived; replay's original pacing follows the gaps. */
  at: number;
  method: string;
  /** Path and query as the client sent them (`/users/7?full=1`), never absolute. */
  target: string;
  /** Header pairs in order, names lower-cased; hop-by-hop and Host left out. */
  headers: [string, string][];
  body: Buffer | undefined;
  /** Route name and endpoint template, when the gateway recorded them. */
  route?: string;
  template?: string;
  /** Who the request belongs to (the hash of a bucket key, or a key found in the request). */
  userKey?: string;
  /** The upstream that served it when recorded. */
  served?: "legacy" | "candidate";
  /** The answer recorded with the request, and the candidate's when it was mirrored. */
  recorded?: RecordedAnswer;
  candidate?: RecordedAnswer;
  /** An unsigned JWT (header and claims) whose signed original was removed before writing. */
  jwt?: { header: Record<string, unknown>; claims: Record<string, unknown> };
  /** Salted hashes of generated values masked in the recorded answer (a `header:<name>` path: in a request header), and their salt (ids.ts). */
  maskedIds?: { path: string; hash: string }[];
  idSalt?: string;
  /** What was masked when the recording was written. */
  redacted: string[];
}
