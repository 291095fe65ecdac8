import { ERROR_CODES, type ErrorCode } from "./codes.js";

export { ERROR_CODES, type ErrorCode } from "./codes.js";

const kCutoverError = Symbol.for("cutover.error");

/** One problem found in user input, with the path (and line, when known) where it was found. */
export interface Problem {
  path: string;
  message: string;
  line?: number;
}

/**
 * CutoverError carries a stable code from the registry, an HTTP status and a CLI exit code.
 * `problems` lists every issue when the error summarises validation.
 */
export class CutoverError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly exitCode: number;
  readonly problems: readonly Problem[];
  readonly [kCutoverError] = true;

  constructor(code: ErrorCode, detail?: string, options?: { problems?: readonly Problem[]; cause?: unknown }) {
    const entry = ERROR_CODES[code];
    super(detail ? `${entry.message}: ${detail}` : entry.message, { cause: options?.cause });
    this.name = "CutoverError";
    this.code = code;
    this.status = entry.status;
    this.exitCode = entry.exit;
    this.problems = options?.problems ?? [];
  }

  /** The JSON body the gateway and admin API send for this error. */
  toJSON(): { error: { code: ErrorCode; message: string; problems?: readonly Problem[] } } {
    return {
      error: { code: this.code, message: this.message, ...(this.problems.length ? { problems: this.problems } : {}) },
    };
  }
}

/** isCutoverError works across duplicate copies of the package (branded with a global symbol). */
export function isCutoverError(err: unknown): err is CutoverError {
  return typeof err === "object" && err !== null && (err as Record<symbol, unknown>)[kCutoverError] === true;
}

/** The pre-serialised JSON body for a data-plane error, built once per code. */
const bodies = new Map<ErrorCode, Buffer>();
export function errorBody(code: ErrorCode, requestId?: string): Buffer {
  if (requestId) {
    return Buffer.from(JSON.stringify({ error: { code, message: ERROR_CODES[code].message, request_id: requestId } }));
  }
  let body = bodies.get(code);
  if (!body) {
    body = Buffer.from(JSON.stringify({ error: { code, message: ERROR_CODES[code].message } }));
    bodies.set(code, body);
  }
  return body;
}
