import type { ErrorCode } from "../errors/index.js";

/**
 * upstreamErrorCode maps an undici/socket error to a stable code. `connectFailed` is true when
 * the request certainly never reached the upstream, which makes it safe to send elsewhere.
 */
export function upstreamErrorCode(err: Error): { code: ErrorCode; connectFailed: boolean; refused?: boolean } {
  const c = (err as { code?: string }).code ?? "";
  switch (c) {
    // The HTTP client refused the request before sending it (e.g. a header it will not send): the
    // gateway's own refusal of a malformed request, nothing the upstream did.
    case "UND_ERR_INVALID_ARG":
    case "UND_ERR_NOT_SUPPORTED":
      return { code: "CUTOVER_ERR_BAD_REQUEST", connectFailed: false, refused: true };
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
    case "EAI_AGAIN":
      return { code: "CUTOVER_ERR_UPSTREAM_CONNECT", connectFailed: true };
    case "UND_ERR_CONNECT_TIMEOUT":
      return { code: "CUTOVER_ERR_UPSTREAM_TIMEOUT", connectFailed: true };
    case "UND_ERR_HEADERS_TIMEOUT":
      return { code: "CUTOVER_ERR_UPSTREAM_TIMEOUT", connectFailed: false };
    case "UND_ERR_BODY_TIMEOUT":
      return { code: "CUTOVER_ERR_UPSTREAM_BODY_TIMEOUT", connectFailed: false };
    case "UND_ERR_SOCKET":
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_CLOSED":
      return { code: "CUTOVER_ERR_UPSTREAM_RESET", connectFailed: false };
    default:
      return { code: "CUTOVER_ERR_UPSTREAM_PROTOCOL", connectFailed: false };
  }
}

/** Transport failures that say something about the upstream's liveness (passive health). */
export function countsAgainstHealth(code: ErrorCode): boolean {
  return (
    code === "CUTOVER_ERR_UPSTREAM_CONNECT" ||
    code === "CUTOVER_ERR_UPSTREAM_TIMEOUT" ||
    code === "CUTOVER_ERR_UPSTREAM_RESET"
  );
}

const RETRYABLE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * staleConnection: the upstream closed or reset a kept-alive connection (one that had already
 * carried an answer, see upstream.ts reusedConnection) before sending a byte of the answer to a
 * request that is safe to send again — a body-less GET, HEAD or OPTIONS. That is the keep-alive
 * race: the server closes an idle connection just as a request goes out on it (a close with the
 * request unread makes Linux send a reset). Go's http.Transport and nginx (a failure on a cached
 * connection is not counted) send the request once more; so do callers of this, at most once. A
 * fresh connection that fails is the upstream's own failure, never retried.
 */
export function staleConnection(method: string, hasBody: boolean, reused: boolean, err: Error): boolean {
  if (!reused || hasBody || !RETRYABLE_METHODS.has(method)) return false;
  const c = (err as { code?: string }).code;
  return c === "UND_ERR_SOCKET" || c === "ECONNRESET" || c === "EPIPE";
}
