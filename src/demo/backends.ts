import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { listen } from "../net/listen.js";

/**
 * Two small example backends for `cutover demo`: a "legacy" app written the way Flask answers
 * (sorted keys, RFC 822 dates, text health check) and its "candidate" port written the way
 * FastAPI answers (ISO dates, JSON health check at /healthz) — with a few real porting bugs.
 */
export type Flavour = "legacy" | "candidate";

export interface DemoBackend {
  url: string;
  server: Server;
  /** Fraction of /api/orders requests the candidate fails (the regression scenario raises it). */
  failRate: number;
  /** Extra latency the candidate adds, in ms. */
  extraLatencyMs: number;
  close(): Promise<void>;
}

const USERS = ["ada", "grace", "linus", "barbara", "ken", "margaret", "dennis", "frances"];
const started = Date.now();

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  flavour: Flavour,
  headers: Record<string, string> = {},
): void {
  // Flask's jsonify sorts keys and ends with a newline; FastAPI keeps field order, no newline.
  const text = flavour === "legacy" ? JSON.stringify(sortKeys(body)) + "\n" : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

function date(flavour: Flavour, d: Date): string {
  return flavour === "legacy" ? d.toUTCString() : d.toISOString().replace("Z", "+00:00");
}

export async function startDemoBackend(flavour: Flavour): Promise<DemoBackend> {
  let counter = 0;
  const b: DemoBackend = {
    url: "",
    server: createServer((req, res) => void handle(req, res)),
    failRate: 0,
    extraLatencyMs: 0,
    close: () =>
      new Promise((resolve) => {
        b.server.closeAllConnections();
        b.server.close(() => resolve());
      }),
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://demo");
    const p = url.pathname;
    if (flavour === "candidate" && p.startsWith("/api/") && b.extraLatencyMs > 0) {
      await new Promise((r) => setTimeout(r, b.extraLatencyMs));
    }
    if (flavour === "legacy" && p === "/health") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end("ok");
      return;
    }
    if (flavour === "candidate" && p === "/healthz") return send(res, 200, { status: "ok" }, flavour);
    const user = /^\/api\/users\/(\d+)$/.exec(p);
    if (user && req.method === "GET") {
      const id = Number(user[1]);
      const name = USERS[id % USERS.length] ?? "ada";
      const created = new Date(Date.UTC(2024, 0, 1 + id));
      // The port renamed user_name → username and changed the date format: two real findings.
      const body =
        flavour === "legacy"
          ? {
              id,
              user_name: name,
              email: `${name}@example.com`,
              created_at: date(flavour, created),
              plan: id % 3 === 0 ? "pro" : "free",
            }
          : {
              id,
              username: name,
              email: `${name}@example.com`,
              created_at: date(flavour, created),
              plan: id % 3 === 0 ? "pro" : "free",
            };
      return send(res, 200, body, flavour);
    }
    if (p === "/api/orders" && req.method === "GET") {
      if (flavour === "candidate" && Math.random() < b.failRate)
        return send(res, 500, { detail: "Internal Server Error" }, flavour);
      const items = [1, 2, 3].map((i) => ({ sku: `SKU-${i}`, qty: i, price: (i * 9.99).toFixed(2) }));
      // Volatile fields in both: a fresh request id, the time, a per-process counter. Noise, not bugs.
      return send(
        res,
        200,
        { request_id: randomUUID(), generated_at: new Date().toISOString(), served: ++counter, items },
        flavour,
      );
    }
    if (p === "/api/search" && req.method === "GET") {
      const limit = url.searchParams.get("limit");
      const n = Number(limit ?? 10);
      // Flask's `type=int` silently falls back to the default; FastAPI answers 422.
      if (!/^\d+$/.test(limit ?? "10")) {
        if (flavour === "candidate")
          return send(
            res,
            422,
            { detail: [{ loc: ["query", "limit"], msg: "value is not a valid integer", type: "type_error.integer" }] },
            flavour,
          );
      }
      const results = USERS.slice(0, Number.isFinite(n) ? Math.min(n, USERS.length) : 10).map((u) => ({ user: u }));
      return send(res, 200, { count: results.length, results }, flavour);
    }
    if (p === "/api/events" && req.method === "GET") {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
      let i = 0;
      const t = setInterval(() => {
        res.write(`event: tick\nid: ${i}\ndata: {"i": ${i}}\n\n`);
        if (++i === 3) {
          clearInterval(t);
          res.end();
        }
      }, 100);
      res.on("close", () => clearInterval(t));
      return;
    }
    if (p === "/api/uptime") return send(res, 200, { uptime_s: (Date.now() - started) / 1000 }, flavour);
    if (flavour === "legacy") {
      res.writeHead(404, { "content-type": "text/html; charset=utf-8" });
      res.end("<!doctype html><title>404 Not Found</title><h1>Not Found</h1>");
      return;
    }
    send(res, 404, { detail: "Not Found" }, flavour);
  }

  b.url = await listen(b.server, "127.0.0.1:0");
  return b;
}
