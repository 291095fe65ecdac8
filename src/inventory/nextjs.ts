import type { SourceFile } from "./express.js";
import { dottedName, isNode, parseJs, stringValue, walk, type JsNode } from "./js-ast.js";
import { makeEndpoint } from "./path.js";
import type { Endpoint } from "./types.js";

/**
 * Next.js API routes from the file tree: `pages/api/**` (one handler for every method, narrowed
 * by `req.method === "POST"` tests or `switch (req.method)` cases when the handler has them) and
 * `app/**\/route.{js,ts}` (one endpoint per exported GET/POST/PUT/PATCH/DELETE/HEAD/OPTIONS).
 * `[id]` is a parameter, `[...slug]` and `[[...slug]]` take the rest of the path, `(group)`
 * folders and `@slot` folders are not part of the URL, `_private` folders are not routed.
 */

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];
const CODE = /\.(js|jsx|ts|tsx|mjs)$/;

/** The file's URL path, or undefined when the file is not an API route. */
export function nextRoutePath(file: string): { path: string; kind: "pages" | "app" } | undefined {
  const parts = file.split("/");
  const at = parts.findIndex((p, i) => (p === "pages" && parts[i + 1] === "api") || p === "app");
  if (at === -1 || !CODE.test(file)) return undefined;
  const kind = parts[at] === "pages" ? "pages" : "app";
  const rest = parts.slice(at + 1);
  const last = (rest.pop() ?? "").replace(CODE, "");
  if (kind === "app" && last !== "route") return undefined;
  if (kind === "pages" && last !== "index") rest.push(last);
  if (rest.some((p) => p.startsWith("_"))) return undefined;
  const segs = rest.filter((p) => !(p.startsWith("(") && p.endsWith(")")) && !p.startsWith("@"));
  return { path: "/" + segs.join("/"), kind };
}

function exportedMethods(ast: JsNode): string[] {
  const found = new Set<string>();
  walk(ast, (n) => {
    if (n.type !== "ExportNamedDeclaration") return;
    const decl = n.declaration as JsNode | null;
    if (decl?.type === "FunctionDeclaration") found.add(dottedName(decl.id) ?? "");
    if (decl?.type === "VariableDeclaration")
      for (const d of decl.declarations as JsNode[]) found.add(dottedName(d.id) ?? "");
    for (const s of (n.specifiers as JsNode[] | undefined) ?? []) found.add(dottedName(s.exported) ?? "");
  });
  return METHODS.filter((m) => found.has(m));
}

function testedMethods(ast: JsNode): string[] {
  const found = new Set<string>();
  const isMethodRef = (n: unknown) => /(^|\.)method$/.test(dottedName(n) ?? "");
  walk(ast, (n) => {
    if (n.type === "BinaryExpression" && /^[!=]==?$/.test(n.operator as string)) {
      const v = isMethodRef(n.left) ? stringValue(n.right) : isMethodRef(n.right) ? stringValue(n.left) : undefined;
      if (v && n.operator === "===") found.add(v.toUpperCase());
      else if (v && n.operator === "==") found.add(v.toUpperCase());
    } else if (n.type === "SwitchStatement" && isMethodRef(n.discriminant)) {
      for (const c of n.cases as JsNode[]) {
        const v = stringValue(c.test);
        if (v) found.add(v.toUpperCase());
      }
    } else if (
      n.type === "CallExpression" &&
      isNode(n.callee) &&
      n.callee.type === "MemberExpression" &&
      dottedName(n.callee.property) === "includes"
    ) {
      const arr = n.callee.object as JsNode;
      if (arr.type === "ArrayExpression" && isMethodRef((n.arguments as unknown[])[0]))
        for (const e of arr.elements as unknown[]) {
          const v = stringValue(e);
          if (v) found.add(v.toUpperCase());
        }
    }
  });
  return METHODS.filter((m) => found.has(m));
}

export function nextEndpoints(files: readonly SourceFile[]): { endpoints: Endpoint[]; warnings: string[] } {
  const endpoints: Endpoint[] = [];
  const warnings: string[] = [];
  for (const f of files) {
    const route = nextRoutePath(f.file);
    if (!route) continue;
    const ast = parseJs(f.text);
    if (!ast) {
      warnings.push(`${f.file}: cannot be parsed as JavaScript/TypeScript`);
      continue;
    }
    const methods = route.kind === "app" ? exportedMethods(ast) : testedMethods(ast);
    if (route.kind === "app" && methods.length === 0) warnings.push(`${f.file}: exports no HTTP method handler`);
    for (const m of route.kind === "pages" && methods.length === 0 ? ["*"] : methods)
      endpoints.push(makeEndpoint(m, route.path, "next", f.file));
  }
  return { endpoints, warnings };
}
