/**
 * Facts about Python sources that the route readers need, as python-script.ts prints them — and a
 * line-based fallback that extracts the same facts without Python (no python3, or a file Python
 * cannot parse). The fallback understands single-line decorators and calls only.
 */

/** A Python value: a literal as JSON, or a reference the reader resolves later. */
export type PyValue =
  | string
  | number
  | boolean
  | null
  | PyValue[]
  | { $name: string }
  | { $call: string; args: PyValue[] }
  | { $add: PyValue[] }
  | { $expr: string };

export interface PyCallFacts {
  args: PyValue[];
  kwargs: Record<string, PyValue>;
  line: number;
}
export interface PyObject extends PyCallFacts {
  var: string;
  ctor: string;
  /** The function it is created in (an app factory), if any. */
  scope?: string | null;
}
export interface PyRoute extends PyCallFacts {
  obj: string;
  attr: string;
  func: string;
  annotations: Record<string, string>;
}
export interface PyCall extends PyCallFacts {
  obj: string;
  attr: string;
}
export interface PyImport {
  module: string;
  name: string | null;
  alias: string;
}
export interface PyFile {
  file: string;
  module: string;
  imports: PyImport[];
  consts: Record<string, unknown>;
  objects: PyObject[];
  routes: PyRoute[];
  calls: PyCall[];
  classes: Record<string, string[]>;
}

const CTORS = "Flask|Blueprint|FastAPI|APIRouter|Robyn|SubRouter|Quart";
const ROUTE_ATTRS = "route|get|post|put|patch|delete|head|options|api_route|websocket";
const CALLS = "register_blueprint|include_router|add_url_rule|add_api_route|add_route";

/** Literal-ish arguments of a one-line call: strings, lists of strings, numbers, names. */
function parseArgs(text: string): { args: PyValue[]; kwargs: Record<string, PyValue> } {
  const args: PyValue[] = [];
  const kwargs: Record<string, PyValue> = {};
  const re = /\s*(?:(\w+)\s*=\s*)?("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\[[^\]]*\]|\([^)]*\)|[\w.]+)\s*,?/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) && m[0] !== "") {
    const v = literal(m[2] as string);
    if (m[1]) kwargs[m[1]] = v;
    else args.push(v);
  }
  return { args, kwargs };
}

function literal(t: string): PyValue {
  if (/^["']/.test(t)) return t.slice(1, -1);
  if (/^[[(]/.test(t))
    return [...t.slice(1, -1).matchAll(/"([^"]*)"|'([^']*)'|([\w.]+)/g)].map((m) =>
      m[3] !== undefined ? { $name: m[3] } : (m[1] ?? m[2] ?? ""),
    );
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  if (t === "None") return null;
  if (t === "True" || t === "False") return t === "True";
  return { $name: t };
}

function annotationsOf(sig: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of sig.matchAll(/(\w+)\s*:\s*([\w.]+)/g)) out[m[1] as string] = m[2] as string;
  return out;
}

/** fallbackFacts reads one Python file line by line. */
export function fallbackFacts(file: string, text: string): PyFile {
  const mod = file
    .replace(/\.py$/, "")
    .replace(/\//g, ".")
    .replace(/\.__init__$/, "");
  const pkg = file.endsWith("__init__.py") ? mod : mod.includes(".") ? mod.slice(0, mod.lastIndexOf(".")) : "";
  const out: PyFile = { file, module: mod, imports: [], consts: {}, objects: [], routes: [], calls: [], classes: {} };
  const lines = text.split("\n");
  let pending: PyRoute[] = [];
  lines.forEach((raw, i) => {
    const line = raw.replace(/#.*$/, "");
    const n = i + 1;
    let m: RegExpExecArray | null;
    if ((m = /^\s*from\s+(\.*)([\w.]*)\s+import\s+\(?([\w\s,]+)\)?/.exec(line))) {
      const dots = (m[1] as string).length;
      let base = m[2] as string;
      if (dots) {
        const parts = pkg ? pkg.split(".") : [];
        base = [...parts.slice(0, parts.length - (dots - 1)), ...(base ? [base] : [])].join(".");
      }
      for (const part of (m[3] as string).split(",")) {
        const [name, alias] = part.trim().split(/\s+as\s+/);
        if (name) out.imports.push({ module: base, name, alias: alias ?? name });
      }
    } else if ((m = /^\s*import\s+([\w.]+)(?:\s+as\s+(\w+))?/.exec(line))) {
      out.imports.push({ module: m[1] as string, name: null, alias: m[2] ?? (m[1] as string) });
    } else if ((m = new RegExp(`^\\s*([\\w.]+)\\s*=\\s*(?:[\\w.]*\\.)?(${CTORS})\\((.*)\\)\\s*$`).exec(line))) {
      out.objects.push({ var: m[1] as string, ctor: m[2] as string, line: n, ...parseArgs(m[3] as string) });
    } else if ((m = /^([A-Z_][A-Z0-9_]*)\s*=\s*(\[[^\]]*\]|\([^)]*\)|"[^"]*"|'[^']*')\s*$/.exec(line))) {
      out.consts[m[1] as string] = literal(m[2] as string);
    } else if ((m = new RegExp(`^\\s*@([\\w.]+)\\.(${ROUTE_ATTRS})\\((.*)\\)\\s*$`).exec(line))) {
      pending.push({
        obj: m[1] as string,
        attr: m[2] as string,
        line: n,
        func: "",
        annotations: {},
        ...parseArgs(m[3] as string),
      });
    } else if ((m = /^\s*(?:async\s+)?def\s+(\w+)\s*\((.*)/.exec(line))) {
      for (const r of pending)
        out.routes.push({ ...r, func: m[1] as string, annotations: annotationsOf(m[2] as string) });
      pending = [];
    } else if ((m = /^\s*class\s+(\w+)/.exec(line))) {
      const body: string[] = [];
      for (let j = i + 1; j < lines.length && !/^\S/.test(lines[j] ?? ""); j++) {
        const d = /^\s+(?:async\s+)?def\s+(get|post|put|patch|delete)\s*\(/.exec(lines[j] ?? "");
        if (d) body.push((d[1] as string).toUpperCase());
      }
      out.classes[m[1] as string] = body;
    }
    if ((m = new RegExp(`([\\w.]+)\\.(${CALLS})\\((.*)\\)`).exec(line)) && !/^\s*@/.test(line)) {
      out.calls.push({ obj: m[1] as string, attr: m[2] as string, line: n, ...parseArgs(m[3] as string) });
    }
  });
  return out;
}
