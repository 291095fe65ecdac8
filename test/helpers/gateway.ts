import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { request } from "undici";
import { parseConfig } from "../../src/config/load.js";
import { Gateway, type GatewayOptions } from "../../src/gateway/gateway.js";
import { startFastAPI, startFlask, type Backend } from "./backends.js";

export const TOKEN = "test-admin-token-0123456789";

export interface TestGateway {
  gw: Gateway;
  url: string;
  adminUrl: string;
  dir: string;
  admin<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/**
 * gatewayYaml builds a config: upstream URLs plus extra YAML (routes, bucketing, …). `routes`
 * defaults to one catch-all route at weight 0.
 */
export function gatewayYaml(o: {
  legacy: string;
  candidate: string;
  secondary?: string;
  store: string;
  body?: string;
  health?: boolean;
  /** More settings for both upstreams, e.g. "connections: 1". */
  upstreamOptions?: string;
}): string {
  const h = (path: string): string =>
    (o.health
      ? `, health: { path: ${path}, interval: 100ms, timeout: 1s, unhealthy_after: 2, healthy_after: 1 }`
      : "") + (o.upstreamOptions ? `, ${o.upstreamOptions}` : "");
  return `
listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0, token: ${TOKEN} }
store: ${JSON.stringify(o.store)}
log: { level: silent }
upstreams:
  legacy: { url: ${o.legacy}, framework: flask${h("/health")} }
  candidate: { url: ${o.candidate}, framework: fastapi${h("/healthz")} }
${o.secondary ? `  legacy-secondary: { url: ${o.secondary}, framework: flask }\n` : ""}${o.body ?? "routes:\n  - match: { path: /* }\n"}`;
}

export async function startGateway(
  o: {
    legacy: string;
    candidate: string;
    secondary?: string;
    body?: string;
    health?: boolean;
    dir?: string;
    upstreamOptions?: string;
  },
  opts: GatewayOptions = {},
): Promise<TestGateway> {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), "cutover-test-"));
  const res = parseConfig(gatewayYaml({ ...o, store: join(dir, "state.db") }));
  if (!res.config) throw new Error(`test config invalid: ${JSON.stringify(res.problems)}`);
  const gw = new Gateway(res.config, opts);
  const { url, adminUrl } = await gw.start();
  return {
    gw,
    url,
    adminUrl,
    dir,
    async admin<T>(method: string, path: string, body?: unknown, token = TOKEN) {
      const r = await request(adminUrl + path, {
        method: method as "GET",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await r.body.text();
      return {
        status: r.statusCode,
        body: (text.startsWith("{") || text.startsWith("[") ? JSON.parse(text) : text) as T,
      };
    },
    async stop() {
      await gw.stop();
      if (!o.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** get sends one request and returns status, headers and the body as text. */
export async function get(
  url: string,
  headers: Record<string, string> = {},
  method = "GET",
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }> {
  const r = await request(url, { method: method as "GET", headers });
  return { status: r.statusCode, headers: r.headers, text: await r.body.text() };
}

/** pool runs `fn` over `items` with at most `n` in flight. */
export async function pool<T, R>(items: readonly T[], n: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let i = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (i < items.length) {
        const k = i++;
        out[k] = await fn(items[k] as T);
      }
    }),
  );
  return out;
}

/** rawRequest uses node:http, which (unlike undici) lets a test send hop-by-hop headers. */
export async function rawRequest(
  url: string,
  headers: Record<string, string>,
  method = "GET",
): Promise<{ status: number; text: string }> {
  const { request: httpRequest } = await import("node:http");
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** waitUntil polls `fn` until it is true or `ms` pass; returns whether it became true. */
export async function waitUntil(fn: () => boolean | Promise<boolean>, ms = 10_000, every = 50): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, every));
  }
  return false;
}

/** useBackends starts a Flask (gthread) and a FastAPI app for the enclosing describe block. */
export function useBackends(): { flask: Backend; fastapi: Backend } {
  const b = {} as { flask: Backend; fastapi: Backend };
  before(async () => {
    [b.flask, b.fastapi] = await Promise.all([startFlask({ workerClass: "gthread", threads: 8 }), startFastAPI()]);
  });
  after(async () => {
    await Promise.all([b.flask.stop(), b.fastapi.stop()]);
  });
  return b;
}

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  admin: string;
  /** Stop it with a signal and wait for the exit (SIGKILL to test crash recovery). */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * spawnGateway writes a config into `dir` and starts `cutover run` as a child process, the way
 * users run it; call it again with the same dir to restart on the same store.
 */
export async function spawnGateway(o: {
  legacy: string;
  candidate: string;
  body: string;
  dir: string;
  args?: string[];
  /** A store other than `<dir>/state.db`, e.g. a PostgreSQL URL. */
  store?: string;
}): Promise<GatewayProcess> {
  const cfg = join(o.dir, "cutover.yaml");
  writeFileSync(
    cfg,
    gatewayYaml({ legacy: o.legacy, candidate: o.candidate, store: o.store ?? join(o.dir, "state.db"), body: o.body }),
  );
  const child = spawn(process.execPath, ["bin/cutover.js", "run", "-c", cfg, "--json", ...(o.args ?? [])], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once("data", (d: Buffer) => resolve(d.toString()));
    child.once("exit", (code) => reject(new Error(`cutover run exited with ${String(code)}`)));
  });
  const j = JSON.parse(line) as { listening: string; admin: string };
  return {
    child,
    url: j.listening,
    admin: j.admin,
    kill: async (signal = "SIGTERM") => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
    },
  };
}
