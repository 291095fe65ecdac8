import {
  compileConditions,
  conditionsHold,
  describeCondition,
  QueryCache,
  type Condition,
  type ConditionSpec,
  type RequestView,
} from "./conditions.js";
import { compileTemplate, fillTemplate, matchSegments, type PathMatch, type PathTemplate } from "./template.js";

/**
 * What the table needs of a configured route. The config's route type (src/config/schema-routes.ts)
 * satisfies it; the table keeps whatever richer type it is given as `config`.
 */
export interface RouteSpec {
  name?: string | undefined;
  match: {
    path: string;
    methods?: readonly string[] | undefined;
    headers?: Readonly<Record<string, ConditionSpec>> | undefined;
    query?: Readonly<Record<string, ConditionSpec>> | undefined;
  };
  rewrite?: { legacy?: string | undefined; candidate?: string | undefined } | undefined;
}

/** A route compiled for matching. Index `id` is stable for one config version. */
export interface Route<C extends RouteSpec = RouteSpec> {
  readonly id: number;
  readonly name: string;
  readonly template: PathTemplate;
  readonly methods: ReadonlySet<string> | undefined;
  /** Header and query conditions (`match.headers`, `match.query`); empty when none. */
  readonly headers: readonly Condition[];
  readonly query: readonly Condition[];
  readonly rewrite: { legacy?: PathTemplate; candidate?: PathTemplate };
  readonly config: C;
}

export interface RouteMatch<C extends RouteSpec = RouteSpec> {
  route: Route<C>;
  match: PathMatch;
}

export function defaultRouteName(r: RouteSpec): string {
  const base = `${r.match.methods?.join(",") ?? "*"} ${r.match.path}`;
  const conds = [
    ...Object.entries(r.match.headers ?? {}).map(([n, c]) => `${n.toLowerCase()}: ${describeCondition(c)}`),
    ...Object.entries(r.match.query ?? {}).map(([n, c]) => `?${n}=${describeCondition(c)}`),
  ];
  return conds.length ? `${base} [${conds.join(", ")}]` : base;
}

/**
 * RouteTable holds the routes in order; the first one that matches method, path and (when the
 * route has any) header and query conditions wins.
 * Construction assumes a validated config (see config/semantic.ts).
 */
export class RouteTable<C extends RouteSpec = RouteSpec> {
  readonly routes: readonly Route<C>[];
  private readonly byName: Map<string, Route<C>>;

  constructor(configs: readonly C[]) {
    this.routes = configs.map((config, id) => {
      const template = mustCompile(config.match.path);
      const rewrite: Route<C>["rewrite"] = {};
      if (config.rewrite?.legacy) rewrite.legacy = mustCompile(config.rewrite.legacy);
      if (config.rewrite?.candidate) rewrite.candidate = mustCompile(config.rewrite.candidate);
      return {
        id,
        name: config.name ?? defaultRouteName(config),
        template,
        methods: config.match.methods ? new Set(config.match.methods) : undefined,
        headers: compileConditions(config.match.headers, true),
        query: compileConditions(config.match.query, false),
        rewrite,
        config,
      };
    });
    this.byName = new Map(this.routes.map((r) => [r.name, r]));
  }

  /**
   * match finds the first route for a method and a path (no query string). Routes with header or
   * query conditions match only when `req` is given and satisfies them.
   */
  match(method: string, path: string, req?: RequestView): RouteMatch<C> | undefined {
    const parts = path.slice(1).split("/");
    let q: QueryCache | undefined;
    for (const route of this.routes) {
      if (route.methods && !route.methods.has(method)) continue;
      const m = matchSegments(route.template, parts);
      if (!m) continue;
      if (route.headers.length > 0 || route.query.length > 0) {
        if (!req) continue;
        q ??= new QueryCache(req.query);
        if (!conditionsHold(route.headers, route.query, req, q)) continue;
      }
      return { route, match: m };
    }
    return undefined;
  }

  get(name: string): Route<C> | undefined {
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
