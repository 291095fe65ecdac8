import { segmentShape } from "../route/shape.js";
import { canonicalSegments } from "./path.js";
import type { ParamType } from "./types.js";

/**
 * EndpointResolver names the endpoint a request belongs to — `GET /api/users/{id}` — so that
 * findings, rates, examples and coverage are keyed by method + endpoint template. Templates come
 * from the route inventory (OpenAPI, source) and from the config's routes; the most specific
 * template that matches wins (more literal segments, then fewer rest-of-path parameters).
 *
 * When nothing matches, the path's shape is the fallback, and it never keeps data in a template:
 * numbers, UUIDs, hex, dates, e-mail addresses, slugs, tokens and any segment with capitals,
 * digits, dots, `%` or non-ASCII become placeholders. A plain lowercase word (`settings`, `grace`)
 * cannot be told apart from a user name by its shape, so at most MAX_WORDS distinct unknown words
 * are kept per position (first come); later ones become `{str}`. An inventory removes the guess.
 */

export interface EndpointTemplate {
  /** Upper-case method, or `*` for any. */
  method: string;
  /** Canonical template (`/users/{id}`, `/files/{rest:path}`). */
  path: string;
  /** Parameter types by name, when known. */
  types?: Record<string, ParamType>;
}

type Part = { lit: string } | { type: ParamType };
interface Compiled {
  method: string;
  path: string;
  parts: Part[];
  rest: boolean;
  literals: number;
}

const TYPE_TEST: Partial<Record<ParamType, RegExp>> = {
  int: /^-?\d+$/,
  float: /^-?\d+(\.\d+)?$/,
  uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
};

export const MAX_WORDS = 32;
const MAX_PARENTS = 2000;

export class EndpointResolver {
  private readonly byLength = new Map<number, Compiled[]>();
  private readonly restTemplates: Compiled[] = [];
  private readonly known = new Set<string>();
  private readonly words = new Map<string, Set<string>>();
  /** Literal prefixes (`/api/users`) under which some template takes a parameter: no new words there. */
  private readonly paramParents = new Set<string>();
  readonly size: number;

  /** `literals`: segments known to be path words (e.g. from wildcard routes' prefixes). */
  constructor(templates: readonly EndpointTemplate[], literals: Iterable<string> = []) {
    for (const l of literals) this.known.add(l);
    const seen = new Set<string>();
    for (const t of templates) {
      const key = `${t.method} ${t.path}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const { segments } = canonicalSegments(t.path);
      const parts: Part[] = [];
      let rest = false;
      let prefix = "";
      for (const s of segments) {
        if (s.kind === "literal") {
          parts.push({ lit: s.value });
          this.known.add(s.value);
          prefix += "/" + s.value;
          continue;
        }
        this.paramParents.add(prefix);
        prefix += "/{}";
        if (s.type === "path" || t.types?.[s.name] === "path") {
          rest = true;
          break;
        }
        parts.push({ type: t.types?.[s.name] ?? "any" });
      }
      const c: Compiled = {
        method: t.method,
        path: t.path,
        parts,
        rest,
        literals: parts.filter((p) => "lit" in p).length,
      };
      if (rest) this.restTemplates.push(c);
      else {
        const list = this.byLength.get(parts.length) ?? [];
        list.push(c);
        this.byLength.set(parts.length, list);
      }
    }
    this.size = seen.size;
  }

  /** The endpoint key `METHOD /template` for a request path (query string ignored). */
  resolve(method: string, rawPath: string): string {
    const q = rawPath.indexOf("?");
    const path = q === -1 ? rawPath : rawPath.slice(0, q);
    const segs = path.split("/").filter((s) => s !== "");
    const hit = this.match(method, segs);
    return `${method} ${hit ? hit.path : this.shape(segs, path.length > 1 && path.endsWith("/"))}`;
  }

  private match(method: string, segs: string[]): Compiled | undefined {
    let best: Compiled | undefined;
    let bestScore = -1;
    const consider = (c: Compiled) => {
      if (!fits(c, segs)) return;
      // Specific beats general: literal segments, then a fixed length, then the exact method.
      const score = c.literals * 4 + (c.rest ? 0 : 2) + (c.method === method ? 1 : c.method === "*" ? 0.5 : 0);
      if (score > bestScore) {
        best = c;
        bestScore = score;
      }
    };
    for (const c of this.byLength.get(segs.length) ?? []) consider(c);
    for (const c of this.restTemplates) consider(c);
    return best;
  }

  /** The fallback: the path's shape, with data replaced by placeholders. */
  private shape(segs: string[], trailing: boolean): string {
    let out = "";
    for (const raw of segs) {
      let seg = raw;
      try {
        seg = decodeURIComponent(raw);
      } catch {
        // keep the raw form; it has a `%` and becomes a placeholder below
      }
      out += "/" + this.shapeSegment(out, seg);
    }
    return (out || "/") + (trailing && out ? "/" : "");
  }

  private shapeSegment(parent: string, seg: string): string {
    if (this.known.has(seg)) return seg;
    const shaped = segmentShape(seg);
    if (shaped !== undefined) return shaped;
    if (this.paramParents.has(parent.replace(/\/\{[a-z]+\}/g, "/{}"))) return "{str}";
    let set = this.words.get(parent);
    if (!set) {
      if (this.words.size >= MAX_PARENTS) return "{str}";
      set = new Set();
      this.words.set(parent, set);
    }
    if (set.has(seg)) return seg;
    if (set.size >= MAX_WORDS) return "{str}";
    set.add(seg);
    return seg;
  }
}

function fits(c: Compiled, segs: string[]): boolean {
  if (c.rest ? segs.length <= c.parts.length : segs.length !== c.parts.length) return false;
  for (let i = 0; i < c.parts.length; i++) {
    const p = c.parts[i] as Part;
    const s = segs[i] as string;
    if ("lit" in p) {
      if (p.lit !== s) return false;
    } else {
      const re = TYPE_TEST[p.type];
      if (re && !re.test(s)) return false;
    }
  }
  return true;
}

/** Canonical form of a cutover route template: `/users/:id` → `/users/{id}`, a trailing `*` → `{rest:path}`. */
export function canonicalRouteTemplate(source: string): string {
  return source
    .split("/")
    .map((s) => (s === "*" ? "{rest:path}" : s.startsWith(":") ? `{${s.slice(1)}}` : s))
    .join("/");
}
