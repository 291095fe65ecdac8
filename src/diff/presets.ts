/**
 * Framework presets: named rules for drift that is byte-only, i.e. means the same to an HTTP/JSON
 * client. Every rule is listed by describePresets() and shown in the report, so nothing is hidden.
 *
 * Source: /work/shared/research/flask-fastapi-drift.md (Flask 2.2 + gunicorn 20.1 vs FastAPI 0.92 +
 * uvicorn 0.17, measured). Only rows marked "client notices: No" become rules; everything marked
 * Yes or Maybe is reported (see REPORTED_ON_PURPOSE).
 */

/** Behaviour switches the engine reads; one per rule that changes a comparison. */
export interface ActiveRules {
  /** A single trailing "\n" on text bodies is not a difference. */
  trailingNewline: boolean;
  /** `application/json` and `application/json; charset=utf-8` are the same. */
  jsonCharset: boolean;
  /** Content-Type is not compared when both bodies are empty (see engine.ts for when that holds). */
  noContentTypeWithoutBody: boolean;
  /** access-control-* headers are not compared on requests that carried no Origin header. */
  corsWithoutOrigin: boolean;
}

interface Rule {
  id: string;
  text: string;
  /** The switch this rule turns on; undefined for rules that parsing already satisfies. */
  effect?: keyof ActiveRules;
}

/** Always on, whatever the presets: they follow from HTTP and JSON semantics, not from a framework. */
const BUILT_IN: readonly Rule[] = [
  { id: "json-semantic", text: "JSON bodies are parsed: key order, whitespace and \\u escapes are never differences" },
  { id: "json-exact-numbers", text: "JSON numbers are compared exactly (integers above 2^53 are not rounded)" },
  { id: "header-name-case", text: "header names are compared case-insensitively (RFC 9110 §5.1)" },
  {
    id: "volatile-headers",
    text: "Date, Server, Content-Length, Connection, Transfer-Encoding, Keep-Alive and Content-Encoding are not compared (plus diff.ignore.headers)",
  },
  {
    id: "list-headers-as-sets",
    text: "Allow, Vary and Access-Control-Allow-Methods/-Headers/Expose-Headers are compared as sets (Flask's Allow order varies between processes)",
  },
  { id: "charset-case", text: "the charset parameter is compared case-insensitively (utf-8 = UTF-8)" },
  {
    id: "multipart-boundary",
    text: "the boundary parameter of multipart content types is not compared (it is random)",
  },
  {
    id: "content-encoding",
    text: "gzip, deflate and br bodies are decoded before comparison; whether a side compressed (Content-Encoding, the Accept-Encoding token of Vary) is not compared",
  },
  {
    id: "sse-default-event",
    text: 'an SSE event without "event:" equals "event: message"; comment lines (heartbeats) are skipped',
  },
];

const FLASK_FASTAPI: readonly Rule[] = [
  {
    id: "json-key-order",
    text: "Flask sorts JSON keys (sort_keys); FastAPI keeps field order — irrelevant after parsing",
  },
  {
    id: "json-ascii-escapes",
    text: "Flask escapes non-ASCII as \\uXXXX (ensure_ascii); FastAPI sends raw UTF-8 — irrelevant after parsing",
  },
  {
    id: "trailing-newline",
    text: "Flask's jsonify ends bodies with \\n; a single trailing newline on text bodies is ignored (JSON: irrelevant after parsing)",
    effect: "trailingNewline",
  },
  { id: "header-name-lowercase", text: "uvicorn (h11) lower-cases header names; gunicorn keeps Content-Type casing" },
  {
    id: "reason-phrase",
    text: "reason phrases differ (404 NOT FOUND vs 404 Not Found); only the status code is compared",
  },
  {
    id: "content-length",
    text: "Content-Length differs whenever the bytes do (escapes, trailing newline); not compared",
  },
  {
    id: "framing",
    text: "Transfer-Encoding chunked vs Content-Length, chunk-size hex case and gunicorn's Connection: close are not compared",
  },
  {
    id: "json-charset",
    text: "application/json without charset equals application/json; charset=utf-8 (JSON is UTF-8, RFC 8259 §8.1)",
    effect: "jsonCharset",
  },
  {
    id: "no-content-type-without-body",
    text: "Flask labels empty answers (204, empty 200) text/html, FastAPI application/json or nothing; Content-Type is not compared when both bodies are empty and the statuses match (HEAD excepted: its headers describe GET's body)",
    effect: "noContentTypeWithoutBody",
  },
  {
    id: "cors-without-origin",
    text: "flask-cors adds Access-Control-Allow-Origin: * to requests without Origin, CORSMiddleware does not; access-control-* headers are not compared when the request had no Origin",
    effect: "corsWithoutOrigin",
  },
];

const PRESETS: ReadonlyMap<string, readonly Rule[]> = new Map([
  ["flask->fastapi", FLASK_FASTAPI],
  // Migrating back (or comparing the other way round) drifts in the same byte-only ways.
  ["fastapi->flask", FLASK_FASTAPI],
]);

/**
 * Client-visible drift between Flask and FastAPI that is reported on purpose, never normalised
 * (listed in the report next to the presets, so people know why these findings exist).
 */
export const REPORTED_ON_PURPOSE: readonly string[] = [
  "status codes: 404 vs 307 trailing-slash redirects, 308 vs 307, 400 vs 422, 405 on HEAD/OPTIONS",
  'error body shapes and content types: HTML error pages vs {"detail": …}',
  "text/html vs text/plain vs application/json for the same body (browsers render them differently)",
  "datetime formats (RFC 822 vs ISO 8601, with or without a zone or fraction), Decimal as string vs float, 1 vs null",
  "format changes of timestamps, ids and tokens (format_changed), even where the values themselves are noise",
  "JWTs: algorithm, claim set and lifetime (never their values)",
  "null vs absent fields, list order, CORS header values on requests with Origin",
  "SSE event sequences and delivery (GZipMiddleware buffering a stream)",
];

/** Names of every known preset, for config validation. */
export function knownPresets(): string[] {
  return [...PRESETS.keys()];
}

/** The presets that `presets: auto` turns on for the declared legacy and candidate frameworks. */
export function presetsFor(legacyFramework?: string, candidateFramework?: string): string[] {
  if (legacyFramework === undefined || candidateFramework === undefined) return [];
  const name = `${legacyFramework.toLowerCase()}->${candidateFramework.toLowerCase()}`;
  return PRESETS.has(name) ? [name] : [];
}

/**
 * Every rule in force, by preset, with "built-in" first. An unknown preset name is listed with a
 * note instead of being dropped, so a typo in the config shows up in the report.
 */
export function describePresets(presets: readonly string[]): { name: string; rules: string[] }[] {
  const out = [{ name: "built-in", rules: BUILT_IN.map((r) => `${r.id}: ${r.text}`) }];
  for (const name of new Set(presets)) {
    const rules = PRESETS.get(name);
    out.push({ name, rules: rules ? rules.map((r) => `${r.id}: ${r.text}`) : ["unknown preset: no rules applied"] });
  }
  return out;
}

const NONE: ActiveRules = {
  trailingNewline: false,
  jsonCharset: false,
  noContentTypeWithoutBody: false,
  corsWithoutOrigin: false,
};

/** The switches the given presets turn on. */
export function activeRules(presets: readonly string[]): ActiveRules {
  const out = { ...NONE };
  for (const name of presets) for (const r of PRESETS.get(name) ?? []) if (r.effect) out[r.effect] = true;
  return out;
}
