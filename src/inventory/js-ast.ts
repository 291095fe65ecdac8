import { parse } from "@babel/parser";

/**
 * A thin, untyped view of @babel/parser's AST: the readers only look at a few node shapes
 * (calls, member expressions, string literals, exports), so they walk plain objects.
 */
export interface JsNode {
  type: string;
  loc?: { start: { line: number } };
  [key: string]: unknown;
}

export function parseJs(text: string): JsNode | undefined {
  try {
    return parse(text, {
      sourceType: "unambiguous",
      errorRecovery: true,
      plugins: ["typescript", "jsx", "decorators-legacy"],
    }) as unknown as JsNode;
  } catch {
    return undefined;
  }
}

export function isNode(v: unknown): v is JsNode {
  return typeof v === "object" && v !== null && typeof (v as { type?: unknown }).type === "string";
}

/** walk visits every node depth-first. */
export function walk(node: JsNode, visit: (n: JsNode) => void): void {
  const stack: JsNode[] = [node];
  while (stack.length) {
    const n = stack.pop() as JsNode;
    visit(n);
    for (const key of Object.keys(n)) {
      if (key === "loc" || key === "start" || key === "end" || key === "extra") continue;
      const v = n[key];
      if (Array.isArray(v)) {
        for (let i = v.length - 1; i >= 0; i--) if (isNode(v[i])) stack.push(v[i] as JsNode);
      } else if (isNode(v)) stack.push(v);
    }
  }
}

/** A string literal or a template literal without expressions. */
export function stringValue(n: unknown): string | undefined {
  if (!isNode(n)) return undefined;
  if (n.type === "StringLiteral" && typeof n.value === "string") return n.value;
  if (n.type === "TemplateLiteral" && Array.isArray(n.expressions) && n.expressions.length === 0) {
    const q = (n.quasis as JsNode[])[0];
    const cooked = (q?.value as { cooked?: string } | undefined)?.cooked;
    return typeof cooked === "string" ? cooked : undefined;
  }
  return undefined;
}

/** `a`, `a.b.c` for identifiers and member chains; undefined for anything else. */
export function dottedName(n: unknown): string | undefined {
  if (!isNode(n)) return undefined;
  if (n.type === "Identifier") return n.name as string;
  if (n.type === "MemberExpression" && !n.computed) {
    const obj = dottedName(n.object);
    const prop = isNode(n.property) && n.property.type === "Identifier" ? (n.property.name as string) : undefined;
    return obj && prop ? `${obj}.${prop}` : undefined;
  }
  return undefined;
}

export function lineOf(n: JsNode): number {
  return n.loc?.start.line ?? 0;
}
