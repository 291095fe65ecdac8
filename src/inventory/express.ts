import { posix } from "node:path";
import { dottedName, isNode, lineOf, parseJs, stringValue, walk, type JsNode } from "./js-ast.js";
import { joinPaths, makeEndpoint } from "./path.js";
import { dedupe } from "./python-routes.js";
import type { Endpoint } from "./types.js";

/**
 * Express endpoints from source: `express()` apps and `express.Router()` routers, their
 * `get/post/put/patch/delete/all` calls and `route(path).get().post()` chains, and
 * `app.use(prefix, router)` mounts followed across files through `require`/`import`.
 */

export interface SourceFile {
  /** Path relative to the tree read, with `/` separators. */
  file: string;
  text: string;
}

const VERBS = new Set(["get", "post", "put", "patch", "delete", "head", "options", "all"]);

interface Facts {
  file: string;
  objects: Map<string, { kind: "app" | "router"; line: number }>;
  imports: Map<string, { from: string; name: string }>;
  exports: Map<string, string>; // exported name ("default" or named) → local var
  routes: { obj: string; method: string; path: string; line: number }[];
  uses: { obj: string; prefix: string; targets: { name?: string; require?: string }[]; line: number }[];
  importsExpress: boolean;
}

function requireOf(n: unknown): string | undefined {
  if (!isNode(n) || n.type !== "CallExpression" || dottedName(n.callee) !== "require") return undefined;
  return stringValue((n.arguments as unknown[])[0]);
}

function ctorKind(n: unknown): "app" | "router" | undefined {
  if (!isNode(n) || (n.type !== "CallExpression" && n.type !== "NewExpression")) return undefined;
  const callee = dottedName(n.callee);
  if (callee === "express") return "app";
  if (callee === "Router" || callee?.endsWith(".Router")) return "router";
  return undefined;
}

