import { makeEndpoint } from "./path.js";
import type { Endpoint, ParamType } from "./types.js";

/**
 * Endpoints of an OpenAPI 3 (or Swagger 2) document, as FastAPI and Robyn serve it at
 * /openapi.json. Path-parameter types come from each parameter's schema.
 */

const METHODS = ["get", "post", "put", "patch", "delete", "head", "options", "trace"];

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function schemaType(schema: unknown, doc: Json): ParamType {
  if (!isObject(schema)) return "any";
  const ref = schema.$ref;
  if (typeof ref === "string" && ref.startsWith("#/")) {
    let node: unknown = doc;
    for (const k of ref.slice(2).split("/")) node = isObject(node) ? node[k] : undefined;
    return schemaType(node, doc);
  }
  const t = schema.type;
  if (t === "integer") return "int";
  if (t === "number") return "float";
  if (t === "string") return schema.format === "uuid" ? "uuid" : "str";
  for (const k of ["anyOf", "oneOf", "allOf"]) {
    const alts = schema[k];
    if (Array.isArray(alts) && alts.length > 0) return schemaType(alts[0], doc);
  }
  return "any";
}

function pathParamTypes(params: unknown, doc: Json, into: Record<string, ParamType>): void {
  if (!Array.isArray(params)) return;
  for (const p of params) {
    if (!isObject(p) || p.in !== "path" || typeof p.name !== "string") continue;
    into[p.name] = schemaType(p.schema ?? p, doc); // Swagger 2 puts `type` on the parameter itself
  }
}

/** isOpenApi says whether a parsed document looks like OpenAPI/Swagger. */
export function isOpenApi(doc: unknown): doc is Json {
  return isObject(doc) && (typeof doc.openapi === "string" || typeof doc.swagger === "string") && isObject(doc.paths);
}

/** openApiEndpoints lists every operation; `basePath` (Swagger 2) and a server URL's path are prefixed. */
export function openApiEndpoints(doc: Json, source = "openapi"): Endpoint[] {
  const paths = isObject(doc.paths) ? doc.paths : {};
  let base = typeof doc.basePath === "string" ? doc.basePath : "";
  const servers = doc.servers;
  if (Array.isArray(servers) && isObject(servers[0]) && typeof servers[0].url === "string") {
    const u = servers[0].url;
    const path = /^[a-z]+:\/\/[^/]+(\/.*)?$/i.exec(u)?.[1] ?? (u.startsWith("/") ? u : "");
    base = path.replace(/\/+$/, "");
  }
  const out: Endpoint[] = [];
  for (const [path, item] of Object.entries(paths)) {
    if (!isObject(item) || !path.startsWith("/")) continue;
    const shared: Record<string, ParamType> = {};
    pathParamTypes(item.parameters, doc, shared);
    for (const m of METHODS) {
      const op = item[m];
      if (!isObject(op)) continue;
      const types = { ...shared };
      pathParamTypes(op.parameters, doc, types);
      out.push(makeEndpoint(m, base + path, "braces", source, types));
    }
  }
  return out;
}
