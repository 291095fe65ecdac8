import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseListen } from "../config/units.js";
import { CutoverError } from "../errors/index.js";
import { isTls } from "../tls/tls.js";

/** listen binds `server` to `host:port` and returns its URL; a refused address is CUTOVER_ERR_LISTEN. */
export async function listen(server: Server, address: string): Promise<string> {
  const { host, port } = parseListen(address);
  server.listen(port, host);
  try {
    await Promise.race([once(server, "listening"), once(server, "error").then(([e]) => Promise.reject(e as Error))]);
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_LISTEN", `${address}: ${(err as Error).message}`, { cause: err });
  }
  return serverUrl(server);
}

/** serverUrl is a listening server's URL: http:// or https://. */
export function serverUrl(server: Server): string {
  const a = server.address() as AddressInfo;
  return `${isTls(server) ? "https" : "http"}://${a.family === "IPv6" ? `[${a.address}]` : a.address}:${a.port}`;
}
