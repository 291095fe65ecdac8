import { maskCards } from "./cards.js";
import { isSensitiveKey, REDACTED } from "./keys.js";

/**
 * A request target (`/path?query`) with the values of secret-like query parameters masked
 * (`?api_key=…`, `?access_token=…`) and card numbers masked anywhere in it (path segments,
 * query values, plain or percent-encoded): request paths are stored in finding examples.
 */
export function redactTarget(target: string): { target: string; masked: string[] } {
  const masked: string[] = [];
  const cards = maskCards(target);
  if (cards.count > 0) {
    target = cards.text;
    masked.push(`target: ${cards.count} card number(s)`);
  }
  const q = target.indexOf("?");
  if (q === -1) return { target, masked };
  const query = target
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const rawName = eq === -1 ? pair : pair.slice(0, eq);
      let name = rawName;
      try {
        name = decodeURIComponent(rawName.replace(/\+/g, " "));
      } catch {
        // A malformed escape: judge the raw name.
      }
      if (eq === -1 || !isSensitiveKey(name)) return pair;
      masked.push(`query:${name}`);
      return `${rawName}=${encodeURIComponent(REDACTED)}`;
    })
    .join("&");
  return { target: `${target.slice(0, q)}?${query}`, masked };
}
