import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, join, sep } from "node:path";
import { parse as parseYaml } from "yaml";
import { CutoverError } from "../errors/index.js";
import { expressEndpoints, type SourceFile } from "./express.js";
import { flaskRoutesEndpoints, isFlaskRoutesOutput } from "./flask-routes.js";
import { nextEndpoints } from "./nextjs.js";
import { isOpenApi, openApiEndpoints } from "./openapi.js";
import { fallbackFacts, type PyFile } from "./python-facts.js";
import { pythonRoutes } from "./python-routes.js";
import { PYTHON_FACTS_SCRIPT } from "./python-script.js";
import type { Inventory } from "./types.js";

/**
 * The inventory's edge: reads files, directories and URLs, runs python3 (for its `ast` module and
 * for `flask routes`), and hands text to the pure readers. A source is one of:
 *   - an http(s) URL: an OpenAPI document, or a base URL whose /openapi.json is one
 *   - `flask:<app.py or module>`: runs `python3 -m flask --app <app> routes` in the app's directory
 *   - a file: OpenAPI (.json/.yaml), saved `flask routes` output, or one source file
 *   - a directory: every Python, JavaScript and TypeScript file under it
 */

const SKIP_DIRS = new Set([
  "node_modules",
  ".git",
  ".hg",
  "__pycache__",
  ".venv",
  "venv",
  "env",
  "site-packages",
  "dist",
  "build",
  ".next",
  ".tox",
  ".mypy_cache",
  "coverage",
]);
const MAX_FILES = 5000;
const MAX_FILE_BYTES = 1 << 20;
const PY_TIMEOUT_MS = 30_000;
const FETCH_TIMEOUT_MS = 10_000;

export const PYTHON = process.env.CUTOVER_PYTHON ?? "python3";

export async function readInventory(source: string): Promise<Inventory> {
  if (/^https?:\/\//i.test(source)) return readUrl(source);
  if (source.startsWith("flask:")) return readFlaskRoutes(source.slice("flask:".length));
  if (!existsSync(source)) throw new CutoverError("CUTOVER_ERR_INVENTORY_SOURCE", `${source} does not exist`);
  if (statSync(source).isDirectory()) return readTree(source, listFiles(source));
  return readFile(source);
}

async function readUrl(url: string): Promise<Inventory> {
  const u = new URL(url);
  const target = u.pathname === "/" || u.pathname === "" ? new URL("/openapi.json", u).toString() : url;
  let text: string;
  try {
    const res = await fetch(target, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: "follow" });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    text = await res.text();
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_INVENTORY_SOURCE", `${target}: ${(err as Error).message}`, { cause: err });
  }
  const doc = parseDoc(text);
  if (!isOpenApi(doc)) throw new CutoverError("CUTOVER_ERR_INVENTORY_SOURCE", `${target} is not an OpenAPI document`);
  return { framework: "openapi", origin: target, endpoints: openApiEndpoints(doc, target), warnings: [] };
}

function parseDoc(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parseYaml(text);
    } catch {
      return undefined;
    }
  }
}

async function readFlaskRoutes(app: string): Promise<Inventory> {
  const cwd = existsSync(app) ? dirname(app) : ".";
  const target = existsSync(app) ? basename(app) : app;
  const res = await run(PYTHON, ["-m", "flask", "--app", target, "routes"], cwd, "");
  if (res.code !== 0)
    throw new CutoverError(
      "CUTOVER_ERR_INVENTORY_SOURCE",
      `flask routes failed (exit ${res.code}): ${res.stderr.trim().slice(-500)}`,
    );
  const endpoints = flaskRoutesEndpoints(res.stdout);
  return { framework: "flask", origin: `flask:${app}`, endpoints, warnings: [] };
}

function readFile(file: string): Promise<Inventory> | Inventory {
  const text = readFileSync(file, "utf8");
  if (/\.(json|ya?ml)$/i.test(file)) {
    const doc = parseDoc(text);
    if (isOpenApi(doc))
      return { framework: "openapi", origin: file, endpoints: openApiEndpoints(doc, basename(file)), warnings: [] };
    throw new CutoverError("CUTOVER_ERR_INVENTORY_SOURCE", `${file} is not an OpenAPI document`);
  }
  if (isFlaskRoutesOutput(text))
    return { framework: "flask", origin: file, endpoints: flaskRoutesEndpoints(text), warnings: [] };
  return readTree(dirname(file), [basename(file)]);
}

