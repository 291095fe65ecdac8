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
 * staleConnection: the upstream closed a connection that had already carried an answer (a
 * kept-alive one) before sending a byte of the answer to a request that is safe to send again —
 * a body-less GET, HEAD or OPTIONS. That is the keep-alive race (the server closes an idle
 * connection just as a request goes out on it), which Go's http.Transport and HAProxy
 * (`retry-on empty-response`) answer by sending the request once more. Only undici's "other side
 * closed" says which connection it was (its byte counts); a reset with no such facts, or on a
 * fresh connection, is the upstream's own failure and is not retried. Callers retry at most once.
 */
export function staleConnection(method: string, hasBody: boolean, err: Error): boolean {
  if (hasBody || !RETRYABLE_METHODS.has(method)) return false;
  const e = err as { code?: string; socket?: { bytesRead?: number } };
  return e.code === "UND_ERR_SOCKET" && (e.socket?.bytesRead ?? 0) > 0;
}
