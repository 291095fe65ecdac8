import type { Endpoint, Param, ParamType, Segment } from "./types.js";

/**
 * Path syntaxes of the frameworks, read into canonical segments, and back out as the canonical
 * template (`/users/{id}`), a matching key (parameter names dropped, trailing slash dropped) and a
 * cutover route template (`/users/:id`, `/files/*`).
 */

export type Syntax = "flask" | "braces" | "colon" | "next";

const FLASK_TYPES: Record<string, ParamType> = {
  int: "int",
  float: "float",
  uuid: "uuid",
  path: "path",
  string: "str",
  default: "str",
  any: "any",
};

function braceParam(seg: string): Segment | undefined {
  const m = /^\{([A-Za-z_][\w]*)(?::(\w+))?\}$/.exec(seg);
  if (!m) return undefined;
  const conv = m[2];
  const type: ParamType = conv === "path" ? "path" : conv === "int" ? "int" : conv === "float" ? "float" : "any";
  return { kind: "param", name: m[1] as string, type };
}

function flaskParam(seg: string): Segment | undefined {
  const m = /^<(?:(\w+)(?:\([^)]*\))?:)?([A-Za-z_]\w*)>$/.exec(seg);
  if (m) return { kind: "param", name: m[2] as string, type: FLASK_TYPES[m[1] ?? "default"] ?? "any" };
  // A converter inside a segment (`file-<id>.json`): one parameter of unknown type.
  const inner = /<(?:\w+(?:\([^)]*\))?:)?([A-Za-z_]\w*)>/.exec(seg);
  return inner ? { kind: "param", name: inner[1] as string, type: "any" } : undefined;
}

function colonParam(seg: string): Segment | undefined {
  if (seg === "*" || seg === "(.*)") return { kind: "param", name: "rest", type: "path" };
  const splat = /^\{?\*(\w*)\}?$/.exec(seg); // Express 5 `*splat`, `{*splat}`
  if (splat) return { kind: "param", name: splat[1] || "rest", type: "path" };
  const m = /^:([A-Za-z_]\w*)(\(([^)]*)\))?([?*+])?$/.exec(seg);
  if (!m) return braceParam(seg); // Robyn also accepts `{id}`
  const re = m[3];
  const type: ParamType = m[4] === "*" || m[4] === "+" ? "path" : re && /^\\d\+?\$?$/.test(re) ? "int" : "any";
  return { kind: "param", name: m[1] as string, type };
}

function nextParam(seg: string): Segment | undefined {
  const m = /^\[{1,2}(\.\.\.)?([A-Za-z_]\w*)\]{1,2}$/.exec(seg);
  if (!m) return undefined;
  return { kind: "param", name: m[2] as string, type: m[1] ? "path" : "any" };
}

const READERS: Record<Syntax, (seg: string) => Segment | undefined> = {
  flask: flaskParam,
  braces: braceParam,
  colon: colonParam,
  next: nextParam,
};

/** parsePath reads a framework path into segments; `trailing` says whether it ends with a slash. */
export function parsePath(path: string, syntax: Syntax): { segments: Segment[]; trailing: boolean } {
  const clean = path.split("?")[0] ?? "";
  const parts = clean.split("/").filter((p) => p !== "");
  const read = READERS[syntax];
  const segments = parts.map((p): Segment => read(p) ?? { kind: "literal", value: p });
  return { segments, trailing: clean.length > 1 && clean.endsWith("/") };
}

export function renderPath(segments: readonly Segment[], trailing: boolean): string {
  const body = segments
    .map((s) => (s.kind === "literal" ? s.value : s.type === "path" ? `{${s.name}:path}` : `{${s.name}}`))
    .join("/");
  return "/" + body + (trailing && body !== "" ? "/" : "");
}

/** joinPaths concatenates prefixes the way the frameworks do: `/api` + `/users` → `/api/users`. */
export function joinPaths(...parts: string[]): string {
  let out = "";
  for (const p of parts) {
    if (p === "") continue;
    out = out.replace(/\/+$/, "") + (p.startsWith("/") ? p : "/" + p);
  }
  return out === "" ? "/" : out;
}

/** makeEndpoint builds an endpoint from a framework path, with parameter types from the source when known. */
export function makeEndpoint(
  method: string,
  path: string,
  syntax: Syntax,
  source: string,
  types: Record<string, ParamType> = {},
): Endpoint {
  const { segments, trailing } = parsePath(path, syntax);
  const params: Param[] = [];
  for (const s of segments) {
    if (s.kind !== "param") continue;
    if (s.type === "any" && types[s.name]) s.type = types[s.name] as ParamType;
    params.push({ name: s.name, type: s.type });
  }
  return { method: method.toUpperCase(), path: renderPath(segments, trailing), params, source };
}

/** Segments of a canonical template. */
export function canonicalSegments(path: string): { segments: Segment[]; trailing: boolean } {
  return parsePath(path, "braces");
}

/**
 * pathKey identifies a path for matching: parameter names dropped, no trailing slash. A
 * rest-of-path parameter counts as a parameter too (OpenAPI documents drop FastAPI's `:path`),
 * so `/files/{p:path}` and `/files/{p}` pair, and their types are compared instead.
 */
export function pathKey(path: string): string {
  const { segments } = canonicalSegments(path);
  return "/" + segments.map((s) => (s.kind === "literal" ? s.value : "{}")).join("/");
}

/** routeTemplate turns a canonical path into a cutover route template (`:name`, trailing `*`). */
export function routeTemplate(path: string): string {
  const { segments, trailing } = canonicalSegments(path);
  const out: string[] = [];
  const used = new Set<string>();
  for (const s of segments) {
    if (s.kind === "literal") out.push(s.value);
    else if (s.type === "path") {
      out.push("*");
      break;
    } else {
      let name = /^[A-Za-z_]\w*$/.test(s.name) ? s.name : "p";
      for (let i = 2; used.has(name); i++) name = `${s.name}${i}`;
      used.add(name);
      out.push(":" + name);
    }
  }
  const t = "/" + out.join("/");
  return trailing && out.length > 0 && out.at(-1) !== "*" ? t + "/" : t;
}