/** listFiles walks a tree for source files, skipping dependency and build folders; bounded. */
export function listFiles(root: string): string[] {
  const out: string[] = [];
  const stack = [""];
  while (stack.length && out.length < MAX_FILES) {
    const rel = stack.pop() as string;
    let names: string[];
    try {
      names = readdirSync(join(root, rel)).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      let st;
      try {
        st = statSync(join(root, r));
      } catch {
        continue;
      }
      if (st.isDirectory()) {
        if (!SKIP_DIRS.has(name) && !name.startsWith(".")) stack.push(r);
      } else if (/\.(py|js|jsx|ts|tsx|mjs|cjs)$/.test(name) && !name.endsWith(".d.ts") && st.size <= MAX_FILE_BYTES)
        out.push(r);
    }
  }
  return out.sort();
}

export async function readTree(root: string, files: string[]): Promise<Inventory> {
  const py = files.filter((f) => f.endsWith(".py"));
  const js = files.filter((f) => !f.endsWith(".py"));
  const warnings: string[] = [];
  const inv: Inventory = { framework: "openapi", origin: root, endpoints: [], warnings };
  let found: Inventory["framework"] | undefined;
  if (py.length) {
    const facts = await pythonFacts(root, py, warnings);
    const r = pythonRoutes(facts);
    warnings.push(...r.warnings);
    if (r.endpoints.length) {
      inv.endpoints.push(...r.endpoints);
      found = r.framework;
    }
  }
  if (js.length) {
    const sources: SourceFile[] = js.map((f) => ({
      file: f.split(sep).join("/"),
      text: readFileSync(join(root, f), "utf8"),
    }));
    const next = nextEndpoints(sources);
    const express = expressEndpoints(sources.filter((s) => /["']express["']|Router\(/.test(s.text)));
    for (const [name, r] of [
      ["nextjs", next],
      ["express", express],
    ] as const) {
      if (!r.endpoints.length) continue;
      warnings.push(...r.warnings);
      inv.endpoints.push(...r.endpoints);
      if (found && found !== name) warnings.push(`more than one framework under ${root}: ${found} and ${name}`);
      found ??= name;
    }
  }
  if (!found)
    throw new CutoverError(
      "CUTOVER_ERR_INVENTORY_SOURCE",
      `no Flask, FastAPI, Robyn, Express or Next.js endpoints found under ${root}`,
    );
  inv.framework = found;
  return inv;
}

/** pythonFacts runs the embedded ast script; files it cannot parse (or no python3) use the line reader. */
async function pythonFacts(root: string, files: string[], warnings: string[]): Promise<PyFile[]> {
  const rels = files.map((f) => f.split(sep).join("/"));
  let parsed: { files: PyFile[]; errors: { file: string; message: string }[] } | undefined;
  try {
    const res = await run(PYTHON, ["-c", PYTHON_FACTS_SCRIPT], root, JSON.stringify({ root: ".", files: rels }));
    if (res.code === 0) parsed = JSON.parse(res.stdout) as typeof parsed;
    else warnings.push(`python3 could not read the sources (exit ${res.code}); used the line reader`);
  } catch (err) {
    warnings.push(`python3 is not available (${(err as Error).message}); used the line reader`);
  }
  const out = parsed?.files ?? [];
  const done = new Set(out.map((f) => f.file));
  for (const e of parsed?.errors ?? []) warnings.push(`${e.file}: ${e.message}; used the line reader`);
  for (const rel of rels) if (!done.has(rel)) out.push(fallbackFacts(rel, readFileSync(join(root, rel), "utf8")));
  return out;
}

function run(
  cmd: string,
  args: string[],
  cwd: string,
  input: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["pipe", "pipe", "pipe"], timeout: PY_TIMEOUT_MS });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.on("error", () => undefined);
    child.stdin.end(input);
  });
}

/** readEndpointSources reads every `endpoints:` source; one that fails is reported, not fatal. */
export async function readEndpointSources(
  sources: readonly string[],
): Promise<{ endpoints: Inventory["endpoints"]; errors: string[] }> {
  const results = await Promise.allSettled(sources.map((s) => readInventory(s)));
  const endpoints: Inventory["endpoints"] = [];
  const errors: string[] = [];
  results.forEach((r, i) => {
    if (r.status === "fulfilled") endpoints.push(...r.value.endpoints);
    else errors.push(`${sources[i] ?? ""}: ${(r.reason as Error).message}`);
  });
  return { endpoints, errors };
}
