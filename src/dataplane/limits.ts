import type { Socket } from "node:net";

/** Why a client connection was refused at once. */
export type ConnectionRefusal = "max_connections" | "max_connections_per_ip";

/**
 * ConnectionLimits caps the client connections open at once, in total and (optionally) per peer
 * address, so a flood of connections is refused with a clear answer instead of reaching the
 * file-descriptor limit, where every new client would be reset. The peer is the socket's address,
 * never X-Forwarded-For: headers have not arrived yet, and a client could forge them.
 */
export class ConnectionLimits {
  private open = 0;
  private readonly byIp = new Map<string, number>();
  /** Admitted sockets and their peer address (gone from the socket once it is closed). */
  private readonly admitted = new WeakMap<Socket, string>();

  constructor(
    private readonly max: number,
    private readonly perIp: number | undefined,
  ) {}

  /** admit counts a new connection, or says why it is refused (then it is not counted). */
  admit(s: Socket): ConnectionRefusal | undefined {
    if (this.open >= this.max) return "max_connections";
    const ip = s.remoteAddress ?? "";
    if (this.perIp !== undefined) {
      const n = this.byIp.get(ip) ?? 0;
      if (n >= this.perIp) return "max_connections_per_ip";
      this.byIp.set(ip, n + 1);
    }
    this.open++;
    this.admitted.set(s, ip);
    return undefined;
  }

  release(s: Socket): void {
    const ip = this.admitted.get(s);
    if (ip === undefined) return;
    this.admitted.delete(s);
    this.open--;
    if (this.perIp === undefined) return;
    const n = (this.byIp.get(ip) ?? 1) - 1;
    if (n <= 0) this.byIp.delete(ip);
    else this.byIp.set(ip, n);
  }
}
