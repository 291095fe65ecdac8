/**
 * Backend for bench/proxy.ts: one `node:http` process, keep-alive (120 s), responses built in advance.
 *   GET /small  → 200-byte JSON      GET /large → 16 KiB JSON      POST /echo → the request body
 * Every answer carries `x-backend: <name>` so the harness can see which upstream served it.
 *
 * usage: node dist/bench/proxy-backend.js <name>
 * Prints {"port": N} on stdout when listening; exits when stdin closes (the harness went away).
 */
import { createServer } from "node:http";
import { serveAsChild } from "./child.js";
import { LARGE_BODY, SMALL_BODY } from "./proxy-payloads.js";

const name = process.argv[2] ?? "backend";
const json = (len: number): Record<string, string | number> => ({
  "content-type": "application/json",
  "content-length": len,
  "x-backend": name,
});
const smallHeaders = json(SMALL_BODY.length);
const largeHeaders = json(LARGE_BODY.length);

const server = createServer({ keepAliveTimeout: 120_000, requestTimeout: 0, noDelay: true }, (req, res) => {
  const url = req.url ?? "";
  if (req.method === "GET" && url === "/small") {
    res.writeHead(200, smallHeaders);
    res.end(SMALL_BODY);
    return;
  }
  if (req.method === "GET" && url === "/large") {
    res.writeHead(200, largeHeaders);
    res.end(LARGE_BODY);
    return;
  }
  if (req.method === "POST" && url === "/echo") {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      chunks.push(c);
      size += c.length;
    });
    req.on("end", () => {
      res.writeHead(200, json(size));
      res.end(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    return;
  }
  res.writeHead(404, json(2));
  res.end("{}");
});
serveAsChild(server);
