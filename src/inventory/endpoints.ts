import { canonicalRouteTemplate, EndpointResolver, type EndpointTemplate } from "./resolve.js";
import type { Endpoint } from "./types.js";

/**
 * endpointResolverFor builds the resolver the comparison pipeline keys findings with: the
 * inventory's templates (from `endpoints:` sources), then every route whose template has no
 * wildcard (its methods, or any); a wildcard route's literal prefix (`/api/*`) only tells the
 * fallback that `api` is a path word.
 */
export function endpointResolverFor(
  routes: readonly { match: { path: string; methods?: readonly string[] | undefined } }[],
  inventory: readonly EndpointTemplate[],
): EndpointResolver {
  const templates: EndpointTemplate[] = [...inventory];
  const literals: string[] = [];
  for (const r of routes) {
    const segs = r.match.path.split("/").filter((s) => s !== "");
    if (segs.at(-1) === "*") {
      literals.push(...segs.filter((s) => s !== "*" && !s.startsWith(":")));
      continue;
    }
    const path = canonicalRouteTemplate(r.match.path);
    for (const method of r.match.methods ?? ["*"]) templates.push({ method, path });
  }
  return new EndpointResolver(templates, literals);
}

/** Inventory endpoints as resolver templates, parameter types kept. */
export function endpointTemplates(endpoints: readonly Endpoint[]): EndpointTemplate[] {
  return endpoints.map((e) => ({
    method: e.method,
    path: e.path,
    types: Object.fromEntries(e.params.map((p) => [p.name, p.type])),
  }));
}
