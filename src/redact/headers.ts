import { REDACTED, SENSITIVE_HEADERS } from "./keys.js";

export interface RedactedHeaders {
  headers: Record<string, string | string[]>;
  /** Lower-cased names whose values were masked. */
  masked: string[];
}

/**
 * A copy of `headers` with credential headers (authorization, cookie, set-cookie,
 * proxy-authorization, x-api-key, …) and the configured `extraNames` masked. The names stay, so
 * people can see the header was there; repeated headers keep their count.
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
    if (names.has(name)) {
      out[name] = Array.isArray(value) ? value.map(() => REDACTED) : REDACTED;
      masked.push(name);
    } else out[name] = Array.isArray(value) ? [...value] : value;
  }
  return { headers: out, masked };
}
