import type { RecordedRequest } from "../recording/types.js";
import { compileKeys, userKey } from "../split/keys.js";

/** Requests of one user, in recorded order: replayed one after the other. */
export interface UserGroup {
  user: string;
  requests: RecordedRequest[];
}

/** The user a recorded request belongs to: the recorded key hash, else the first bucket key found on it. */
export function userOf(r: RecordedRequest, keys: readonly string[]): string {
  if (r.userKey !== undefined) return r.userKey;
  const headers: Record<string, string | string[] | undefined> = {};
  for (const [n, v] of r.headers) {
    const prev = headers[n];
    headers[n] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  // No client IP in a recording: requests without any key form one group, replayed in order.
  return userKey(compileKeys(keys.filter((k) => k !== "ip")), headers, "") ?? "";
}

/**
 * groupByUser keeps per-user order (read-after-write sequences stay valid) while different users
 * may run in parallel. Groups come in order of each user's first request. Pure.
 */
export function groupByUser(requests: readonly RecordedRequest[], keys: readonly string[]): UserGroup[] {
  const groups = new Map<string, UserGroup>();
  for (const r of requests) {
    const user = userOf(r, keys);
    let g = groups.get(user);
    if (!g) groups.set(user, (g = { user, requests: [] }));
    g.requests.push(r);
  }
  return [...groups.values()];
}

/** The bucket keys a replay groups by when no config says otherwise. */
export const DEFAULT_REPLAY_KEYS: readonly string[] = ["jwt.sub", "header:x-user-id"];
