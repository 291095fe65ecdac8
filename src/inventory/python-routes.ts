import { joinPaths, makeEndpoint, type Syntax } from "./path.js";
import type { PyFile, PyObject, PyValue } from "./python-facts.js";
import type { Endpoint, InventoryFramework, ParamType } from "./types.js";

/**
 * Endpoints of a Flask, FastAPI or Robyn application from the facts of its source files: routers
 * and blueprints are followed through imports, their prefixes composed the way each framework
 * does (Flask: `register_blueprint(url_prefix=)` replaces the blueprint's own; FastAPI:
 * `include_router(prefix=)` + `APIRouter(prefix=)`; Robyn: `SubRouter(__file__, prefix=)`).
 */

const ROOTS = new Set(["Flask", "FastAPI", "Robyn", "Quart"]);
const FAMILY: Record<string, "flask" | "fastapi" | "robyn"> = {
  Flask: "flask",
  Quart: "flask",
  Blueprint: "flask",
  FastAPI: "fastapi",
  APIRouter: "fastapi",
  Robyn: "robyn",
  SubRouter: "robyn",
};
const SYNTAX: Record<"flask" | "fastapi" | "robyn", Syntax> = { flask: "flask", fastapi: "braces", robyn: "colon" };
const VERBS = new Set(["get", "post", "put", "patch", "delete", "head", "options"]);

interface Obj {
  id: string;
  file: PyFile;
  def: PyObject;
  family: "flask" | "fastapi" | "robyn";
}
interface Mount {
  parent: Obj;
  prefix: string | undefined;
}

export interface PythonRoutes {
  framework: InventoryFramework | undefined;
  endpoints: Endpoint[];
  warnings: string[];
}

const ANNOTATION_TYPES: Record<string, ParamType> = {
  int: "int",
  float: "float",
  str: "str",
  UUID: "uuid",
  "uuid.UUID": "uuid",
  Path: "path",
};

