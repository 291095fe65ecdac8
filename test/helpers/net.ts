// Misbehaving upstreams for transport tests: a port nobody listens on, a server that accepts and
// never answers, one that resets connections, one that answers with bytes that are not HTTP.
// All listen on 127.0.0.1 with a port chosen by the kernel.
import { connect, createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";

export interface DeadPort {
  port: number;
  /** `http://127.0.0.1:<port>`: connecting is refused (ECONNREFUSED). */
  url: string;
}

export interface TestServer {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  /** Stop listening and destroy every open connection. */
  close(): Promise<void>;
}

/** A port that was free a moment ago: bound, then closed, so connecting to it is refused.
 * (Another process could take it in between; on a test machine that is vanishingly rare.) */
export async function deadPort(): Promise<DeadPort> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { port, url: `http://127.0.0.1:${port}` };
}

/** Accepts connections, reads and discards what the client sends, and never answers. */
export function startHangingServer(): Promise<TestServer> {
  return serve((socket) => {
    socket.resume();
  });
}

export interface ResettingOptions {
  /** `data` (default): reset once the request's first bytes arrive, so the client sees ECONNRESET
   * while waiting for the response. `connect`: reset right after accepting. */
  when?: "data" | "connect";
}

/** Accepts connections and destroys them with a TCP RST (ECONNRESET at the client). */
export function startResettingServer(opts: ResettingOptions = {}): Promise<TestServer> {
  const when = opts.when ?? "data";
  return serve((socket) => {
    if (when === "connect") socket.resetAndDestroy();
    else socket.once("data", () => socket.resetAndDestroy());
  });
}

export interface GarbageOptions {
  /** What to answer with. Default: bytes no HTTP parser accepts as a status line. */
  payload?: string | Uint8Array;
}

const GARBAGE = Buffer.from("\x00\x01\x02SSH-2.0-not-http \xff\xfe\r\n\r\n", "latin1");

/** Answers the first bytes of every connection with non-HTTP bytes, then closes it. */
export function startGarbageServer(opts: GarbageOptions = {}): Promise<TestServer> {
  const payload = opts.payload ?? GARBAGE;
  return serve((socket) => {
    socket.once("data", () => socket.end(payload));
  });
}

/**
 * The keep-alive race, made certain: answers the first request on each connection (keep-alive,
 * "ok"), and closes the connection without a word when the next request on it arrives — as a
 * server whose idle timeout fires just as a reused connection's request goes out.
 */
export function startStaleKeepAliveServer(
  /** `reset`: a TCP RST (what Linux sends when a server closes with the request unread), else a FIN. */
  close: "fin" | "reset" = "fin",
): Promise<TestServer & { requests(): number }> {
  let requests = 0;
  return serve((socket) => {
    let head = "";
    let answered = false;
    socket.on("data", (d: Buffer) => {
      if (answered) {
        requests++;
        if (close === "reset") socket.resetAndDestroy();
        else socket.destroy();
        return;
      }
      head += d.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      requests++;
      answered = true;
      socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok");
    });
  }).then((s) => ({ ...s, requests: () => requests }));
}

async function serve(onConnection: (socket: Socket) => void): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined); // resets and client aborts are the point here
    onConnection(socket);
  });
  const port = await listen(server);
  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** raw writes bytes on a fresh connection and returns everything answered until it closes (or `ms` pass). */
export function raw(url: string, bytes: string, ms = 3000): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname, () => s.write(bytes));
    let out = "";
    s.on("data", (d: Buffer) => (out += d.toString("latin1")));
    s.on("end", () => resolve(out));
    s.on("close", () => resolve(out));
    s.on("error", reject);
    setTimeout(() => s.destroy(), ms).unref();
  });
}
