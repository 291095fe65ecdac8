// Socket.IO fixtures and client for tests: legacy = Flask-SocketIO under gunicorn's eventlet
// worker, candidate = a python-socketio ASGI app under uvicorn (test/fixtures/socketio/), client =
// socket.io-client with transports ['polling', 'websocket'] (long-polling first, then upgrade).
import { io, type Socket } from "socket.io-client";
import { start, type Backend, type BackendOptions } from "./backends.js";

export interface SocketIOOptions extends BackendOptions {
  /** Engine.IO ping interval and timeout in seconds (both sides). Default 1 and 1. */
  pingInterval?: number;
  pingTimeout?: number;
}

function env(o: SocketIOOptions): Record<string, string> {
  return { PING_INTERVAL: String(o.pingInterval ?? 1), PING_TIMEOUT: String(o.pingTimeout ?? 1), ...o.env };
}

/** startSocketIO starts the legacy (Flask-SocketIO) or candidate (python-socketio ASGI) fixture. */
export function startSocketIO(side: "legacy" | "candidate", o: SocketIOOptions = {}): Promise<Backend> {
  return start(side === "legacy" ? "sio-flask" : "sio-asgi", [], { ...o, env: env(o) });
}

export interface SioClient {
  socket: Socket;
  /** The side of each `hello` this client was greeted with, in order (one per (re)connection). */
  hellos: string[];
  /** Connection errors the client saw. */
  errors: string[];
  /** Reasons of every disconnect (a session that broke, or the server closing it). */
  disconnects: string[];
  /** Resolves with the side of the next `hello`. */
  nextHello(): Promise<string>;
  /** echo round trip; resolves with the side that answered. */
  echo(data: unknown, timeoutMs?: number): Promise<string>;
  close(): void;
}

/** connect opens a socket.io-client to `url` with polling first, as browsers do. */
export function connect(url: string, headers: Record<string, string> = {}, path = "/socket.io/"): SioClient {
  const socket = io(url, {
    path,
    transports: ["polling", "websocket"],
    extraHeaders: headers,
    reconnectionDelay: 50,
    reconnectionDelayMax: 200,
    randomizationFactor: 0,
    timeout: 5000,
    forceNew: true,
  });
  const hellos: string[] = [];
  const errors: string[] = [];
  const disconnects: string[] = [];
  socket.on("disconnect", (reason) => disconnects.push(reason));
  let waiting: ((side: string) => void)[] = [];
  socket.on("hello", (m: { side: string }) => {
    hellos.push(m.side);
    const w = waiting;
    waiting = [];
    for (const f of w) f(m.side);
  });
  socket.on("connect_error", (err: Error) => errors.push(`connect_error ${err.message}`));
  return {
    socket,
    hellos,
    errors,
    disconnects,
    nextHello: () => new Promise((resolve) => waiting.push(resolve)),
    echo: (data, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        socket
          .timeout(timeoutMs)
          .emit("echo", data, (err: Error | null, ack: { side: string }) => (err ? reject(err) : resolve(ack.side)));
      }),
    close: () => socket.close(),
  };
}