export function pythonRoutes(files: readonly PyFile[]): PythonRoutes {
  const warnings: string[] = [];
  const byModule = new Map(files.map((f) => [f.module, f]));
  const objects = new Map<string, Obj>();
  for (const f of files)
    for (const d of f.objects) {
      const family = FAMILY[d.ctor];
      if (family) objects.set(`${f.file}::${d.var}`, { id: `${f.file}::${d.var}`, file: f, def: d, family });
    }

  const moduleFile = (mod: string): PyFile | undefined =>
    byModule.get(mod) ?? files.find((f) => f.module.endsWith("." + mod) || mod.endsWith("." + f.module));

  const resolve = (file: PyFile, name: string, depth = 0): Obj | undefined => {
    if (depth > 6) return undefined;
    const local = objects.get(`${file.file}::${name}`);
    if (local) return local;
    const [head, ...rest] = name.split(".");
    for (const imp of file.imports) {
      if (imp.alias !== head) continue;
      if (rest.length === 0 && imp.name !== null) {
        const target = moduleFile(imp.module);
        const found = target && target !== file ? resolve(target, imp.name, depth + 1) : undefined;
        if (found) return found;
      }
      if (rest.length > 0) {
        const mod = imp.name === null ? imp.module : `${imp.module}.${imp.name}`;
        const target = moduleFile(mod);
        if (target) return resolve(target, rest.join("."), depth + 1);
      }
    }
    const last = name.split(".").at(-1);
    const same = [...objects.values()].filter((o) => o.def.var === last);
    return same.length === 1 ? same[0] : undefined;
  };

  // register_blueprint(create_shop()): the one blueprint/router that function creates.
  const fromFactory = (fn: string): Obj | undefined => {
    const name = fn.split(".").at(-1);
    const made = [...objects.values()].filter((o) => o.def.scope === name && !ROOTS.has(o.def.ctor));
    return made.length === 1 ? made[0] : undefined;
  };

  const str = (file: PyFile, v: PyValue | undefined): string | undefined => {
    if (typeof v === "string") return v;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      if ("$add" in v) {
        const parts = v.$add.map((p) => str(file, p));
        return parts.every((p) => p !== undefined) ? parts.join("") : undefined;
      }
      if ("$name" in v) {
        const c = file.consts[v.$name];
        return typeof c === "string" ? c : undefined;
      }
    }
    return undefined;
  };
  const list = (file: PyFile, v: PyValue | undefined): string[] | undefined => {
    if (Array.isArray(v)) return v.map((x) => str(file, x)).filter((x): x is string => x !== undefined);
    if (v && typeof v === "object" && "$name" in v) {
      const c = file.consts[v.$name];
      if (Array.isArray(c)) return c.filter((x): x is string => typeof x === "string");
    }
    return undefined;
  };

  const mounts = new Map<string, Mount[]>();
  for (const f of files)
    for (const c of f.calls) {
      if (c.attr !== "register_blueprint" && c.attr !== "include_router") continue;
      const parent = resolve(f, c.obj);
      const arg = c.args[0];
      const childName = arg && typeof arg === "object" && !Array.isArray(arg) && "$name" in arg ? arg.$name : undefined;
      const factory = arg && typeof arg === "object" && !Array.isArray(arg) && "$call" in arg ? arg.$call : undefined;
      const child = childName ? resolve(f, childName) : factory ? fromFactory(factory) : undefined;
      if (!parent || !child) {
        warnings.push(
          `${f.file}:${c.line}: ${c.obj}.${c.attr}(${childName ?? factory ?? "…"}) names a router cutover could not find`,
        );
        continue;
      }
      const pv = c.kwargs.url_prefix ?? c.kwargs.prefix;
      const prefix = pv === undefined ? undefined : str(f, pv);
      if (pv !== undefined && prefix === undefined)
        warnings.push(`${f.file}:${c.line}: prefix is not a literal; ${child.def.var} is listed without it`);
      const list2 = mounts.get(child.id) ?? [];
      list2.push({ parent, prefix });
      mounts.set(child.id, list2);
    }

  const ownPrefix = (o: Obj): string => str(o.file, o.def.kwargs.url_prefix ?? o.def.kwargs.prefix) ?? "";
  const prefixes = (o: Obj, depth = 0): string[] => {
    if (ROOTS.has(o.def.ctor)) return [""];
    const own = ownPrefix(o);
    const ms = mounts.get(o.id);
    if (!ms || depth > 8) {
      if (depth === 0)
        warnings.push(`${o.file.file}:${o.def.line}: ${o.def.var} is never registered; listed under its own prefix`);
      return [own];
    }
    return ms.flatMap((m) =>
      prefixes(m.parent, depth + 1).map((pp) =>
        o.family === "flask" ? joinPaths(pp, m.prefix ?? own) : joinPaths(pp, m.prefix ?? "", own),
      ),
    );
  };

  const endpoints: Endpoint[] = [];
  const families = new Set<string>();
  const add = (
    o: Obj | undefined,
    f: PyFile,
    path: string,
    methods: string[],
    line: number,
    ann: Record<string, string> = {},
  ) => {
    const family = o?.family ?? guessFamily(f);
    if (!family) return;
    families.add(family);
    const types: Record<string, ParamType> = {};
    for (const [k, a] of Object.entries(ann)) {
      const t = ANNOTATION_TYPES[a] ?? ANNOTATION_TYPES[a.split(".").at(-1) ?? ""];
      if (t) types[k] = t;
    }
    const ms = family === "flask" ? methods.filter((m) => m !== "HEAD" && m !== "OPTIONS") : methods;
    for (const p of o ? prefixes(o) : [""])
      for (const m of ms)
        endpoints.push(makeEndpoint(m, joinPaths(p, path), SYNTAX[family], `${f.file}:${line}`, types));
  };

  for (const f of files) {
    for (const r of f.routes) {
      if (r.attr === "websocket") continue;
      const o = resolve(f, r.obj);
      if (!o && !guessFamily(f)) continue;
      const path = str(f, r.args[0] ?? r.kwargs.path ?? r.kwargs.rule);
      if (path === undefined) {
        warnings.push(`${f.file}:${r.line}: route path is not a literal; skipped`);
        continue;
      }
      const methods = VERBS.has(r.attr)
        ? [r.attr.toUpperCase()]
        : (list(f, r.kwargs.methods)?.map((m) => m.toUpperCase()) ?? ["GET"]);
      add(o, f, path, methods, r.line, r.annotations);
    }
    for (const c of f.calls) {
      if (c.attr !== "add_url_rule" && c.attr !== "add_api_route" && c.attr !== "add_route") continue;
      const o = resolve(f, c.obj);
      let path = str(f, c.args[0] ?? c.kwargs.rule ?? c.kwargs.path);
      let methods = list(f, c.kwargs.methods)?.map((m) => m.toUpperCase());
      if (c.attr === "add_route" && path && VERBS.has(path.toLowerCase())) {
        methods = [path.toUpperCase()]; // Robyn: add_route("GET", "/path", handler)
        path = str(f, c.args[1]);
      }
      if (path === undefined) continue;
      if (!methods) {
        const view = c.kwargs.view_func ?? c.args[2];
        const cls = viewClass(view);
        methods = (cls && f.classes[cls]?.length ? f.classes[cls] : undefined) ?? ["GET"];
      }
      add(o, f, path, methods, c.line);
    }
  }
  const framework = families.size === 1 ? ([...families][0] as InventoryFramework) : undefined;
  if (families.size > 1) warnings.push(`several frameworks in one tree: ${[...families].join(", ")}`);
  return { framework, endpoints: dedupe(endpoints), warnings };
}

function viewClass(v: PyValue | undefined): string | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const name = "$call" in v ? v.$call : "$name" in v ? v.$name : undefined;
  return name?.endsWith(".as_view") ? name.slice(0, -".as_view".length).split(".").at(-1) : undefined;
}

function guessFamily(f: PyFile): "flask" | "fastapi" | "robyn" | undefined {
  for (const imp of f.imports) {
    const root = imp.module.split(".")[0];
    if (root === "flask" || root === "quart") return "flask";
    if (root === "fastapi") return "fastapi";
    if (root === "robyn") return "robyn";
  }
  return undefined;
}

/** dedupe keeps the first of identical method + path pairs (a route both decorated and re-added). */
export function dedupe(endpoints: Endpoint[]): Endpoint[] {
  const seen = new Set<string>();
  return endpoints.filter((e) => {
    const k = `${e.method} ${e.path}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
