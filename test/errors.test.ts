// The error registry, docs/errors.md and the source agree (as Fastify checks its error docs).
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ERROR_CODES } from "../src/errors/codes.js";

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".ts") ? [p] : [];
  });
}

test("every registered code is documented in docs/errors.md, and nothing else is", () => {
  const doc = readFileSync("docs/errors.md", "utf8");
  const documented = new Set([...doc.matchAll(/`(CUTOVER_ERR_[A-Z_]+)`/g)].map((m) => m[1]));
  const registered = new Set(Object.keys(ERROR_CODES));
  for (const c of registered) assert.ok(documented.has(c), `${c} is not in docs/errors.md`);
  for (const c of documented)
    assert.ok(registered.has(c as string), `docs/errors.md lists ${c}, which is not registered`);
  for (const [code, e] of Object.entries(ERROR_CODES)) {
    assert.match(
      doc,
      new RegExp(`\\| \`${code}\` \\| ${e.status} \\| ${e.exit} \\|`),
      `${code}: status/exit in docs differ from the registry`,
    );
  }
});

test("every CUTOVER_ERR_ code used in the source is registered", () => {
  const registered = new Set(Object.keys(ERROR_CODES));
  for (const f of walk("src")) {
    for (const m of readFileSync(f, "utf8").matchAll(/"(CUTOVER_ERR_[A-Z_]+)"/g)) {
      assert.ok(registered.has(m[1] as string), `${f} uses unregistered ${m[1]}`);
    }
  }
});
