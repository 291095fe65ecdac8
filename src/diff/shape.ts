import { isJwt } from "./jwt.js";

/**
 * The "shape" of a value: what kind of generated or formatted thing it looks like. Used twice:
 * the engine names format changes ("rfc822-date → iso-datetime", the classic Flask → FastAPI
 * datetime drift), and the noise model recognises values that are generated per request.
 */
export type Shape =
  | "uuid"
  | "iso-datetime"
  | "iso-date"
  | "rfc822-date"
  | "epoch-seconds"
  | "epoch-millis"
  | "hex-token"
  | "base64-token"
  | "integer-string"
  | "decimal-string"
  | "integer"
  | "float"
  | "string"
  | "other";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
// Flask 2.2's jsonify writes datetimes as RFC 822 (http_date): "Tue, 02 Jan 2024 03:04:05 GMT".
const RFC822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const HEX = /^[0-9a-f]{16,}$/i;
const BASE64 = /^[A-Za-z0-9+/_-]{20,}={0,2}$/;
const INT_STRING = /^-?\d+$/;
const DECIMAL_STRING = /^-?\d+\.\d+$/;

// 2001-09-09 … 2286-11-20 in seconds: ten-digit integers are almost always Unix timestamps.
const EPOCH_S_MIN = 1_000_000_000;
const EPOCH_S_MAX = 9_999_999_999;

/** The shape of a string value. */
export function stringShape(s: string): Shape {
  if (s.length >= 36 && UUID.test(s)) return "uuid";
  if (s.length >= 10 && s.charCodeAt(4) === 45 /* - */) {
    if (ISO_DATE.test(s)) return "iso-date";
    if (ISO_DATETIME.test(s)) return "iso-datetime";
  }
  if (s.length === 29 && RFC822.test(s)) return "rfc822-date";
  if (INT_STRING.test(s)) return "integer-string";
  if (DECIMAL_STRING.test(s)) return "decimal-string";
  if (HEX.test(s)) return "hex-token";
  // A token needs letters and digits mixed; a long plain word is not generated.
  if (BASE64.test(s) && /\d/.test(s) && /[A-Za-z]/.test(s)) return "base64-token";
  return "string";
}

/** The shape of a number value. */
export function numberShape(n: number): Shape {
  if (!Number.isInteger(n)) return "float";
  if (n >= EPOCH_S_MIN && n <= EPOCH_S_MAX) return "epoch-seconds";
  if (n >= EPOCH_S_MIN * 1000 && n <= EPOCH_S_MAX * 1000) return "epoch-millis";
  return "integer";
}

/** Shapes that a server typically generates fresh for each request. */
export const GENERATED_SHAPES: ReadonlySet<Shape> = new Set<Shape>([
  "uuid",
  "iso-datetime",
  "rfc822-date",
  "epoch-seconds",
  "epoch-millis",
  "hex-token",
  "base64-token",
]);

/** Shapes that carry a recognisable format, so a change between them is a format change. */
const FORMATTED: ReadonlySet<Shape> = new Set<Shape>([
  "uuid",
  "iso-datetime",
  "iso-date",
  "rfc822-date",
  "hex-token",
  "integer-string",
  "decimal-string",
]);

const SHAPE_LABEL: Partial<Record<Shape, string>> = {
  uuid: "UUID",
  "iso-date": "ISO 8601 date",
  "rfc822-date": "RFC 822 date",
  "epoch-seconds": "epoch seconds",
  "epoch-millis": "epoch milliseconds",
  "hex-token": "hex token",
  "base64-token": "base64 token",
  "integer-string": "integer string",
  "decimal-string": "decimal string",
  string: "text",
};

const ISO_PARTS = /^\d{4}-\d{2}-\d{2}([T ])\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * The format class of an ISO 8601 date-time: separator, precision (presence of seconds and of a
 * fraction, not its digit count: Go and chrono trim trailing zeros) and zone (none, Z or an offset).
 */
function isoLabel(s: string): string {
  const m = ISO_PARTS.exec(s);
  if (!m) return "ISO 8601 date-time";
  const zone =
    m[4] === undefined ? "no zone" : m[4] === "Z" ? "zone Z" : m[4].includes(":") ? "offset ±hh:mm" : "offset ±hhmm";
  const precision = m[3] !== undefined ? "fraction" : m[2] !== undefined ? "seconds" : "minutes";
  return `ISO 8601 date-time (${zone}, ${precision}${m[1] === " " ? ", space separator" : ""})`;
}

/** The format class of a string, in words ("ISO 8601 date-time (no zone, fraction)", "UUID", "text"). */
export function stringFormat(s: string): { label: string; formatted: boolean } {
  if (isJwt(s)) return { label: "JWT", formatted: true };
  const shape = stringShape(s);
  if (shape === "iso-datetime") return { label: isoLabel(s), formatted: true };
  return { label: SHAPE_LABEL[shape] ?? shape, formatted: FORMATTED.has(shape) };
}

/** The format class of a number when it has one (epoch seconds or milliseconds, whole or fractional). */
export function numberFormat(n: number): string | undefined {
  const whole = Number.isInteger(n);
  const abs = Math.trunc(n);
  const label = SHAPE_LABEL[numberShape(abs)];
  if (abs < EPOCH_S_MIN || label === undefined) return undefined;
  return whole ? label : `${label}, fractional`;
}

/**
 * "RFC 822 date → ISO 8601 date-time (no zone, fraction)" when two strings have different
 * recognisable formats; undefined when the formats match or neither is recognisable (with
 * `both`: unless both are).
 */
export function formatChange(legacy: string, candidate: string, both = false): string | undefined {
  const a = stringFormat(legacy);
  const b = stringFormat(candidate);
  if (a.label === b.label || (both ? !a.formatted || !b.formatted : !a.formatted && !b.formatted)) return undefined;
  return `${a.label} → ${b.label}`;
}

/** The same for two numbers: only when both have a format (epoch seconds → epoch milliseconds). */
export function numberFormatChange(legacy: number, candidate: number): string | undefined {
  const a = numberFormat(legacy);
  const b = numberFormat(candidate);
  return a !== undefined && b !== undefined && a !== b ? `${a} → ${b}` : undefined;
}