function factsOf(f: SourceFile, ast: JsNode): Facts {
  const facts: Facts = {
    file: f.file,
    objects: new Map(),
    imports: new Map(),
    exports: new Map(),
    routes: [],
    uses: [],
    importsExpress: /["']express["']/.test(f.text),
  };
  walk(ast, (n) => {
    if (n.type === "ImportDeclaration") {
      const from = stringValue(n.source) ?? "";
      for (const s of n.specifiers as JsNode[]) {
        const local = dottedName(s.local) ?? "";
        const name =
          s.type === "ImportSpecifier" ? (dottedName(s.imported) ?? stringValue(s.imported) ?? "") : "default";
        facts.imports.set(local, { from, name });
      }
    } else if (n.type === "VariableDeclarator") {
      const id = n.id as JsNode;
      const kind = ctorKind(n.init);
      const req = requireOf(n.init);
      if (id.type === "Identifier" && kind) facts.objects.set(id.name as string, { kind, line: lineOf(n) });
      else if (id.type === "Identifier" && req) facts.imports.set(id.name as string, { from: req, name: "default" });
      else if (id.type === "ObjectPattern" && req)
        for (const p of id.properties as JsNode[])
          if (p.type === "ObjectProperty")
            facts.imports.set(dottedName(p.value) ?? "", { from: req, name: dottedName(p.key) ?? "" });
    } else if (n.type === "ExportDefaultDeclaration") {
      const name = dottedName(n.declaration);
      if (name) facts.exports.set("default", name);
    } else if (n.type === "ExportNamedDeclaration") {
      const decl = n.declaration as JsNode | null;
      if (decl?.type === "VariableDeclaration")
        for (const d of decl.declarations as JsNode[]) {
          const name = dottedName(d.id);
          if (name) facts.exports.set(name, name);
        }
      for (const s of (n.specifiers as JsNode[] | undefined) ?? [])
        facts.exports.set(dottedName(s.exported) ?? "", dottedName(s.local) ?? "");
    } else if (n.type === "AssignmentExpression") {
      const left = dottedName(n.left);
      const right = dottedName(n.right);
      if (left === "module.exports" && right) facts.exports.set("default", right);
      else if (left && right && /^(module\.)?exports\.\w+$/.test(left))
        facts.exports.set(left.split(".").at(-1) ?? "", right);
    } else if (n.type === "CallExpression" && isNode(n.callee) && n.callee.type === "MemberExpression") {
      callFacts(n, facts);
    }
  });
  return facts;
}

function callFacts(n: JsNode, facts: Facts): void {
  const callee = n.callee as JsNode;
  const method = dottedName(callee.property);
  const args = n.arguments as unknown[];
  if (!method) return;
  if (VERBS.has(method)) {
    // app.get(path, ...) or app.route(path).get(...).post(...)
    const obj = dottedName(callee.object);
    const path = stringValue(args[0]);
    if (obj && path !== undefined && args.length >= 2) facts.routes.push({ obj, method, path, line: lineOf(n) });
    let inner: unknown = callee.object;
    while (isNode(inner) && inner.type === "CallExpression") {
      const ic = inner.callee as JsNode;
      if (isNode(ic) && ic.type === "MemberExpression" && dottedName(ic.property) === "route") {
        const o = dottedName(ic.object);
        const p = stringValue((inner.arguments as unknown[])[0]);
        if (o && p !== undefined) facts.routes.push({ obj: o, method, path: p, line: lineOf(n) });
        break;
      }
      inner = isNode(ic) && ic.type === "MemberExpression" ? ic.object : undefined;
    }
  } else if (method === "use") {
    const obj = dottedName(callee.object);
    if (!obj) return;
    const prefix = stringValue(args[0]);
    const rest = prefix === undefined ? args : args.slice(1);
    const targets = rest.map((a) => ({ name: dottedName(a), require: requireOf(a) }));
    facts.uses.push({ obj, prefix: prefix ?? "", targets, line: lineOf(n) });
  }
}

/** Express routing is not strict by default: `/users` and `/users/` are the same route. */
function nonStrict(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}

const EXTS = ["", ".js", ".ts", ".mjs", ".cjs", ".jsx", ".tsx", "/index.js", "/index.ts"];

export function expressEndpoints(files: readonly SourceFile[]): { endpoints: Endpoint[]; warnings: string[] } {
  const warnings: string[] = [];
  const all = new Map<string, Facts>();
  for (const f of files) {
    const ast = parseJs(f.text);
    if (ast) all.set(f.file, factsOf(f, ast));
    else warnings.push(`${f.file}: cannot be parsed as JavaScript/TypeScript`);
  }
  const fileFor = (from: string, spec: string): Facts | undefined => {
    if (!spec.startsWith(".")) return undefined;
    const base = posix.normalize(posix.join(posix.dirname(from), spec));
    for (const e of EXTS) {
      const hit = all.get(base + e);
      if (hit) return hit;
    }
    return undefined;
  };
  type Ref = { facts: Facts; name: string };
  const resolve = (facts: Facts, name: string, depth = 0): Ref | undefined => {
    if (depth > 6) return undefined;
    if (facts.objects.has(name)) return { facts, name };
    const imp = facts.imports.get(name);
    if (!imp) return undefined;
    const target = fileFor(facts.file, imp.from);
    return target ? resolveExport(target, imp.name, depth + 1) : undefined;
  };
  const resolveExport = (facts: Facts, exported: string, depth: number): Ref | undefined => {
    const local = facts.exports.get(exported) ?? (exported !== "default" ? exported : undefined);
    return local ? resolve(facts, local, depth) : undefined;
  };

  const key = (r: Ref) => `${r.facts.file}::${r.name}`;
  const mounts = new Map<string, { parent: Ref; prefix: string }[]>();
  for (const facts of all.values())
    for (const u of facts.uses) {
      const parent = resolve(facts, u.obj);
      if (!parent) continue;
      for (const t of u.targets) {
        const child = t.name
          ? resolve(facts, t.name)
          : t.require
            ? ((tf) => (tf ? resolveExport(tf, "default", 1) : undefined))(fileFor(facts.file, t.require))
            : undefined;
        if (!child) continue;
        const list = mounts.get(key(child)) ?? [];
        list.push({ parent, prefix: u.prefix });
        mounts.set(key(child), list);
      }
    }
  const prefixes = (r: Ref, depth = 0): string[] => {
    if (r.facts.objects.get(r.name)?.kind === "app") return [""];
    const ms = mounts.get(key(r));
    if (!ms || depth > 8) {
      if (depth === 0) warnings.push(`${r.facts.file}: router ${r.name} is never mounted; listed without a prefix`);
      return [""];
    }
    return ms.flatMap((m) => prefixes(m.parent, depth + 1).map((p) => joinPaths(p, m.prefix)));
  };

  const endpoints: Endpoint[] = [];
  for (const facts of all.values())
    for (const route of facts.routes) {
      const ref = resolve(facts, route.obj);
      if (!ref && !facts.importsExpress) continue;
      if (!ref && !/^(app|router|\w*Router|api)$/.test(route.obj)) continue;
      const method = route.method === "all" ? "*" : route.method.toUpperCase();
      for (const p of ref ? prefixes(ref) : [""])
        endpoints.push(
          makeEndpoint(method, nonStrict(joinPaths(p, route.path)), "colon", `${facts.file}:${route.line}`),
        );
    }
  return { endpoints: dedupe(endpoints), warnings };
}
