/**
 * What counts as sensitive without configuration: header names that carry credentials, JSON keys
 * named like secrets, and values shaped like bearer tokens. Captured production traffic from two
 * or three backends is stored as finding examples; shadow-diff.md §9 ("privacy by default") notes
 * that Diffy and GoReplay store everything, so the default here errs toward masking.
 */

import { maskCards } from "./cards.js";

export const REDACTED = "[redacted]";

/** Headers masked whatever the configuration says (besides any whose name isSensitiveKey). */
export const SENSITIVE_HEADERS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "cookie",
  "set-cookie",
  "x-api-key",
  "x-auth-token",
  "x-csrf-token",
  "x-xsrf-token",
];

// Long needles are matched as substrings of the key with separators removed ("client_secret",
// "refreshToken"); short ones only as whole words, so "author" or "classname" stay visible.
const SUBSTRINGS = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "apikey",
  "authorization",
  "credential",
  "privatekey",
  "accesskey",
  "sessionid",
  "cookie",
  "accesstoken",
  "refreshtoken",
  "idtoken",
  "authtoken",
];
const WORDS = new Set(["token", "pwd", "ssn", "cvv", "cvc", "pin", "otp", "jwt", "bearer"]);

const cache = new Map<string, boolean>();
const CACHE_MAX = 10_000;

/** True for JSON keys named like secrets: password, client_secret, apiKey, access_token, pin… */
export function isSensitiveKey(key: string): boolean {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w !== "");
  const joined = words.join("");
  const result = SUBSTRINGS.some((s) => joined.includes(s)) || words.some((w) => WORDS.has(w));
  if (cache.size < CACHE_MAX) cache.set(key, result);
  return result;
}

// JWTs (three base64url parts, the first a JSON header starting "eyJ") and "Bearer <token>".
const JWT = /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
// key=value and "key": "value" pairs whose key looks secret, inside text (forms, HTML, logs).
const SECRET_PAIR =
  /\b([A-Za-z0-9_-]*(?:password|passwd|secret|token|api[_-]?key|sessionid|credential)[A-Za-z0-9_-]*)(["']?\s*[:=]\s*["']?)([^\s"'&<>,;[][^\s"'&<>,;]{0,199})/gi;

/** True when a string value looks like a credential whatever its key (a JWT or bearer token). */
export function looksLikeSecretValue(s: string): boolean {
  JWT.lastIndex = 0;
  BEARER.lastIndex = 0;
  return JWT.test(s) || BEARER.test(s);
}

/**
 * Masks credential-shaped substrings of free text and card numbers (Luhn-checked). Returns the
 * masked text and how many substrings were masked (0 → the input string itself is returned).
 */
export function redactText(text: string): { text: string; count: number } {
  const cards = maskCards(text);
  let count = cards.count;
  const out = cards.text
    .replace(JWT, () => {
      count++;
      return REDACTED;
    })
    .replace(BEARER, (_m, scheme: string) => {
      count++;
      return `${scheme} ${REDACTED}`;
    })
    .replace(SECRET_PAIR, (_m, key: string, sep: string) => {
      count++;
      return `${key}${sep}${REDACTED}`;
    });
  return { text: count === 0 ? text : out, count };
}
