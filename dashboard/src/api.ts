// The admin API client. Every /api request carries `Authorization: Bearer <token>`.
//
// The token lives in this module's memory and, so that a reload does not sign the operator out,
// in sessionStorage: it is scoped to this tab and origin and is gone when the tab closes. It is
// never put in localStorage (it would outlive the session and reach every tab) nor in a cookie
// (the browser would attach it to requests by itself, which is what CSRF needs).
import type { ApiErrorBody } from "./types";

const KEY = "cutover.admin-token";
let token: string | null = readStored();
const listeners = new Set<() => void>();

function readStored(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  return token;
}

export function setToken(next: string | null): void {
  token = next;
  try {
    if (next === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, next);
  } catch {
    // Storage disabled: memory only, a reload asks again.
  }
  for (const l of listeners) l();
}

export function onTokenChange(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** An error answered by the admin API (code CUTOVER_ERR_*), or a network failure (code NETWORK). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function authHeaders(t: string | null = token): Record<string, string> {
  return t ? { authorization: `Bearer ${t}` } : {};
}

function isErrorBody(v: unknown): v is ApiErrorBody {
  if (typeof v !== "object" || v === null || !("error" in v)) return false;
  const e = v.error;
  return typeof e === "object" && e !== null && "code" in e;
}

export async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => "");
  try {
    const body = JSON.parse(text) as unknown;
    if (isErrorBody(body)) return new ApiError(res.status, body.error.code, body.error.message);
  } catch {
    // not JSON
  }
  return new ApiError(res.status, `HTTP_${res.status}`, text.slice(0, 200) || res.statusText);
}

/**
 * api calls one admin endpoint and returns its JSON. A 401 signs out (the token was revoked or
 * the gateway restarted with another one), unless `keepToken` (the login form checks a token).
 */
export async function api<T>(
  method: "GET" | "POST" | "PUT",
  path: string,
  body?: unknown,
  opts: { token?: string; keepToken?: boolean } = {},
): Promise<T> {
  const t = opts.token ?? token;
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        ...authHeaders(t),
        // The audit log names who acted: the admin API takes the actor from this header.
        ...(method === "GET" ? {} : { "x-cutover-actor": "dashboard" }),
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? null : JSON.stringify(body),
      cache: "no-store",
    });
  } catch (err) {
    throw new ApiError(0, "NETWORK", `The admin API did not answer: ${(err as Error).message}`);
  }
  if (!res.ok) {
    const e = await errorFrom(res);
    if (res.status === 401 && !opts.keepToken && token !== null) setToken(null);
    throw e;
  }
  return (await res.json()) as T;
}
