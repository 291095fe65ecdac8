import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { CutoverError, isCutoverError } from "../errors/index.js";
import type { AdminHost } from "./host.js";
import { listen } from "../net/listen.js";
import { tokenMatches } from "./auth.js";
import { decodeSegment, intParam } from "./params.js";
import { rolloutView } from "./rollout-view.js";
import { buildStatus } from "./status.js";
import { serveStatic } from "./static.js";
import { CertificateReloader, createServer } from "../tls/tls.js";

const MAX_BODY = 64 * 1024;

export interface AdminRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  actor: string;
}

type Handler = (r: AdminRequest, res: ServerResponse) => unknown;

/**
 * AdminServer is the control plane: its own listener (loopback by default), every request needs
 * `Authorization: Bearer <admin.token>`. JSON in, JSON out, errors carry CUTOVER_ERR_* codes.
 * Other modules (findings, rollout, dashboard) add routes with `route()`.
 */
export class AdminServer {
  readonly server: Server;
  private readonly routes: { method: string; parts: string[]; handler: Handler }[] = [];
  private readonly certs: CertificateReloader | undefined;

  constructor(private readonly gw: AdminHost) {
    const tls = gw.config.admin.tls;
    this.server = createServer({}, tls, (req, res) => void this.dispatch(req, res));
    this.certs = tls && new CertificateReloader(this.server, tls, gw.runtime.log);
    const rt = gw.runtime;
    this.route("GET", "/api/status", () => buildStatus(gw));
    this.route("GET", "/api/routes", () => buildStatus(gw).routes);
    this.route("PUT", "/api/routes/:name/weight", (r) => {
      const body = r.body as { weight?: unknown; reason?: unknown } | undefined;
      const w = body?.weight;
      if (typeof w !== "number" || !(w >= 0 && w <= 100)) {
        throw new CutoverError("CUTOVER_ERR_ADMIN_BAD_REQUEST", 'body must be {"weight": 0–100}');
      }
      const route = rt.route(r.params.name ?? "");
      const reason = typeof body?.reason === "string" ? body.reason : "set by operator";
      rt.setWeights(new Map([[route, w]]), { actor: r.actor, action: "set_weight", reason });
      return { route: route.name, weight: rt.weight(route) };
    });
    this.route("POST", "/api/rollback", async (r) => {
      const body = r.body as { reason?: unknown } | undefined;
      const reason = typeof body?.reason === "string" ? body.reason : "manual rollback";
      // Weights first: through any replica, at once. Then the rollout must know, or its next tick
      // would move the weights up again (several replicas: the leader applies it).
      rt.rollbackAll(r.actor, reason);
      const ro = gw.rollout;
      if (ro && ro.state.status !== "rolled_back") await ro.manual("rollback", r.actor, reason);
      return { rolled_back: rt.table.routes.map((x) => x.name), rollout: rolloutView(gw) };
    });
    this.route("GET", "/api/audit", (r) => rt.store.auditLog({ limit: intParam(r.query, "limit", 100, 1, 1000) }));
    this.route("GET", "/metrics", async (_r, res) => {
      const text = await gw.renderMetrics();
      res.writeHead(200, { "content-type": rt.metrics.contentType });
      res.end(text);
      return undefined;
    });
  }

  /** route registers an endpoint; `:name` segments become params. Handlers return JSON or write `res`. */
  route(method: string, path: string, handler: Handler): void {
    this.routes.push({ method, parts: path.split("/"), handler });
  }

  async start(): Promise<string> {
    return listen(this.server, this.gw.config.admin.listen);
  }

  async stop(): Promise<void> {
    this.certs?.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (req.method === "GET" && (await serveStatic(new URL(req.url ?? "/", "http://admin").pathname, res))) return;
      if (!tokenMatches(req.headers.authorization, this.gw.config.admin.token)) {
        throw new CutoverError("CUTOVER_ERR_ADMIN_UNAUTHORIZED");
      }
      const url = new URL(req.url ?? "/", "http://admin");
      const found = this.match(req.method ?? "GET", url.pathname);
      if (!found) throw new CutoverError("CUTOVER_ERR_ADMIN_NOT_FOUND", `${req.method} ${url.pathname}`);
      const body = await readJson(req);
      const actor =
        typeof req.headers["x-cutover-actor"] === "string" ? req.headers["x-cutover-actor"].slice(0, 100) : "admin-api";
      const out = await found.handler(
        { method: req.method ?? "GET", path: url.pathname, params: found.params, query: url.searchParams, body, actor },
        res,
      );
      // A change is acknowledged only once it is durable (PostgreSQL writes through in the background).
      if (req.method !== "GET") await this.gw.runtime.store.flush();
      if (!res.headersSent) sendJson(res, 200, out ?? { ok: true });
    } catch (err) {
      const e = isCutoverError(err)
        ? err
        : new CutoverError("CUTOVER_ERR_INTERNAL", (err as Error).message, { cause: err });
      if (e.code === "CUTOVER_ERR_INTERNAL") this.gw.runtime.log.error({ err }, "admin request failed");
      if (!res.headersSent)
        sendJson(res, e.status, e.toJSON(), e.status === 401 ? { "www-authenticate": 'Bearer realm="cutover"' } : {});
      else res.destroy();
    }
  }

  private match(method: string, path: string): { handler: Handler; params: Record<string, string> } | undefined {
    const parts = path.split("/");
    for (const r of this.routes) {
      if (r.method !== method || r.parts.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const p = r.parts[i] as string;
        if (p.startsWith(":")) params[p.slice(1)] = decodeSegment(parts[i] as string);
        else ok = p === parts[i];
      }
      if (ok) return { handler: r.handler, params };
    }
    return undefined;
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (req.method === "GET" || req.method === "HEAD") return undefined;
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_BODY) throw new CutoverError("CUTOVER_ERR_ADMIN_BAD_REQUEST", `body larger than ${MAX_BODY} bytes`);
    chunks.push(c);
  }
  if (n === 0) return undefined;
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    throw new CutoverError("CUTOVER_ERR_ADMIN_BAD_REQUEST", "body is not valid JSON");
  }
}
