import { decodeJwt, decodeProtectedHeader } from "jose";

/**
 * JWTs are compared by what a client depends on (signing algorithm, claim set and lifetime
 * exp − iat), never by value: two tokens for the same request always differ, and the value is a
 * credential that must never reach a preview. Decoding only: no signature is checked.
 */

/** A whole string that is a compact JWS (header.payload.signature, the header JSON "eyJ…"). */
const JWT_WHOLE = /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
/** JWTs inside a longer text (Set-Cookie, "Bearer …"). */
const JWT_INSIDE = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

export interface JwtShape {
  alg: string;
  /** Claim names, sorted. */
  claims: string[];
  /** exp − iat (or exp − nbf without iat), seconds; undefined without both. */
  lifetime: number | undefined;
}

export function isJwt(s: string): boolean {
  return s.length > 20 && s.charCodeAt(0) === 101 /* e */ && JWT_WHOLE.test(s);
}

/** The comparable shape of a JWT, or undefined when it does not decode. */
export function jwtShape(token: string): JwtShape | undefined {
  try {
    const header = decodeProtectedHeader(token);
    const payload = decodeJwt(token);
    const start = typeof payload.iat === "number" ? payload.iat : payload.nbf;
    const lifetime = typeof payload.exp === "number" && typeof start === "number" ? payload.exp - start : undefined;
    return { alg: header.alg ?? "none", claims: Object.keys(payload).sort(), lifetime };
  } catch {
    return undefined;
  }
}

/** "15 min", "7 d", "90 s": lifetimes in the unit a reader expects. */
export function formatLifetime(seconds: number): string {
  const units: [number, string][] = [
    [86_400, "d"],
    [3_600, "h"],
    [60, "min"],
  ];
  for (const [size, unit] of units)
    if (Math.abs(seconds) >= size && seconds % size === 0) return `${seconds / size} ${unit}`;
  return `${seconds} s`;
}

// Lifetimes taken from two clock reads (iat = now(), exp = now() + ttl) can be off by a second.
function sameLifetime(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Math.abs(a - b) <= Math.max(2, 0.01 * Math.max(Math.abs(a), Math.abs(b)));
}

/**
 * What differs between two JWTs, in words: "alg HS256 → RS256; claims exp,iat,sub → exp,sub,username
 * (without iat; new username); lifetime 15 min → 7 d". Undefined when algorithm, claim set and
 * lifetime agree. A token that does not decode is compared as "undecodable".
 */
export function jwtChange(legacy: string, candidate: string): string | undefined {
  const a = jwtShape(legacy);
  const b = jwtShape(candidate);
  if (!a || !b) return a === b ? undefined : `JWT ${a ? "decodes" : "undecodable"} → ${b ? "decodes" : "undecodable"}`;
  const parts: string[] = [];
  if (a.alg !== b.alg) parts.push(`alg ${a.alg} → ${b.alg}`);
  const ca = a.claims.join(",");
  const cb = b.claims.join(",");
  if (ca !== cb) {
    const gone = a.claims.filter((c) => !b.claims.includes(c));
    const added = b.claims.filter((c) => !a.claims.includes(c));
    const what = [gone.length ? `without ${gone.join(", ")}` : "", added.length ? `new ${added.join(", ")}` : ""];
    parts.push(`claims ${ca || "(none)"} → ${cb || "(none)"} (${what.filter(Boolean).join("; ")})`);
  }
  if (!sameLifetime(a.lifetime, b.lifetime)) {
    const life = (x: number | undefined): string => (x === undefined ? "none" : formatLifetime(x));
    parts.push(`lifetime ${life(a.lifetime)} → ${life(b.lifetime)}`);
  }
  return parts.length ? `JWT ${parts.join("; ")}` : undefined;
}

/** The JWTs inside a text, and the text with each replaced by a placeholder. */
export function splitJwts(text: string): { tokens: string[]; rest: string } {
  const tokens: string[] = [];
  const rest = text.replace(JWT_INSIDE, (t) => {
    tokens.push(t);
    return "<jwt>";
  });
  return { tokens, rest };
}
