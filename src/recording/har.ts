import { z } from "zod";

/**
 * HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/), the subset cutover reads and writes,
 * with cutover's own `_cutover` fields on each entry (HAR allows `_`-prefixed custom fields).
 * The zod schema validates what a recording must hold to be replayed; unknown fields (browser
 * DevTools adds many) are kept, not rejected.
 */

const nameValue = z.looseObject({ name: z.string(), value: z.string() });

const postData = z.looseObject({
  mimeType: z.string(),
  text: z.string().optional(),
  /** cutover: "base64" when `text` holds non-UTF-8 bytes (HAR 1.2 has `encoding` only on content). */
  encoding: z.string().optional(),
  params: z.array(z.looseObject({ name: z.string(), value: z.string().optional() })).optional(),
});

const content = z.looseObject({
  size: z.number(),
  mimeType: z.string(),
  text: z.string().optional(),
  encoding: z.string().optional(),
});

export const harRequestSchema = z.looseObject({
  method: z.string().min(1),
  url: z.string().min(1),
  httpVersion: z.string(),
  cookies: z.array(nameValue),
  headers: z.array(nameValue),
  queryString: z.array(nameValue),
  postData: postData.optional(),
  headersSize: z.number(),
  bodySize: z.number(),
});

export const harResponseSchema = z.looseObject({
  status: z.number().int(),
  statusText: z.string(),
  httpVersion: z.string(),
  cookies: z.array(nameValue),
  headers: z.array(nameValue),
  content,
  redirectURL: z.string(),
  headersSize: z.number(),
  bodySize: z.number(),
});

/** An answer kept beside the recorded one: the candidate's, when the request was mirrored. */
const cutoverAnswer = z.looseObject({
  status: z.number().int(),
  headers: z.array(nameValue),
  content: content.optional(),
  /** A CUTOVER_ERR_* code when that side gave no answer. */
  error: z.string().optional(),
});

/** cutover's fields on an entry. All optional: a HAR from DevTools or a .gor import has none. */
export const cutoverEntrySchema = z.looseObject({
  /** The gateway's request id. */
  id: z.string().optional(),
  /** Route name and endpoint template (`/users/:id`, or the path shape under a catch-all). */
  route: z.string().optional(),
  template: z.string().optional(),
  /** Which upstream served the recorded answer. */
  target: z.enum(["legacy", "candidate"]).optional(),
  /** A hash of the user's bucket key: requests of one user are replayed in order. */
  userKey: z.string().optional(),
  /** The candidate's answer when the request was mirrored. */
  candidate: cutoverAnswer.optional(),
  /** What was masked before writing ("header:authorization", "$.password (key)", …). */
  redacted: z.array(z.string()).optional(),
  /** Bodies cut at the recording's body cap. */
  truncated: z.array(z.enum(["request", "response", "candidate"])).optional(),
  /**
   * A JWT from the Authorization header with its signature removed: its header and (redacted)
   * claims, so a replay can re-sign it with the configured secret. Never the signed token.
   */
  /** Salted hashes of generated values masked in the recorded answer or a request header (ids.ts), and the salt. */
  ids: z.array(z.object({ path: z.string(), hash: z.string() })).optional(),
  idSalt: z.string().optional(),
  jwt: z
    .looseObject({ header: z.record(z.string(), z.unknown()), claims: z.record(z.string(), z.unknown()) })
    .optional(),
});

export const harEntrySchema = z.looseObject({
  startedDateTime: z.string(),
  time: z.number(),
  request: harRequestSchema,
  response: harResponseSchema,
  cache: z.looseObject({}),
  timings: z.looseObject({ send: z.number(), wait: z.number(), receive: z.number() }),
  _cutover: cutoverEntrySchema.optional(),
});

export const harSchema = z.looseObject({
  log: z.looseObject({
    version: z.string(),
    creator: z.looseObject({ name: z.string(), version: z.string() }),
    entries: z.array(harEntrySchema),
  }),
});

export type HarNameValue = z.infer<typeof nameValue>;
export type HarRequest = z.infer<typeof harRequestSchema>;
export type HarResponse = z.infer<typeof harResponseSchema>;
export type HarContent = z.infer<typeof content>;
export type HarCutover = z.infer<typeof cutoverEntrySchema>;
export type HarAnswer = z.infer<typeof cutoverAnswer>;
export type HarEntry = z.infer<typeof harEntrySchema>;
export type Har = z.infer<typeof harSchema>;

/** The `creator` cutover writes. */
export const CREATOR = { name: "cutover", version: "0.1.0" } as const;

/** Headers never recorded nor replayed: connection-specific ones, and Host (replay targets its own upstreams). */
export const HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "te",
  "proxy-connection",
  "host",
]);
