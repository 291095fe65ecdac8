import { createHash, timingSafeEqual } from "node:crypto";

/** tokenMatches compares a bearer token in constant time (hashes first, so lengths never leak). */
export function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith("Bearer ")) return false;
  const a = createHash("sha256").update(header.slice(7).trim()).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}
