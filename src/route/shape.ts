/**
 * The shape of a path segment, for grouping paths no template names: `/users/123` and
 * `/users/456` group together as `/users/{int}`. A shape never keeps data: numbers, UUIDs, hex,
 * dates, e-mail addresses, slugs and tokens get their placeholder, any other segment that is not
 * one or two plain lowercase words becomes `{str}`. Used as the fallback of the endpoint
 * resolver (src/inventory/resolve.ts), which also caps how many plain words it keeps.
 */
const SHAPES: readonly [RegExp, string][] = [
  [/^-?\d+$/, "{int}"],
  [/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "{uuid}"],
  [/^[0-9a-f]{16,}$/i, "{hex}"],
  [/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/, "{date}"],
  [/^-?\d+\.\d+$/, "{float}"],
  [/@/, "{email}"],
  [/^[a-z0-9]+(-[a-z0-9]+){2,}$/, "{slug}"],
  [/^[A-Za-z0-9_-]{24,}$/, "{token}"],
];
/** A segment a shape may keep as a literal: one or two lowercase words (`settings`, `bigint-same`). */
const WORD = /^[a-z]{1,24}([-_][a-z]{1,24})?$/;

/** segmentShape is the placeholder for a segment, or undefined when it is a plain word. */
export function segmentShape(seg: string): string | undefined {
  for (const [re, name] of SHAPES) if (re.test(seg)) return name;
  return WORD.test(seg) ? undefined : "{str}";
}

export function pathShape(path: string): string {
  const q = path.indexOf("?");
  const p = q === -1 ? path : path.slice(0, q);
  return p
    .split("/")
    .map((seg) => (seg === "" ? seg : (segmentShape(seg) ?? seg)))
    .join("/");
}
