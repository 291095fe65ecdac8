import { STATUS_CODES, type IncomingHttpHeaders } from "node:http";
import type { Duplex } from "node:stream";
import type { Dispatcher } from "undici";
import type { Target } from "../config/schema.js";
import { ERROR_CODES, errorBody, type ErrorCode } from "../errors/index.js";
import { countsAgainstHealth, upstreamErrorCode } from "./errors.js";
import type { Upstream } from "./upstream.js";
import { FrameTracker, GOING_AWAY, closeFrame, maskedCloseFrame } from "./ws-frames.js";

/** writeRawResponse answers on a socket that never became an HTTP response (an upgrade request). */
export function writeRawResponse(
  socket: Duplex,
  status: number,
  message: string,
  headers: IncomingHttpHeaders,
  body?: Buffer,
): void {
  if (socket.destroyed) return;
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) head += `${k}: ${x}\r\n`;
  }
  socket.end(body ? Buffer.concat([Buffer.from(head + "\r\n"), body]) : head + "\r\n");
}

export function rawError(socket: Duplex, code: ErrorCode, requestId?: string): void {
  const body = errorBody(code, requestId);
  const status = ERROR_CODES[code].status;
  writeRawResponse(
    socket,
    status,
    STATUS_CODES[status] ?? "Error",
    {
      "content-type": "application/json",
      "content-length": String(body.length),
      "x-cutover-error": code,
      connection: "close",
    },
    body,
  );
}

/**
 * Tunnel is one upgraded connection: bytes flow both ways untouched while a FrameTracker on each
 * side knows where frames end, so `goAway()` can close both peers with 1001 at a frame boundary.
 */
export class Tunnel {
  private readonly down = new FrameTracker(); // upstream → client
  private readonly up = new FrameTracker(); // client → upstream
  private closing = false;
  private closed = false;
  readonly openedAt = performance.now();

  constructor(
    readonly target: Target,
    readonly routeId: number,
    private readonly client: Duplex,
    private readonly upstream: Duplex,
    private readonly onClose: (t: Tunnel) => void,
  ) {
    upstream.on("data", (chunk: Buffer) => this.relay(chunk, this.down, client, true));
    client.on("data", (chunk: Buffer) => this.relay(chunk, this.up, upstream, false));
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      a.on("end", () => b.end());
      a.on("error", () => b.destroy());
      a.on("close", () => {
        b.destroy();
        this.finish();
      });
    }
    client.on("drain", () => upstream.resume());
    upstream.on("drain", () => client.resume());
  }

  private relay(chunk: Buffer, tracker: FrameTracker, to: Duplex, toClient: boolean): void {
    if (!this.closing) {
      tracker.feed(chunk);
      if (!to.write(chunk)) (toClient ? this.upstream : this.client).pause();
      return;
    }
    // Closing: forward only the rest of the frame in flight, then the Close frame.
    if (tracker.atBoundary) return;
    const n = tracker.feed(chunk, true);
    to.write(n === -1 ? chunk : chunk.subarray(0, n));
    if (n !== -1) this.sendClose(to, toClient);
  }

  private sendClose(to: Duplex, toClient: boolean): void {
    to.end(toClient ? closeFrame(GOING_AWAY) : maskedCloseFrame(GOING_AWAY));
  }

  /** goAway closes the tunnel cleanly: 1001 to the client and to the upstream, each at a frame boundary. */
  goAway(graceMs = 1000): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    if (this.down.atBoundary) this.sendClose(this.client, true);
    if (this.up.atBoundary) this.sendClose(this.upstream, false);
    setTimeout(() => {
      this.client.destroy();
      this.upstream.destroy();
    }, graceMs).unref();
  }

  /** The status code of the first Close frame either side sent (1005: none given), or 1006 when none was sent. */
  get closeCode(): number {
    return this.down.closeCode ?? this.up.closeCode ?? 1006;
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose(this);
  }
}

export interface UpgradeRequest {
  upstream: Upstream;
  /** The client's method and `Upgrade` protocol, kept as requested. */
  method: string;
  protocol: string;
  target: Target;
  routeId: number;
  path: string;
  headers: string[];
  socket: Duplex;
  head: Buffer;
  headersTimeout: number;
  requestId: string;
  onTunnel: (t: Tunnel) => void;
  onTunnelClosed: (t: Tunnel) => void;
  onDone: (status: number, code?: ErrorCode) => void;
}

/** upgrade asks the upstream to switch protocols and, on 101, joins the two sockets in a Tunnel. */
export function upgrade(r: UpgradeRequest): void {
  const chunks: Buffer[] = [];
  let status = 0;
  let message = "";
  let resHeaders: IncomingHttpHeaders = {};
  let controller: Dispatcher.DispatchController | undefined;
  r.socket.on("error", () => controller?.abort(new Error("client closed")));
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
    },
    onRequestUpgrade(_c, statusCode, headers, upSocket) {
      r.upstream.success(false);
      if (r.socket.destroyed) {
        upSocket.destroy();
        return;
      }
      let head = `HTTP/1.1 ${statusCode} Switching Protocols\r\n`;
      for (const [k, v] of Object.entries(headers)) {
        if (v === undefined) continue;
        for (const x of Array.isArray(v) ? v : [v]) head += `${k}: ${x}\r\n`;
      }
      r.socket.write(head + "\r\n");
      if (r.head.length) upSocket.write(r.head);
      const t = new Tunnel(r.target, r.routeId, r.socket, upSocket, r.onTunnelClosed);
      r.onTunnel(t);
      r.onDone(statusCode);
    },
    // The upstream refused the upgrade (e.g. Werkzeug answers 400, Starlette 403): pass its answer on.
    onResponseStart(_c, statusCode, headers, statusMessage) {
      status = statusCode;
      message = statusMessage ?? "";
      resHeaders = headers;
      r.upstream.success(false);
    },
    onResponseData(_c, chunk) {
      if (chunks.reduce((n, c) => n + c.length, 0) < 64 * 1024) chunks.push(chunk);
    },
    onResponseEnd() {
      const body = Buffer.concat(chunks);
      const h = { ...resHeaders, "content-length": String(body.length), connection: "close" };
      delete h["transfer-encoding"];
      writeRawResponse(r.socket, status, message || "Upgrade Refused", h, body);
      r.onDone(status);
    },
    onResponseError(_c, err) {
      const { code } = upstreamErrorCode(err);
      if (countsAgainstHealth(code)) r.upstream.failure(code);
      const failed: ErrorCode = code === "CUTOVER_ERR_UPSTREAM_PROTOCOL" ? "CUTOVER_ERR_UPGRADE_FAILED" : code;
      rawError(r.socket, failed, r.requestId);
      r.onDone(ERROR_CODES[failed].status, failed);
    },
  };
  r.upstream.pool.dispatch(
    {
      origin: r.upstream.origin,
      method: r.method,
      path: r.path,
      headers: r.headers,
      upgrade: r.protocol,
      headersTimeout: r.headersTimeout,
    },
    handler,
  );
}
