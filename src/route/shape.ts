/**
 * pathShape turns a concrete path into a template by the shape of its segments, so that
 * `/users/123` and `/users/456` group together as `/users/{int}`. Used for findings on paths
 * that a catch-all route matched.
 */
const SHAPES: readonly [RegExp, string][] = [
  [/^-?\d+$/, "{int}"],
  [/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, "{uuid}"],
  [/^[0-9a-f]{16,}$/i, "{hex}"],
  [/^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/, "{date}"],
  [/^-?\d+\.\d+$/, "{float}"],
  [/^[A-Za-z0-9_-]{24,}$/, "{token}"],
];

export function pathShape(path: string): string {
  const q = path.indexOf("?");
  const p = q === -1 ? path : path.slice(0, q);
  return p
    .split("/")
    .map((seg) => {
      if (seg === "") return seg;
      for (const [re, name] of SHAPES) if (re.test(seg)) return name;
      return seg;
    })
    .join("/");
}
