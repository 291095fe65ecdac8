/**
 * The registry of every stable error code cutover emits. Each code is documented in
 * docs/errors.md; test/errors.test.ts fails when the two disagree.
 *
 * `status` is the HTTP status used when the error answers an HTTP request (gateway or admin API);
 * `exit` is the CLI exit code when the error ends a command.
 */
export const ERROR_CODES = {
  // Configuration (exit 2: the user's input is wrong).
  CUTOVER_ERR_CONFIG_NOT_FOUND: { status: 500, exit: 2, message: "configuration file not found" },
  CUTOVER_ERR_CONFIG_PARSE: { status: 500, exit: 2, message: "configuration is not valid YAML or JSON" },
  CUTOVER_ERR_CONFIG_INVALID: { status: 500, exit: 2, message: "configuration is invalid" },
  CUTOVER_ERR_CONFIG_ENV: {
    status: 500,
    exit: 2,
    message: "configuration names an environment variable that is not set",
  },
  CUTOVER_ERR_USAGE: { status: 400, exit: 2, message: "invalid command-line usage" },
  // Route inventory (cutover routes, cutover init).
  CUTOVER_ERR_INVENTORY_SOURCE: {
    status: 400,
    exit: 2,
    message: "cannot read endpoints from this source",
  },

  // Data plane: the client's request.
  CUTOVER_ERR_NO_ROUTE: { status: 404, exit: 1, message: "no route matches this request" },
  CUTOVER_ERR_BAD_REQUEST: { status: 400, exit: 1, message: "malformed request" },
  CUTOVER_ERR_URL_TOO_LONG: { status: 414, exit: 1, message: "request URL is too long" },
  CUTOVER_ERR_HEADERS_TOO_LARGE: { status: 431, exit: 1, message: "request headers are too large" },
  CUTOVER_ERR_NOT_A_PROXY: {
    status: 400,
    exit: 1,
    message: "absolute-form and CONNECT requests are refused: cutover is not an open proxy",
  },
  CUTOVER_ERR_OVERRIDE_FORBIDDEN: {
    status: 403,
    exit: 1,
    message: "override header used without the configured secret",
  },
  // Client-side limits (hardening: slow, greedy or malformed clients).
  CUTOVER_ERR_CLIENT_BODY_TIMEOUT: { status: 408, exit: 1, message: "the client stopped sending its request body" },
  CUTOVER_ERR_TOO_MANY_CONNECTIONS: { status: 503, exit: 1, message: "too many client connections" },
  CUTOVER_ERR_TRANSFER_CODING: { status: 501, exit: 1, message: "request transfer coding not supported" },

  // Data plane: the upstream's answer.
  CUTOVER_ERR_UPSTREAM_CONNECT: { status: 502, exit: 1, message: "could not connect to the upstream" },
  CUTOVER_ERR_UPSTREAM_RESET: { status: 502, exit: 1, message: "the upstream closed the connection before answering" },
  CUTOVER_ERR_UPSTREAM_PROTOCOL: { status: 502, exit: 1, message: "the upstream sent an invalid HTTP response" },
  CUTOVER_ERR_UPSTREAM_TIMEOUT: { status: 504, exit: 1, message: "the upstream did not answer in time" },
  CUTOVER_ERR_UPSTREAM_BODY_TIMEOUT: {
    status: 504,
    exit: 1,
    message: "the upstream stopped sending the response body",
  },
  CUTOVER_ERR_UPGRADE_FAILED: { status: 502, exit: 1, message: "the upstream refused or broke the protocol upgrade" },
  CUTOVER_ERR_UPGRADE_UNSUPPORTED: {
    status: 400,
    exit: 1,
    message: "only WebSocket upgrades are tunnelled",
  },
  // Real-time sessions (SSE, Engine.IO affinity).
  CUTOVER_ERR_SESSION_MOVED: {
    status: 410,
    exit: 1,
    message: "this session's side no longer serves it (rollback); reconnect to start a new session",
  },

  // Admin API and CLI control.
  CUTOVER_ERR_ADMIN_UNAUTHORIZED: { status: 401, exit: 3, message: "missing or wrong admin token" },
  CUTOVER_ERR_ADMIN_NOT_FOUND: { status: 404, exit: 1, message: "no such admin endpoint" },
  CUTOVER_ERR_ADMIN_BAD_REQUEST: { status: 400, exit: 2, message: "invalid admin request" },
  CUTOVER_ERR_ADMIN_UNREACHABLE: { status: 502, exit: 3, message: "the gateway's admin API cannot be reached" },
  CUTOVER_ERR_UNKNOWN_ROUTE: { status: 404, exit: 2, message: "no route with that name" },
  CUTOVER_ERR_FINDING_NOT_FOUND: { status: 404, exit: 2, message: "no finding with that id" },
  CUTOVER_ERR_ROLLOUT_NOT_CONFIGURED: { status: 409, exit: 2, message: "no rollout is configured" },
  CUTOVER_ERR_ROLLOUT_ILLEGAL_TRANSITION: {
    status: 409,
    exit: 2,
    message: "that rollout action is not allowed in the current state",
  },
  // cutover bench (side-by-side load test).
  CUTOVER_ERR_BENCH_INPUT: { status: 400, exit: 2, message: "the bench input (URL list or HAR) cannot be used" },
  CUTOVER_ERR_BENCH_UPSTREAM: { status: 502, exit: 3, message: "an upstream under bench did not answer" },

  // Runtime.
  CUTOVER_ERR_LISTEN: { status: 500, exit: 1, message: "could not listen on the configured address" },
  CUTOVER_ERR_STORE: { status: 500, exit: 1, message: "the state store failed" },
  CUTOVER_ERR_STORE_SCHEMA: { status: 500, exit: 1, message: "the state store was written by a newer cutover" },
  // Several replicas on one PostgreSQL database.
  CUTOVER_ERR_NOT_LEADER: { status: 409, exit: 2, message: "no leader applied the rollout action" },
  // Deployment: TLS listeners.
  CUTOVER_ERR_TLS: { status: 500, exit: 1, message: "the TLS certificate or key could not be used" },
  CUTOVER_ERR_INTERNAL: { status: 500, exit: 70, message: "internal error (a bug in cutover)" },

  // Recording and replay.
  CUTOVER_ERR_RECORDING_READ: { status: 500, exit: 2, message: "the recording cannot be read" },
  CUTOVER_ERR_RECORDING_INVALID: { status: 500, exit: 2, message: "the recording is not a valid HAR 1.2 or .gor file" },
  CUTOVER_ERR_RECORDING_WRITE: { status: 500, exit: 1, message: "the recording could not be written" },
  CUTOVER_ERR_REPLAY_RESET: { status: 500, exit: 1, message: "a replay reset hook failed" },
  CUTOVER_ERR_REPLAY_RESIGN: { status: 500, exit: 2, message: "a recorded JWT could not be re-signed" },
  // Replay write effects (state probes).
  CUTOVER_ERR_REPLAY_STATE: { status: 500, exit: 2, message: "a replay state probe failed" },
} as const satisfies Record<string, { status: number; exit: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
