import { ExactNumber } from "../json/parse.js";
import { compilePathPatterns, formatPath, matchesAt, type PathPattern, type Segment } from "../json/path.js";
import { cardMask, isCardNumber } from "./cards.js";
import { isSensitiveKey, looksLikeSecretValue, REDACTED, redactText } from "./keys.js";

export interface RedactedJson {
  value: unknown;
  /** Concrete paths that were masked, with why: "$.user.password (key)", "$.card (config)". At most MAX_LISTED. */
  masked: string[];
}

const MAX_LISTED = 50;
const MAX_DEPTH = 500;

/**
 * A copy of a parsed JSON value with configured paths (`$.user.email`, `$.items[*].card`,
 * `$..ssn`) masked, plus keys named like secrets (password, client_secret, apiKey, access_token…)
 * and string values shaped like bearer tokens or JWTs; card numbers (Luhn-checked) and secret
 * key=value pairs inside strings, and numbers that are card numbers, are masked too. Nulls and booleans under secret-like keys
 * stay visible (`"has_password": true` reveals nothing and helps reading a diff).
 */
export function redactJson(value: unknown, paths: readonly string[] | readonly PathPattern[] = []): RedactedJson {
  const patterns: readonly PathPattern[] =
    paths.length > 0 && typeof paths[0] === "string"
      ? compilePathPatterns(paths as readonly string[])
      : (paths as readonly PathPattern[]);
  const masked: string[] = [];
  const segs: Segment[] = [];
  const note = (depth: number, why: string): void => {
    if (masked.length < MAX_LISTED) masked.push(`${formatPath(segs, depth, false)} (${why})`);
  };
  const walk = (v: unknown, depth: number, keyed: boolean): unknown => {
    if (depth > 0 && patterns.length > 0 && matchesAt(patterns, segs, depth) && v !== null) {
      note(depth, "config");
      return REDACTED;
    }
    const last = segs[depth - 1];
    if (keyed && typeof last === "string" && isSensitiveKey(last) && v !== null && typeof v !== "boolean") {
      note(depth, "key");
      return REDACTED;
    }
    if (typeof v === "string") {
      if (looksLikeSecretValue(v)) {
        note(depth, "value");
        return REDACTED;
      }
      // Card numbers and key=value secrets inside text ("api_key=…&card=4111…").
      const r = redactText(v);
      if (r.count > 0) note(depth, "text");
      return r.text;
    }
    if (typeof v === "number" || v instanceof ExactNumber) {
      const digits = String(v);
      if (!isCardNumber(digits)) return v;
      note(depth, "card");
      return cardMask(digits);
    }
    if (v === null || typeof v !== "object") return v;
    if (depth >= MAX_DEPTH) return "[too deep]";
    if (Array.isArray(v)) {
      return v.map((x, i) => {
        segs[depth] = i;
        return walk(x, depth + 1, false);
      });
    }
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      segs[depth] = k;
      // defineProperty: a "__proto__" key must stay data, not set the copy's prototype.
      Object.defineProperty(out, k, {
        value: walk(x, depth + 1, true),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  };
  return { value: walk(value, 0, false), masked };
}
