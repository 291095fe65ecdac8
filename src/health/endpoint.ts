import type { ServerResponse } from "node:http";

/** The gateway's own health endpoint config (`health_endpoint:`). */
export interface HealthEndpointConfig {
  enabled: boolean;
  path: string;
}

/** What a health request gets: status code and JSON body. */
export interface HealthAnswer {
  status: number;
  body: { status: "ready" | "draining" | "live"; ready: boolean; live: true };
}

/**
 * healthAnswer answers the gateway's own liveness and readiness, on the data listener, before the
 * route table and without reaching an upstream (pure: it takes the state, returns the answer).
 * `GET <path>` is readiness: 200 while serving, 503 while draining (so a load balancer or a
 * Kubernetes readiness probe stops sending new clients). `GET <path>/live` is liveness: 200 as
 * long as the process answers. Anything else under the path is not a health request.
 */
export function healthAnswer(
  cfg: HealthEndpointConfig,
  method: string,
  path: string,
  draining: boolean,
): HealthAnswer | undefined {
  if (!cfg.enabled || (method !== "GET" && method !== "HEAD") || !path.startsWith(cfg.path)) return undefined;
  const rest = path.slice(cfg.path.length);
  if (rest === "/live") return { status: 200, body: { status: "live", ready: !draining, live: true } };
  if (rest !== "" && rest !== "/ready") return undefined;
  return draining
    ? { status: 503, body: { status: "draining", ready: false, live: true } }
    : { status: 200, body: { status: "ready", ready: true, live: true } };
}

/** healthForUrl is healthAnswer for a raw request URL (the query is ignored); cheap for any other URL. */
export function healthForUrl(
  cfg: HealthEndpointConfig,
  method: string,
  url: string,
  draining: boolean,
): HealthAnswer | undefined {
  if (!cfg.enabled || !url.startsWith(cfg.path)) return undefined;
  const q = url.indexOf("?");
  return healthAnswer(cfg, method, q === -1 ? url : url.slice(0, q), draining);
}

/** sendHealth writes the answer; HEAD gets the headers only. */
export function sendHealth(res: ServerResponse, method: string, a: HealthAnswer): void {
  const text = JSON.stringify(a.body);
  res.writeHead(a.status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
  });
  res.end(method === "HEAD" ? undefined : text);
}
