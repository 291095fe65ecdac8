import { readFileSync } from "node:fs";
import { LineCounter, parseDocument, isNode } from "yaml";
import { CutoverError, type Problem } from "../errors/index.js";
import { configSchema, type Config } from "./schema.js";
import { semanticProblems } from "./semantic.js";

export interface LoadResult {
  config?: Config;
  problems: Problem[];
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const PLACEHOLDER = "cutoverenv";
const PLACEHOLDER_REF = /cutoverenv@(\d+)@_*/g;

/**
 * parseConfig validates configuration text (YAML or JSON, which is YAML) and reports every
 * problem with its path and line. `${NAME}` and `${NAME:-default}` in string values are replaced
 * from `env`; interpolation happens after parsing, so a secret can never inject YAML.
 */
export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env): LoadResult {
  // `${…}` is YAML syntax inside flow maps (`{ token: ${TOKEN} }`), so references become inert
  // placeholders of the same length (lines and columns stay true) and are resolved after parsing.
  const refs: string[] = [];
  const safe = text.replace(ENV_REF, (m) => {
    const id = `@${refs.push(m) - 1}@`;
    return PLACEHOLDER + id.padEnd(m.length - PLACEHOLDER.length, "_");
  });
  const lineCounter = new LineCounter();
  const doc = parseDocument(safe, { lineCounter, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length) {
    return {
      problems: doc.errors.map((e) => ({
        path: "",
        message: (e.message.split("\n")[0] ?? e.message).replace(/ at line \d+, column \d+:$/, ""),
        line: e.linePos?.[0]?.line,
      })),
    };
  }
  const lineOf = (path: readonly PropertyKey[]): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    }
    return undefined;
  };

  const problems: Problem[] = [];
  const raw = interpolate(doc.toJS() as unknown, [], env, refs, (path, name) =>
    problems.push({ path: fmtPath(path), message: `environment variable ${name} is not set`, line: lineOf(path) }),
  );
  if (problems.length) return { problems };

  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map((i) => ({ path: fmtPath(i.path), message: i.message, line: lineOf(i.path) })),
    };
  }
  const semantic = semanticProblems(parsed.data).map((p) => ({ ...p, line: lineOf(splitPath(p.path)) }));
  if (semantic.length) return { problems: semantic };
  return { config: parsed.data, problems: [] };
}

/** loadConfig reads and validates a file, throwing a CutoverError that lists every problem. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_CONFIG_NOT_FOUND", file, { cause: err });
  }
  const res = parseConfig(text, env);
  if (!res.config) {
    const code = res.problems.some((p) => p.message.startsWith("environment variable"))
      ? "CUTOVER_ERR_CONFIG_ENV"
      : res.problems.every((p) => p.path === "")
        ? "CUTOVER_ERR_CONFIG_PARSE"
        : "CUTOVER_ERR_CONFIG_INVALID";
    throw new CutoverError(code, `${file}: ${res.problems.length} problem(s)`, { problems: res.problems });
  }
  return res.config;
}

function interpolate(
  v: unknown,
  path: PropertyKey[],
  env: NodeJS.ProcessEnv,
  refs: readonly string[],
  missing: (path: PropertyKey[], name: string) => void,
): unknown {
  if (typeof v === "string") {
    const restored = v.replace(PLACEHOLDER_REF, (_m, i: string) => refs[Number(i)] ?? "");
    return restored.replace(ENV_REF, (_m, name: string, def: string | undefined) => {
      const val = env[name];
      if (val !== undefined && val !== "") return val;
      if (def !== undefined) return def;
      missing(path, name);
      return "";
    });
  }
  if (Array.isArray(v)) return v.map((x, i) => interpolate(x, [...path, i], env, refs, missing));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolate(x, [...path, k], env, refs, missing)]));
  }
  return v;
}

function fmtPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("");
}

function splitPath(p: string): PropertyKey[] {
  return p
    .split(/\.|\[(\d+)\]/)
    .filter((s): s is string => Boolean(s))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}
