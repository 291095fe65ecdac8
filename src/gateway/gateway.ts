import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Logger } from "pino";
import { AdminServer } from "../admin/server.js";
import type { Config } from "../config/schema.js";
import { parseListen } from "../config/units.js";
import { CutoverError } from "../errors/index.js";
import { HealthChecker } from "../health/checker.js";
import { createLogger } from "../log.js";
import { rawError, writeRawResponse } from "../proxy/upgrade.js";
import type { Store } from "../store/store.js";
import { SqliteStore } from "../store/sqlite.js";
import { createHandler, type RequestHooks } from "./handler.js";
import { Runtime } from "./runtime.js";
import { Upgrades } from "./upgrades.js";
import { Mirror } from "../mirror/mirror.js";
import { Parity } from "../mirror/parity.js";
import { registerFindingsApi } from "../admin/findings.js";
import { registerRolloutApi } from "../admin/rollout.js";
import { RolloutController } from "../rollout/controller.js";
import { Live } from "../admin/live.js";
import { buildStatus } from "../admin/status.js";
import { registerLiveApi } from "../admin/findings.js";

export interface GatewayOptions {
  store?: Store;
  log?: Logger;
  hooks?: RequestHooks;
}

/**
 * Gateway is one running cutover: the data-plane listener, the admin listener, health checks and
 * the runtime state they share. `start()` listens; `stop()` drains in-flight requests first.
 */
export class Gateway {
  readonly runtime: Runtime;
  readonly server: Server;
  readonly admin: AdminServer;
  readonly upgrades: Upgrades;
  readonly parity: Parity;
  readonly mirror: Mirror;
  readonly rollout: RolloutController | undefined;
  readonly live: Live;
  private readonly health: HealthChecker;
  private readonly state = { draining: false };
  private readonly sockets = new Set<Socket>();
  private stopping: Promise<void> | undefined;

  constructor(
    readonly config: Config,
    opts: GatewayOptions = {},
  ) {
    const log = opts.log ?? createLogger(config.log.level);
    const store = opts.store ?? new SqliteStore(config.store.path);
    this.runtime = new Runtime(config, store, log);
    this.upgrades = new Upgrades(this.runtime);
    this.health = new HealthChecker(this.runtime.allUpstreams());
    this.parity = new Parity(config, store, this.runtime.metrics, log);
    this.mirror = new Mirror(this.runtime, this.parity);
    this.admin = new AdminServer(this);
    registerFindingsApi(this.admin, this);
    this.rollout = config.rollout
      ? new RolloutController(this.runtime, config.rollout, {
          setShadow: (routes, on) => this.mirror.setShadow(routes, on),
          closeCandidateWebSockets: (routes) => this.upgrades.closeCandidate(new Set(routes.map((r) => r.id))),
        })
      : undefined;
    registerRolloutApi(this.admin, this);
    const hooks: RequestHooks = { ...opts.hooks };
    const outer = opts.hooks;
    if (config.routes.some((r) => r.mirror) || config.rollout) {
      hooks.beforeForward = (req, facts, headers) =>
        this.mirror.begin(req, facts, headers) ?? outer?.beforeForward?.(req, facts, headers);
    }
    const rollout = this.rollout;
    const live = (this.live = new Live(() => ({
      status: buildStatus(this),
      findings: { compared: this.parity.compared, routes: this.parity.findings.routes() },
    })));
    registerLiveApi(this.admin, live);
    hooks.afterResponse = (facts, r, target, ms) => {
      live.record(target, r.status, ms);
      rollout?.recordServed(facts, r, target, ms);
      outer?.afterResponse?.(facts, r, target, ms);
    };
    if (rollout)
      this.parity.listeners.push((req, mismatch, candidate) => rollout.recordMirrored(req, mismatch, candidate));

    this.server = createServer(
      {
        maxHeaderSize: config.limits.max_header_size,
        keepAliveTimeout: config.timeouts.idle,
        noDelay: true,
        // Node's 60 s default would cut slow uploads; the per-upstream timeouts guard the rest.
        requestTimeout: 0,
      },
      createHandler(this.runtime, hooks, this.state),
    );
    this.server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      this.runtime.metrics.openConnections.inc();
      s.once("close", () => {
        this.sockets.delete(s);
        this.runtime.metrics.openConnections.dec();
      });
    });
    this.server.on("upgrade", (req, socket, head) => this.upgrades.handle(req, socket, head));
    // CONNECT asks for a tunnel to anywhere: cutover only reaches its configured upstreams.
    this.server.on("connect", (_req, socket) => rawError(socket, "CUTOVER_ERR_NOT_A_PROXY"));
    this.server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
      if (!socket.writable) return socket.destroy();
      if (err.code === "HPE_HEADER_OVERFLOW") return rawError(socket, "CUTOVER_ERR_HEADERS_TOO_LARGE");
      if (err.code === "ERR_HTTP_REQUEST_TIMEOUT")
        return writeRawResponse(socket, 408, "Request Timeout", { connection: "close", "content-length": "0" });
      rawError(socket, "CUTOVER_ERR_BAD_REQUEST");
    });
  }

  /** start listens on the data-plane and admin addresses; returns the bound URLs. */
  async start(): Promise<{ url: string; adminUrl: string }> {
    // Comparisons queued before the worker has loaded would only pile up behind it.
    await this.parity.ready();
    const url = await listen(this.server, this.config.listen);
    const adminUrl = await this.admin.start();
    this.health.start();
    this.rollout?.start();
    this.runtime.log.info({ url, admin: adminUrl }, "cutover listening");
    return { url, adminUrl };
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
  }

  /**
   * stop drains: no new connections, `Connection: close` on answers in flight, WebSockets closed
   * with 1001, and after `timeouts.shutdown` whatever is left is cut.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.state.draining = true;
      this.health.stop();
      this.rollout?.stop();
      this.live.close();
      this.upgrades.goAwayAll();
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      // Connections become idle as their last answer finishes; close each one as soon as it is.
      this.server.closeIdleConnections();
      const sweep = setInterval(() => this.server.closeIdleConnections(), 25);
      const timer = setTimeout(() => this.server.closeAllConnections(), this.config.timeouts.shutdown);
      await closed;
      clearInterval(sweep);
      clearTimeout(timer);
      for (const s of this.sockets) s.destroy();
      await this.admin.stop();
      await Promise.all(this.runtime.allUpstreams().map((u) => u.close()));
      await this.parity.close();
      this.runtime.store.close();
    })();
    return this.stopping;
  }
}

export async function listen(server: Server, address: string): Promise<string> {
  const { host, port } = parseListen(address);
  server.listen(port, host);
  try {
    await Promise.race([once(server, "listening"), once(server, "error").then(([e]) => Promise.reject(e as Error))]);
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_LISTEN", `${address}: ${(err as Error).message}`, { cause: err });
  }
  const a = server.address() as AddressInfo;
  return `http://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
}
