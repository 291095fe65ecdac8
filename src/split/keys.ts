/** The request headers as Node gives them (lower-cased names). */
export type IncomingHttpHeaders = Record<string, string | string[] | undefined> & {
  authorization?: string;
  cookie?: string;
};

/**
 * A bucket key source, compiled from config strings: "jwt.sub", "cookie:NAME", "header:NAME", "ip".
 * The extracted key is prefixed with its source ("sub:", "cookie:", …) so a cookie value never
 * collides with a user id of the same text.
 */
export type KeySource =
  { kind: "jwt" } | { kind: "cookie"; name: string } | { kind: "header"; name: string } | { kind: "ip" };

export function compileKeys(keys: readonly string[]): KeySource[] {
  return keys.map((k): KeySource => {
    if (k === "jwt.sub") return { kind: "jwt" };
    if (k === "ip") return { kind: "ip" };
    const i = k.indexOf(":");
    const name = k.slice(i + 1);
    return k.startsWith("cookie:") ? { kind: "cookie", name } : { kind: "header", name: name.toLowerCase() };
  });
}

const subCache = new Map<string, string | null>();
const SUB_CACHE_MAX = 10_000;

/**
 * jwtSub reads the `sub` claim of a Bearer JWT without verifying it: cutover only needs a stable
 * identity for bucketing, never for authorisation. Decoded subs are cached because the same token
 * arrives on many requests.
 */
export function jwtSub(authorization: string | undefined): string | undefined {
  if (!authorization || authorization.length > 8192 || !/^bearer /i.test(authorization)) return undefined;
  const token = authorization.slice(7).trim();
  const cached = subCache.get(token);
  if (cached !== undefined) return cached ?? undefined;
  let sub: string | null = null;
  const parts = token.split(".");
  if (parts.length === 3 && parts[1]) {
    try {
      const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8")) as unknown;
      const s = claims && typeof claims === "object" ? (claims as Record<string, unknown>).sub : undefined;
      if (typeof s === "string" && s !== "") sub = s;
      else if (typeof s === "number") sub = String(s);
    } catch {
      sub = null;
    }
  }
  if (subCache.size >= SUB_CACHE_MAX) subCache.clear();
  subCache.set(token, sub);
  return sub ?? undefined;
}

/** cookieValue finds one cookie in a Cookie header without parsing the others. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let i = 0;
  while (i < header.length) {
    while (header.charCodeAt(i) === 32) i++;
    const end = header.indexOf(";", i);
    const stop = end === -1 ? header.length : end;
    const eq = header.indexOf("=", i);
    if (eq !== -1 && eq < stop && header.slice(i, eq).trim() === name) {
      const v = header.slice(eq + 1, stop).trim();
      return v === "" ? undefined : v;
    }
    i = stop + 1;
  }
  return undefined;
}

/** userKey returns the first configured key present on the request, or undefined. */
export function userKey(sources: readonly KeySource[], headers: IncomingHttpHeaders, ip: string): string | undefined {
  for (const s of sources) {
    switch (s.kind) {
      case "jwt": {
        const sub = jwtSub(headers.authorization);
        if (sub !== undefined) return "sub:" + sub;
        break;
      }
      case "cookie": {
        const v = cookieValue(headers.cookie, s.name);
        if (v !== undefined) return "cookie:" + v;
        break;
      }
      case "header": {
        const v = headers[s.name];
        const first = Array.isArray(v) ? v[0] : v;
        if (first) return "header:" + first;
        break;
      }
      case "ip":
        if (ip) return "ip:" + ip;
    }
  }
  return undefined;
}
