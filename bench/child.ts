import { Server } from "node:http";
import type { AddressInfo, Server as NetServer } from "node:net";

/**
 * serveAsChild is how every bench server process starts: keep-alive long enough for a whole run,
 * listen on 127.0.0.1 port 0, print {"port": N} for the harness, and exit when the harness goes
 * away (it holds our stdin open, so stdin ending means it exited, even when it was killed).
 */
export function serveAsChild(server: Server | NetServer): void {
  if (server instanceof Server) {
    server.keepAliveTimeout = 120_000;
    server.headersTimeout = 125_000;
  }
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + "\n");
  });
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("error", () => process.exit(0));
  process.stdin.resume();
  process.on("SIGTERM", () => process.exit(0));
}
