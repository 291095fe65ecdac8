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

/**
 * "rfc822-date → iso-datetime" when two strings have different recognisable formats; undefined
 * when the formats match or neither is recognisable.
 */
export function formatChange(legacy: string, candidate: string): string | undefined {
  const a = stringShape(legacy);
  const b = stringShape(candidate);
  if (a === b || (!FORMATTED.has(a) && !FORMATTED.has(b))) return undefined;
  return `format ${a} → ${b}`;
}
