import { createHash, randomBytes } from "node:crypto";

/**
 * Masked identifiers. A session id under `session_id` is masked in a recorded answer like any
 * secret-keyed value, yet the same id comes back raw in later requests' paths, and a replay must
 * know that the masked value was that id to map it. So for masked answer values that look
 * generated (≥ 16 characters, no spaces) the recording keeps a salted hash beside the mask; the
 * replay hashes the tokens of later requests with the same salt and restores only values that
 * really reappear there. Short or human values (passwords) are never hashed. A request header
 * masked because its name looks secret (`x-session-id`) carrying such a value is hashed the same
 * way, under the path `header:<name>`, so the replay can send the id again (see maskedHeaderIds).
 */

export interface MaskedId {
  path: string;
  hash: string;
}

const GENERATED = /^[A-Za-z0-9._~+/=:-]{16,512}$/;

export function newIdSalt(): string {
  return randomBytes(12).toString("hex");
}

export function idHash(salt: string, value: string): string {
  return createHash("sha256").update(`${salt}\0${value}`).digest("hex").slice(0, 24);
}

/** Segments of a concrete path as redaction writes it: `$.a.b[3]`, `$["odd key"]`. */
export function pathSegments(path: string): (string | number)[] | undefined {
  if (!path.startsWith("$")) return undefined;
  const out: (string | number)[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(m[3] ?? '""') as string);
  }
  return out;
}

function step(v: unknown, s: string | number): unknown {
  if (v === null || typeof v !== "object") return undefined;
  return (v as Record<string | number, unknown>)[s];
}

export function getAt(root: unknown, path: string): unknown {
  const segs = pathSegments(path);
  return segs?.reduce<unknown>(step, root);
}

/** setAt replaces the value at a concrete path in place (no-op when the path does not exist). */
export function setAt(root: unknown, path: string, value: unknown): void {
  const segs = pathSegments(path);
  if (!segs || segs.length === 0) return;
  const parent = segs.slice(0, -1).reduce<unknown>(step, root);
  const last = segs[segs.length - 1] as string | number;
  if (parent !== null && typeof parent === "object" && Object.hasOwn(parent, last))
    (parent as Record<string | number, unknown>)[last] = value;
}

/** maskedIds lists the hashed masked values of an answer (paths from redactJson's `masked`). */
export function maskedIds(original: unknown, masked: readonly string[], salt: string): MaskedId[] {
  const out: MaskedId[] = [];
  for (const m of masked) {
    const path = m.replace(/ \([a-z]+\)$/, "");
    const v = getAt(original, path);
    if (typeof v === "string" && GENERATED.test(v)) out.push({ path, hash: idHash(salt, v) });
  }
  return out;
}

/** The path under which a masked request header's hash is kept: `header:x-session-id`. */
export const HEADER_ID_PREFIX = "header:";

/**
 * maskedHeaderIds lists the hashed values of request headers the redaction masked whole
 * (`masked` from redactHeaders: bare names; "name (value)" entries, masked only in part, are left
 * out) when they look generated. Credentials (authorization, cookies) are never generated ids.
 */
export function maskedHeaderIds(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  masked: readonly string[],
  salt: string,
): MaskedId[] {
  const out: MaskedId[] = [];
  const byName = new Map<string, string | string[] | undefined>();
  for (const [n, v] of Object.entries(headers)) byName.set(n.toLowerCase(), v);
  for (const name of masked) {
    if (name.includes(" ") || name === "authorization" || name === "proxy-authorization") continue;
    if (name === "cookie" || name === "set-cookie") continue;
    const v = byName.get(name);
    if (typeof v === "string" && GENERATED.test(v))
      out.push({ path: `${HEADER_ID_PREFIX}${name}`, hash: idHash(salt, v) });
  }
  return out;
}
