// Pretty-printing a JSON body into lines, each with its JSON path, so the diff view can highlight
// the paths a difference names. Numbers keep their source text (an id above 2^53 keeps its digits,
// as the gateway's lossless diff does); paths are written as the diff engine writes them:
// `$.user.id`, `$.items[3]`, `$["odd key"]`.

export type JsonNode =
  | { t: "obj"; entries: [string, JsonNode][] }
  | { t: "arr"; items: JsonNode[] }
  | { t: "str"; raw: string; value: string }
  | { t: "num" | "lit"; raw: string };

export function parseJson(text: string): JsonNode {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && " \t\n\r".includes(text[i] ?? "")) i++;
  };
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at ${i}`);
  };
  const str = (): { raw: string; value: string } => {
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
    if (i >= text.length) fail("unterminated string");
    i++;
    const raw = text.slice(start, i);
    return { raw, value: JSON.parse(raw) as string };
  };
  const value = (): JsonNode => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: [string, JsonNode][] = [];
      ws();
      if (text[i] === "}") {
        i++;
        return { t: "obj", entries };
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a key");
        const k = str().value;
        ws();
        if (text[i] !== ":") fail("expected :");
        i++;
        entries.push([k, value()]);
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return { t: "obj", entries };
        } else fail("expected , or }");
      }
    }
    if (c === "[") {
      i++;
      const items: JsonNode[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return { t: "arr", items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return { t: "arr", items };
        } else fail("expected , or ]");
      }
    }
    if (c === '"') return { t: "str", ...str() };
    const m = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (m) {
      i += m[0].length;
      return { t: "num", raw: m[0] };
    }
    for (const lit of ["true", "false", "null"]) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return { t: "lit", raw: lit };
      }
    }
    return fail("unexpected character");
  };
  const out = value();
  ws();
  if (i !== text.length) fail("trailing text");
  return out;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function childPath(path: string, seg: string | number): string {
  if (typeof seg === "number") return `${path}[${seg}]`;
  return IDENT.test(seg) ? `${path}.${seg}` : `${path}[${JSON.stringify(seg)}]`;
}

export interface JsonLine {
  depth: number;
  path: string;
  key?: string;
  /** The scalar, or the opening / closing bracket. */
  text: string;
  kind: "str" | "num" | "lit" | "open" | "close";
  redacted?: boolean;
  comma: boolean;
}

/** lines lays a parsed body out one value per line (two-space indent). */
export function lines(node: JsonNode): JsonLine[] {
  const out: JsonLine[] = [];
  const walk = (n: JsonNode, path: string, depth: number, key: string | undefined, comma: boolean): void => {
    const k = key === undefined ? {} : { key };
    if (n.t === "obj" || n.t === "arr") {
      const [o, c] = n.t === "obj" ? ["{", "}"] : ["[", "]"];
      const kids: [string | number, JsonNode][] =
        n.t === "obj" ? n.entries : n.items.map((x, idx): [number, JsonNode] => [idx, x]);
      if (kids.length === 0) {
        out.push({ depth, path, ...k, text: o + c, kind: "open", comma });
        return;
      }
      out.push({ depth, path, ...k, text: o, kind: "open", comma: false });
      kids.forEach(([seg, child], idx) =>
        walk(child, childPath(path, seg), depth + 1, typeof seg === "string" ? seg : undefined, idx < kids.length - 1),
      );
      out.push({ depth, path, text: c, kind: "close", comma });
      return;
    }
    const redacted = n.t === "str" && /^\[redacted[^\]]*\]$/.test(n.value);
    out.push({ depth, path, ...k, text: n.raw, kind: n.t, comma, ...(redacted ? { redacted } : {}) });
  };
  walk(node, "$", 0, undefined, false);
  return out;
}

/** True when `path` is one of `marked` or lies under one of them. */
export function isMarked(path: string, marked: ReadonlySet<string>): boolean {
  if (marked.has(path)) return true;
  for (const m of marked) if (path.startsWith(`${m}.`) || path.startsWith(`${m}[`)) return true;
  return false;
}
