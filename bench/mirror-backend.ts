/**
 * Backend for bench/mirror.ts: one `node:http` process playing legacy or candidate for
 * `GET /api/orders/<1..256>`, keep-alive 120 s.
 *
 * Each answer is a ~2 KiB JSON order with three volatile fields, as a real API has: `request_id`
 * (a random UUID), `generated_at` (the time it was built) and `server_time_ms`. The candidate
 * answers the same order with one field renamed (`shipping_address` → `shippingAddress`), so every
 * comparison finds one real difference plus the volatile fields the noise model has to learn.
 * Headers are the same on both sides (no `x-backend`: it would be a second real difference); the
 * harness tells the sides apart by the field name and by `/__stats`.
 *
 * "Work" is a timer, not CPU: the answer is sent `delayMs` after the request arrived (legacy 1 ms,
 * candidate 10 ms by default). A real candidate is slow because it waits (database, cold caches,
 * another runtime), and the backends share CPU 0 with the gateway: a 10 ms busy loop per request
 * would saturate that core at 100 req/s and measure the candidate's CPU, not the gateway's mirror.
 * Building the body costs a few µs (the static part is prebuilt per order, the volatile head is
 * concatenated per request). `delayMs` 0 answers immediately.
 *
 * With `raw` as third argument the same answers come from a bare `node:net` server that reads
 * request heads itself (GET, no bodies, keep-alive): ~5× less CPU per request than `node:http`,
 * so that the candidate's own CPU for mirrored requests disturbs the host as little as a candidate
 * on another machine would (bench/mirror.ts `--candidate-server raw`).
 *
 * usage: node dist/bench/mirror-backend.js <legacy|candidate> <delayMs> [http|raw]
 * Prints {"port": N} on stdout when listening; `GET /__stats` returns what it served
 * ({"served", "mirrored"}: requests carrying `x-cutover-mirror`); exits when stdin closes.
 */
import { randomUUID } from "node:crypto";
import { createServer, type ServerResponse } from "node:http";
import { createServer as createNetServer, type Socket } from "node:net";
import { serveAsChild } from "./child.js";

export const ORDERS = 256;
/** The field the candidate renames, and what it calls it. */
export const RENAMED_FROM = "shipping_address";
export const RENAMED_TO = "shippingAddress";

/** orderTail is everything after the volatile head: deterministic per order id and side. */
export function orderTail(id: number, candidate: boolean): string {
  const items = Array.from({ length: 9 }, (_, i) => ({
    sku: `SKU-${(id * 31 + i * 7) % 10_000}`.padEnd(10, "0"),
    name: `Catalogue item ${(id + i) % 97} with a descriptive name`,
    qty: 1 + ((id + i) % 4),
    unit_price: { amount: 100 + ((id * 13 + i * 17) % 9_000), currency: "EUR" },
  }));
  const address = { street: `${id} Long Example Street`, city: "Rotterdam", postcode: "3011 AB", country: "NL" };
  const order = {
    order: {
      id,
      status: ["pending", "paid", "shipped", "delivered"][id % 4],
      customer: { id: 10_000 + id, name: `Customer ${id}`, email: `customer${id}@example.com`, tier: "gold" },
      [candidate ? RENAMED_TO : RENAMED_FROM]: address,
      items,
      totals: { items: items.length, amount: items.reduce((a, it) => a + it.qty * it.unit_price.amount, 0) },
      tags: ["express", "gift-wrap", "eu"],
    },
    links: { self: `/api/orders/${id}`, customer: `/api/customers/${10_000 + id}` },
  };
  // Drop the opening brace: the volatile head is spliced in front of it.
  return JSON.stringify(order).slice(1);
}

/** orderBody is one full answer; request_id and the timestamps differ on every call. */
export function orderBody(tail: string): string {
  const now = Date.now();
  return `{"request_id":"${randomUUID()}","generated_at":"${new Date(now).toISOString()}","server_time_ms":${now},${tail}`;
}

/**
 * rawServer answers GET heads on a keep-alive socket with `answer(path, mirrored)`, `delayMs`
 * later; no request bodies. Answers keep their order: undici sends one request at a time per
 * connection (no pipelining).
 */
function rawServer(delayMs: number, answer: (path: string, mirrored: boolean) => { status: number; body: string }) {
  return createNetServer({ noDelay: true }, (socket: Socket) => {
    let buf = "";
    socket.setEncoding("latin1");
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: string) => {
      buf += chunk;
      if (buf.length > 64 * 1024) return socket.destroy();
      for (let end = buf.indexOf("\r\n\r\n"); end !== -1; end = buf.indexOf("\r\n\r\n")) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const path = head.slice(head.indexOf(" ") + 1, head.indexOf(" ", head.indexOf(" ") + 1));
        const isMirror = /\r\nx-cutover-mirror:/i.test(head);
        const reply = (): void => {
          const r = answer(path, isMirror);
          if (!socket.destroyed) socket.write(rawResponse(r.status, r.body));
        };
        if (delayMs > 0 && path !== "/__stats") setTimeout(reply, delayMs);
        else reply();
      }
    });
  });
}

function rawResponse(status: number, body: string): string {
  return (
    `HTTP/1.1 ${status} ${status === 200 ? "OK" : "Not Found"}\r\ncontent-type: application/json\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nkeep-alive: timeout=120\r\n\r\n${body}`
  );
}

function main(): void {
  const name = process.argv[2] ?? "legacy";
  const delayMs = Number(process.argv[3] ?? "0");
  const raw = process.argv[4] === "raw";
  const candidate = name === "candidate";
  const tails = Array.from({ length: ORDERS + 1 }, (_, i) => orderTail(i, candidate));
  let served = 0;
  let mirrored = 0;

  const send = (res: ServerResponse, id: number): void => {
    const body = orderBody(tails[id] ?? "");
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  };

  if (raw) {
    const server = rawServer(delayMs, (path, isMirror) => {
      if (path.startsWith("/api/orders/")) {
        const id = Number(path.slice(12));
        if (Number.isInteger(id) && id >= 1 && id <= ORDERS) {
          served++;
          if (isMirror) mirrored++;
          return { status: 200, body: orderBody(tails[id] ?? "") };
        }
      }
      if (path === "/__stats") return { status: 200, body: JSON.stringify({ name, delayMs, served, mirrored }) };
      return { status: 404, body: "{}" };
    });
    serveAsChild(server);
    return;
  }

  const server = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0, noDelay: true }, (req, res) => {
    const url = req.url ?? "";
    if (req.method === "GET" && url.startsWith("/api/orders/")) {
      const id = Number(url.slice(12));
      if (Number.isInteger(id) && id >= 1 && id <= ORDERS) {
        served++;
        if (req.headers["x-cutover-mirror"] !== undefined) mirrored++;
        if (delayMs > 0) setTimeout(send, delayMs, res, id);
        else send(res, id);
        return;
      }
    }
    if (req.method === "GET" && url === "/__stats") {
      const body = JSON.stringify({ name, delayMs, served, mirrored });
      res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
      res.end(body);
      return;
    }
    res.writeHead(404, { "content-type": "application/json", "content-length": 2 });
    res.end("{}");
  });
  serveAsChild(server);
}

if (process.argv[1]?.endsWith("mirror-backend.js")) main();
