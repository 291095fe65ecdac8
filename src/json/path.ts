/**
 * JSON paths, written the way people read them: `$.user.id`, `$.items[3].id`, `$["odd key"]`.
 *
 * Patterns (config `diff.ignore.paths`, `diff.redact.paths`) use explicit wildcards only:
 * `[*]` / `.*` match one segment, `..name` matches `name` at any depth. There is deliberately no
 * substring matching: Keploy's substring noise keys (`items.id` also silencing
 * `items.idempotency_key`, keploy noisepath.go) show how that hides real differences.
 */

/** One step of a concrete path: an object key or an array index. */
export type Segment = string | number;

type Token =
  | { t: "key"; k: string }
  | { t: "index"; i: number }
  | { t: "any" } // [*] or .*
  | { t: "descend" }; // ..: zero or more segments

export interface PathPattern {
  readonly source: string;
  readonly tokens: readonly Token[];
  /** Number of segments a match has, or -1 when the pattern contains `..`. */
  readonly fixedLength: number;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Appends one segment to a path string; `folded` writes list indexes as `[*]`. */
export function appendSegment(path: string, seg: Segment, folded: boolean): string {
  if (typeof seg === "number") return folded ? `${path}[*]` : `${path}[${seg}]`;
  return IDENT.test(seg) ? `${path}.${seg}` : `${path}[${JSON.stringify(seg)}]`;
}

/** Formats the first `depth` segments as a path (`$.items[3].id`) or group path (`$.items[*].id`). */
export function formatPath(segs: readonly Segment[], depth: number, folded: boolean): string {
  let out = "$";
  for (let i = 0; i < depth; i++) out = appendSegment(out, segs[i] ?? "", folded);
  return out;
}

/** Compiles a pattern, or explains why it is not one (for config validation). */
export function compilePathPattern(source: string): PathPattern | { error: string } {
  const s = source.trim();
  if (!s.startsWith("$")) return { error: `"${source}" must start with $` };
  const tokens: Token[] = [];
  let i = 1;
  while (i < s.length) {
    if (s.startsWith("..", i)) {
      tokens.push({ t: "descend" });
      i += 2;
      if (i >= s.length) return { error: `"${source}" ends with ..` };
      if (s[i] === "[") continue;
      i = readName(s, i, tokens);
      if (i < 0) return { error: `"${source}" has an empty name after ..` };
    } else if (s[i] === ".") {
      i = readName(s, i + 1, tokens);
      if (i < 0) return { error: `"${source}" has an empty name after .` };
    } else if (s[i] === "[") {
      const end = bracketEnd(s, i);
      if (end < 0) return { error: `"${source}" has an unclosed [` };
      const inner = s.slice(i + 1, end);
      if (inner === "*") tokens.push({ t: "any" });
      else if (/^\d+$/.test(inner)) tokens.push({ t: "index", i: Number(inner) });
      else if (inner.startsWith('"')) {
        try {
          tokens.push({ t: "key", k: String(JSON.parse(inner)) });
        } catch {
          return { error: `"${source}" has a badly quoted key ${inner}` };
        }
      } else return { error: `"${source}" has [${inner}]: use [n], [*] or ["key"]` };
      i = end + 1;
    } else return { error: `"${source}" has an unexpected "${s[i] ?? ""}" at ${i}` };
  }
  const fixedLength = tokens.some((t) => t.t === "descend") ? -1 : tokens.length;
  return { source, tokens, fixedLength };
}

function readName(s: string, from: number, tokens: Token[]): number {
  let j = from;
  while (j < s.length && s[j] !== "." && s[j] !== "[") j++;
  const name = s.slice(from, j);
  if (name === "") return -1;
  tokens.push(name === "*" ? { t: "any" } : { t: "key", k: name });
  return j;
}

function bracketEnd(s: string, open: number): number {
  let inString = false;
  for (let j = open + 1; j < s.length; j++) {
    const c = s[j];
    if (inString) {
      if (c === "\\") j++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === "]") return j;
  }
  return -1;
}

/** Compiles every valid pattern; invalid ones are reported by config validation (compilePathPattern). */
export function compilePathPatterns(sources: readonly string[]): PathPattern[] {
  const out: PathPattern[] = [];
  for (const s of sources) {
    const p = compilePathPattern(s);
    if ("tokens" in p) out.push(p);
  }
  return out;
}

function tokenMatches(tok: Token, seg: Segment): boolean {
  switch (tok.t) {
    case "any":
      return true;
    case "key":
      return typeof seg === "string" && seg === tok.k;
    case "index":
      return seg === tok.i;
    case "descend":
      return false;
  }
}

function matchFrom(tokens: readonly Token[], ti: number, segs: readonly Segment[], si: number, end: number): boolean {
  for (;;) {
    const tok = tokens[ti];
    if (tok === undefined) return si === end;
    if (tok.t === "descend") {
      for (let k = si; k <= end; k++) if (matchFrom(tokens, ti + 1, segs, k, end)) return true;
      return false;
    }
    if (si >= end) return false;
    const seg = segs[si];
    if (seg === undefined || !tokenMatches(tok, seg)) return false;
    ti++;
    si++;
  }
}

/**
 * True when some pattern matches the path `segs[0..depth)` exactly. Callers check every node on
 * the way down and skip the subtree under a match, which gives "this path and everything below".
 */
export function matchesAt(patterns: readonly PathPattern[], segs: readonly Segment[], depth: number): boolean {
  const last = segs[depth - 1];
  for (const p of patterns) {
    if (p.fixedLength !== -1 && p.fixedLength !== depth) continue;
    const lastTok = p.tokens[p.tokens.length - 1];
    // Cheap rejection before the full match: the last token must accept the last segment.
    if (depth > 0 && lastTok !== undefined && last !== undefined && !tokenMatches(lastTok, last)) continue;
    if (matchFrom(p.tokens, 0, segs, 0, depth)) return true;
  }
  return false;
}

/** Depths below this are looked up in an ignore mask; deeper ones are always checked. */
export const MASK_DEPTHS = 256;

/**
 * Which depths some pattern can match at (1 = check), so the walk skips the matcher at every
 * other depth: `$.meta.request_id` can only match at depth 2, `$..trace_id` at depth ≥ 1.
 */
export function depthMask(patterns: readonly PathPattern[]): Uint8Array {
  const mask = new Uint8Array(MASK_DEPTHS);
  for (const p of patterns) {
    if (p.fixedLength !== -1) {
      if (p.fixedLength < MASK_DEPTHS) mask[p.fixedLength] = 1;
      continue;
    }
    const min = p.tokens.filter((t) => t.t !== "descend").length;
    mask.fill(1, Math.min(min, MASK_DEPTHS));
  }
  return mask;
}

/** True when a pattern matches the path or one of its ancestors ("this path and everything below"). */
export function matchesPathOrAncestor(patterns: readonly PathPattern[], segs: readonly Segment[]): boolean {
  for (let d = 0; d <= segs.length; d++) if (matchesAt(patterns, segs, d)) return true;
  return false;
}
