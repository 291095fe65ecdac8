/**
 * The route inventory's data: every endpoint a backend serves, read from an OpenAPI document or
 * from the application's source, in one canonical shape so that two frameworks can be compared.
 *
 * Canonical paths use `{name}` for a one-segment parameter and `{name:path}` for a parameter that
 * takes the rest of the path (Flask `<path:x>`, FastAPI `{x:path}`, Next.js `[...x]`, Express `*`).
 */

/** What a parameter accepts. `any` when the source does not say (Robyn, Express, Next.js). */
export type ParamType = "int" | "float" | "uuid" | "str" | "path" | "any";

export interface Param {
  name: string;
  type: ParamType;
}

export type Segment = { kind: "literal"; value: string } | { kind: "param"; name: string; type: ParamType };

export interface Endpoint {
  /** Upper-case HTTP method; `*` when the endpoint takes every method (Express `all`, Next.js pages/api). */
  method: string;
  /** Canonical template, e.g. `/api/users/{id}`. A trailing slash is kept as written. */
  path: string;
  params: Param[];
  /** Where it was read: `app.py:12`, `openapi`, `flask routes`. */
  source: string;
}

export const FRAMEWORK_NAMES = ["flask", "fastapi", "robyn", "express", "nextjs", "openapi"] as const;
export type InventoryFramework = (typeof FRAMEWORK_NAMES)[number];

export interface Inventory {
  /** What the endpoints were read from: a framework's source, an OpenAPI document, or `flask routes`. */
  framework: InventoryFramework;
  /** The source read (file, directory, URL or `flask:app.py`), usable again as a source. */
  origin: string;
  endpoints: Endpoint[];
  /** Things the reader could not resolve (a prefix held in a variable, a router it could not find). */
  warnings: string[];
}

/** HTTP methods an inventory records; HEAD and OPTIONS that frameworks add by themselves are left out. */
export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
