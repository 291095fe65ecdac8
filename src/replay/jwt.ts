import { decodeJwt, decodeProtectedHeader, SignJWT, type JWTPayload } from "jose";
import { CutoverError } from "../errors/index.js";

/** `replay.resign` in the config, or --resign-secret/--resign-alg. */
export interface ResignOptions {
  secret: string;
  alg: "HS256" | "HS384" | "HS512";
}

export const RESIGN_ALGS = ["HS256", "HS384", "HS512"] as const;

/** Why a request's credentials cannot be replayed as recorded. */
export type AuthProblem = "expired" | "redacted";

/** What the recording says about a request's Bearer JWT. */
export interface RecordedJwt {
  claims: Record<string, unknown>;
  header: Record<string, unknown>;
  /** The signed token, when the recording kept it (a HAR from DevTools); cutover's own keep only claims. */
  token?: string;
}

/** recordedJwt finds the JWT of a request: a raw Bearer token, or the unsigned parts cutover recorded. */
export function recordedJwt(
  authorization: string | undefined,
  unsigned: { header: Record<string, unknown>; claims: Record<string, unknown> } | undefined,
): RecordedJwt | undefined {
  if (authorization && /^bearer /i.test(authorization)) {
    const token = authorization.slice(7).trim();
    try {
      return { claims: decodeJwt(token), header: decodeProtectedHeader(token), token };
    } catch {
      // Not a JWT (or masked): fall back to what the recording kept.
    }
  }
  return unsigned ? { claims: unsigned.claims, header: unsigned.header } : undefined;
}

/** authProblem says whether a recorded JWT can be sent as is at `now` (epoch s). */
export function authProblem(jwt: RecordedJwt, now: number): AuthProblem | undefined {
  if (!jwt.token) return "redacted";
  const exp = jwt.claims["exp"];
  return typeof exp === "number" && exp <= now ? "expired" : undefined;
}

/**
 * refreshClaims moves the token's time claims to `now`, keeping its lifetime: iat → now,
 * nbf → now (when present), exp → now + (exp − iat), or now + 1 h without iat.
 */
export function refreshClaims(claims: Record<string, unknown>, now: number): JWTPayload {
  const out: JWTPayload = { ...claims };
  const iat = typeof claims["iat"] === "number" ? claims["iat"] : undefined;
  const exp = typeof claims["exp"] === "number" ? claims["exp"] : undefined;
  const life = exp !== undefined && iat !== undefined && exp > iat ? exp - iat : 3600;
  if (iat !== undefined || exp === undefined) out.iat = now;
  if (typeof claims["nbf"] === "number") out.nbf = now;
  if (exp !== undefined) out.exp = now + life;
  return out;
}

/** checkResign refuses an unusable configuration before a replay starts. */
export function checkResign(o: { secret?: string | undefined; alg?: string | undefined }): ResignOptions {
  const alg = o.alg ?? "HS256";
  if (!(RESIGN_ALGS as readonly string[]).includes(alg))
    throw new CutoverError("CUTOVER_ERR_REPLAY_RESIGN", `alg ${alg}: only ${RESIGN_ALGS.join(", ")} are supported`);
  if (!o.secret) throw new CutoverError("CUTOVER_ERR_REPLAY_RESIGN", "the secret is empty");
  return { secret: o.secret, alg: alg as ResignOptions["alg"] };
}

/** resign signs the recorded claims again with fresh time claims; returns the new token. */
export async function resign(jwt: RecordedJwt, opts: ResignOptions, now: number): Promise<string> {
  const header = { ...jwt.header, alg: opts.alg };
  return new SignJWT(refreshClaims(jwt.claims, now))
    .setProtectedHeader(header)
    .sign(new TextEncoder().encode(opts.secret));
}
