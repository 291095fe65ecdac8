/**
 * Path templates: `/users/:id`, `/users/{id}` (FastAPI style), `/agents/*`.
 * A `:param` matches one non-empty segment; a trailing `*` matches zero or more remaining segments,
 * so `/agents/*` matches `/agents`, `/agents/` and everything below. Everything else is literal and
 * case-sensitive; `/items` and `/items/` are different paths (Flask and FastAPI treat them differently).
 */

export type Segment = { kind: "literal"; value: string } | { kind: "param"; name: string } | { kind: "wildcard" };

export interface PathTemplate {
  readonly source: string;
  readonly segments: readonly Segment[];
  readonly wildcard: boolean;
}

export function compileTemplate(source: string): PathTemplate | { error: string } {
  if (!source.startsWith("/")) return { error: "must start with /" };
  const parts = source.slice(1).split("/");
  const segments: Segment[] = [];
  const names = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? "";
    if (p === "*") {
      if (i !== parts.length - 1) return { error: "* may only be the last segment" };
      segments.push({ kind: "wildcard" });
      continue;
    }
    const name = p.startsWith(":") ? p.slice(1) : /^\{[^{}]+\}$/.test(p) ? p.slice(1, -1) : undefined;
    if (name !== undefined) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return { error: `parameter name "${name}" is not an identifier` };
      if (names.has(name)) return { error: `parameter "${name}" appears twice` };
      names.add(name);
      segments.push({ kind: "param", name });
      continue;
    }
    if (p.includes("*")) return { error: "* must be a whole segment" };
    segments.push({ kind: "literal", value: p });
  }
  return { source, segments, wildcard: segments.at(-1)?.kind === "wildcard" };
}

export interface PathMatch {
  params: Record<string, string>;
  rest: string;
}

/**
 * matchSegments tests a request path, already split on "/" without the leading empty part,
 * against a template. Returns captured params and the wildcard's rest, or undefined.
 */
export function matchSegments(t: PathTemplate, parts: readonly string[]): PathMatch | undefined {
  const segs = t.segments;
  const fixed = t.wildcard ? segs.length - 1 : segs.length;
  if (t.wildcard ? parts.length < fixed : parts.length !== fixed) return undefined;
  let params: Record<string, string> | undefined;
  for (let i = 0; i < fixed; i++) {
    const s = segs[i] as Segment;
    const p = parts[i] as string;
    if (s.kind === "literal") {
      if (s.value !== p) return undefined;
    } else if (s.kind === "param") {
      if (p === "") return undefined;
      (params ??= {})[s.name] = p;
    }
  }
  return { params: params ?? {}, rest: t.wildcard ? parts.slice(fixed).join("/") : "" };
}

/** covers is true when every path `b` matches is also matched by `a` (so `b` after `a` is unreachable). */
export function covers(a: PathTemplate, b: PathTemplate): boolean {
  const n = b.segments.length;
  for (let i = 0; i < a.segments.length; i++) {
    const sa = a.segments[i] as Segment;
    if (sa.kind === "wildcard") return true;
    if (i >= n) return false;
    const sb = b.segments[i] as Segment;
    if (sb.kind === "wildcard") return false;
    if (sa.kind === "literal" && (sb.kind !== "literal" || sb.value !== sa.value)) return false;
    if (sa.kind === "param" && sb.kind === "literal" && sb.value === "") return false;
  }
  return a.segments.length === n;
}

/** Parameter names a template captures. */
export function paramNames(t: PathTemplate): string[] {
  return t.segments.flatMap((s) => (s.kind === "param" ? [s.name] : []));
}

/** fillTemplate builds a rewritten path: params substituted, `*` replaced by the captured rest. */
export function fillTemplate(t: PathTemplate, m: PathMatch): string {
  let out = "";
  for (const s of t.segments) {
    if (s.kind === "literal") out += "/" + s.value;
    else if (s.kind === "param") out += "/" + (m.params[s.name] ?? "");
    else if (m.rest !== "") out += "/" + m.rest;
  }
  return out === "" ? "/" : out;
}
