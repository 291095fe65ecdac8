import { isIP } from "node:net";
import type { Problem } from "../errors/index.js";
import type { Config } from "./schema.js";
import { parseListen } from "./units.js";

/** Bits of entropy an admin token must carry (length × Shannon entropy of its characters). */
export const MIN_TOKEN_BITS = 64;

/** True for 127.0.0.0/8, ::1, localhost (and their IPv4-mapped forms). */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^::ffff:/, "");
  if (h === "localhost" || h === "::1") return true;
  return isIP(h) === 4 && h.startsWith("127.");
}

/**
 * An estimate of a token's entropy in bits: its length times the Shannon entropy of its own
 * character distribution. `openssl rand -hex 16` scores about 120; sixteen zeros score 0.
 */
export function tokenBits(token: string): number {
  const counts = new Map<string, number>();
  let n = 0;
  for (const c of token) {
    counts.set(c, (counts.get(c) ?? 0) + 1);
    n++;
  }
  let h = 0;
  for (const k of counts.values()) h -= (k / n) * Math.log2(k / n);
  return n * h;
}

/** What the schema cannot say about the admin listener: a guessable token, a listener off loopback. */
export function adminProblems(config: Config): Problem[] {
  const problems: Problem[] = [];
  const bits = tokenBits(config.admin.token);
  if (bits < MIN_TOKEN_BITS)
    problems.push({
      path: "admin.token",
      message: `admin token is too easy to guess (about ${Math.floor(bits)} bits, need ${MIN_TOKEN_BITS}); use e.g. \`openssl rand -hex 16\``,
    });
  const { host } = parseListen(config.admin.listen);
  if (!isLoopbackHost(host) && !config.admin.expose)
    problems.push({
      path: "admin.listen",
      message: `${config.admin.listen} is not a loopback address: the admin API can move traffic and read findings; set admin.expose: true to allow it (behind a firewall or a TLS proxy)`,
    });
  return problems;
}
