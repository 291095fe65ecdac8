import type { CapturedResponse } from "./types.js";

/**
 * Test support: responses shaped like the ones Flask 2.2 (gunicorn) and FastAPI 0.92 (uvicorn)
 * send for the same view, as measured in flask-fastapi-drift.md. Used by the tests of src/diff,
 * src/noise and src/findings; pure, no I/O.
 */

/** A captured response; the body may be text or bytes. */
export function captured(
  status: number,
  headers: Record<string, string | string[]>,
  body: string | Buffer = "",
  extra: Partial<CapturedResponse> = {},
): CapturedResponse {
  return {
    status,
    headers,
    body: typeof body === "string" ? Buffer.from(body) : body,
    truncated: false,
    timing: { headersMs: 1, totalMs: 2 },
    ...extra,
  };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, sortKeys(o[k])]),
    );
  }
  return v;
}

/** Flask's jsonify: keys sorted, non-ASCII escaped as \uXXXX (surrogate pairs too), trailing newline. */
export function flaskJson(value: unknown): string {
  const ascii = JSON.stringify(sortKeys(value)).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return `${ascii}\n`;
}

/** FastAPI's JSONResponse: field order kept, raw UTF-8, no trailing newline. */
export function fastapiJson(value: unknown): string {
  return JSON.stringify(value);
}

/** gunicorn 20.1 sync worker headers for a JSON answer. */
export function flaskHeaders(extra: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    server: "gunicorn",
    date: "Tue, 02 Jan 2024 03:04:05 GMT",
    connection: "close",
    "content-type": "application/json",
    "content-length": "42",
    ...extra,
  };
}

/** uvicorn 0.17 headers for a JSON answer. */
export function fastapiHeaders(extra: Record<string, string | string[]> = {}): Record<string, string | string[]> {
  return {
    date: "Tue, 02 Jan 2024 03:04:06 GMT",
    server: "uvicorn",
    "content-length": "41",
    "content-type": "application/json",
    ...extra,
  };
}

/** A Flask JSON answer and the FastAPI answer to the same request. */
export function flaskPair(
  legacy: unknown,
  candidate: unknown,
  status: [number, number] = [200, 200],
): [CapturedResponse, CapturedResponse] {
  return [
    captured(status[0], flaskHeaders(), flaskJson(legacy)),
    captured(status[1], fastapiHeaders(), fastapiJson(candidate)),
  ];
}
