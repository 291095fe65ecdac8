import type { RouteConfig, Target } from "../config/schema.js";
import { RouteTable, type RouteMatch } from "../route/table.js";
import type { SplitDecision } from "../split/decide.js";

/**
 * RequestFacts is what the classify step (src/dataplane/classify.ts) learns about one request,
 * HTTP or upgrade, computed once: forwarding, the WebSocket tunnel, the mirror and the served
 * record all start from it.
 */
export interface RequestFacts {
  id: string;
  method: string;
  rm: RouteMatch<RouteConfig>;
  /** The client's path, without the query. */
  path: string;
  /** The query string with its "?", or "" (an Engine.IO sid tag already stripped). */
  query: string;
  /** The bucket key the split used (the user), if any. */
  key: string | undefined;
  decision: SplitDecision;
  /**
   * Headers to send upstream as a flat [name, value, …] list: hop-by-hop removed, the override
   * header, its secret and client-sent internal markers dropped, X-Forwarded-* set.
   */
  headers: string[];
  /** Whether the request carries a body (Content-Length > 0, or Transfer-Encoding). */
  hasBody: boolean;
  /** The requested `Upgrade` protocol, lower-cased, for upgrade requests; undefined for HTTP. */
  upgrade: string | undefined;
  /** An Engine.IO polling handshake (route `affinity: engine.io`): its protocol revision; the answer's sid gets tagged. */
  handshake: string | undefined;
  startedAt: number;
}

/** upstreamPath is the path and query sent to `target`: its base path, the route's rewrite for it, the query. */
export function upstreamPath(facts: RequestFacts, target: Target, basePath: string): string {
  return basePath + RouteTable.rewritePath(facts.rm, target, facts.path) + facts.query;
}
