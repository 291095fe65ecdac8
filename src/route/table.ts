import type { RouteConfig } from "../config/schema.js";
import { compileTemplate, fillTemplate, matchSegments, type PathMatch, type PathTemplate } from "./template.js";

/** A route compiled for matching. Index `id` is stable for one config version. */
export interface Route {
  readonly id: number;
  readonly name: string;
  readonly template: PathTemplate;
  readonly methods: ReadonlySet<string> | undefined;
  readonly rewrite: { legacy?: PathTemplate; candidate?: PathTemplate };
  readonly config: RouteConfig;
}

export interface RouteMatch {
  route: Route;
  match: PathMatch;
}

export function defaultRouteName(r: RouteConfig): string {
  return `${r.match.methods?.join(",") ?? "*"} ${r.match.path}`;
}

/**
 * RouteTable holds the routes in order; the first one that matches method and path wins.
 * Construction assumes a validated config (see config/semantic.ts).
 */
export class RouteTable {
  readonly routes: readonly Route[];
  private readonly byName: Map<string, Route>;

  constructor(configs: readonly RouteConfig[]) {
    this.routes = configs.map((config, id) => {
      const template = mustCompile(config.match.path);
      const rewrite: Route["rewrite"] = {};
      if (config.rewrite?.legacy) rewrite.legacy = mustCompile(config.rewrite.legacy);
      if (config.rewrite?.candidate) rewrite.candidate = mustCompile(config.rewrite.candidate);
      return {
        id,
        name: config.name ?? defaultRouteName(config),
        template,
        methods: config.match.methods ? new Set(config.match.methods) : undefined,
        rewrite,
        config,
      };
    });
    this.byName = new Map(this.routes.map((r) => [r.name, r]));
  }

  /** match finds the first route for a method and a path (no query string). */
  match(method: string, path: string): RouteMatch | undefined {
    const parts = path.slice(1).split("/");
    for (const route of this.routes) {
      if (route.methods && !route.methods.has(method)) continue;
      const m = matchSegments(route.template, parts);
      if (m) return { route, match: m };
    }
    return undefined;
  }

  get(name: string): Route | undefined {
    return this.byName.get(name);
  }

  /** rewritePath returns the path to send to `target`, applying that target's alias if any. */
  static rewritePath(rm: RouteMatch, target: "legacy" | "candidate", path: string): string {
    const t = rm.route.rewrite[target];
    return t ? fillTemplate(t, rm.match) : path;
  }
}

function mustCompile(source: string): PathTemplate {
  const t = compileTemplate(source);
  if ("error" in t) throw new Error(`invalid template ${source}: ${t.error}`);
  return t;
}
