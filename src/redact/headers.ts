import { isSensitiveKey, REDACTED, redactText, SENSITIVE_HEADERS } from "./keys.js";

export interface RedactedHeaders {
  headers: Record<string, string | string[]>;
  /** Lower-cased names whose values were masked. */
  masked: string[];
}

/** True for a header whose whole value is a credential: the built-in list, names like secrets, configured names. */
export function isSensitiveHeader(name: string, extraNames: readonly string[] = []): boolean {
  const n = name.toLowerCase();
  return SENSITIVE_HEADERS.includes(n) || isSensitiveKey(n) || extraNames.some((e) => e.toLowerCase() === n);
}

/**
 * A copy of `headers` with credential headers (authorization, cookie, set-cookie,
 * proxy-authorization, x-api-key, any name like a secret: x-session-token, x-password, …) and
 * the configured `extraNames` masked. Other values keep their text with card numbers and
 * credential-shaped substrings (bearer tokens, JWTs) masked. The names stay, so people can see
 * the header was there; repeated headers keep their count.
 */
export function redactHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  extraNames: readonly string[] = [],
): RedactedHeaders {
  const names = new Set([...SENSITIVE_HEADERS, ...extraNames.map((n) => n.toLowerCase())]);
  const out: Record<string, string | string[]> = {};
  const masked: string[] = [];
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const name = rawName.toLowerCase();
    if (names.has(name) || isSensitiveKey(name)) {
      out[name] = Array.isArray(value) ? value.map(() => REDACTED) : REDACTED;
      masked.push(name);
      continue;
    }
    let hits = 0;
    const clean = (v: string): string => {
      const r = redactText(v);
      hits += r.count;
      return r.text;
    };
    out[name] = Array.isArray(value) ? value.map(clean) : clean(value);
    if (hits > 0) masked.push(`${name} (value)`);
  }
  return { headers: out, masked };
}
