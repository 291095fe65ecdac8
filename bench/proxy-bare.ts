/**
 * Reference for bench/proxy.ts: the smallest honest Node proxy — a `node:http` server in front of
 * one undici `Pool` per backend through `pool.dispatch()`, hop-by-hop headers dropped, chunks
 * written straight to the client with backpressure, a client disconnect aborting through the
 * dispatch controller. No routing, bucketing, metrics or logging. Requests alternate between the
 * two backends. It is what `../shared/research/proxy-perf.md` calls "undici-pool" (0.53× nginx
 * there); cutover's cost above it is the price of its features.
 *
 * usage: node dist/bench/proxy-bare.js <origin-a> <origin-b>
 * Prints {"port": N} on stdout when listening; exits when stdin closes.
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders } from "node:http";
import { serveAsChild } from "./child.js";
import { Pool, type Dispatcher } from "undici";

const HOP = new Set(["connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "proxy-connection"]);
const origins = process.argv.slice(2);
const pools = origins.map((o) => new Pool(o, { connections: 64, keepAliveTimeout: 60_000 }));
let turn = 0;

const server = createServer({ keepAliveTimeout: 120_000, noDelay: true }, (req, res) => {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    if (!HOP.has((raw[i] as string).toLowerCase())) headers.push(raw[i] as string, raw[i + 1] as string);
  }
  const i = turn++ % pools.length;
  let controller: Dispatcher.DispatchController | undefined;
  res.on("close", () => {
    if (!res.writableFinished) controller?.abort(new Error("client closed"));
  });
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
    },
    onResponseStart(_c, status, h: IncomingHttpHeaders) {
      const out: OutgoingHttpHeaders = {};
      for (const k in h) if (!HOP.has(k)) out[k] = h[k];
      res.writeHead(status, out);
    },
    onResponseData(c, chunk: Buffer) {
      if (!res.write(chunk)) {
        c.pause();
        res.once("drain", () => c.resume());
      }
    },
    onResponseEnd() {
      res.end();
    },
    onResponseError() {
      if (res.headersSent) res.destroy();
      else {
        res.writeHead(502);
        res.end();
      }
    },
  };
  pools[i]!.dispatch(
    {
      origin: origins[i],
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers,
      body: req.headers["content-length"] || req.headers["transfer-encoding"] ? req : null,
    },
    handler,
  );
});

serveAsChild(server);
