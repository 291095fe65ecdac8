import { readFileSync, unwatchFile, watchFile } from "node:fs";
import { createServer as createHttpServer, type RequestListener, type Server, type ServerOptions } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { createSecureContext } from "node:tls";
import type { Logger } from "pino";
import { CutoverError } from "../errors/index.js";

/** Certificate and key files (PEM) for a listener. */
export interface TlsFiles {
  cert: string;
  key: string;
}

/** readTls reads and checks a certificate and its key; a missing file or a mismatch is CUTOVER_ERR_TLS. */
export function readTls(files: TlsFiles): { cert: Buffer; key: Buffer } {
  let pair: { cert: Buffer; key: Buffer };
  try {
    pair = { cert: readFileSync(files.cert), key: readFileSync(files.key) };
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_TLS", (err as Error).message, { cause: err });
  }
  try {
    createSecureContext(pair); // throws on a malformed PEM or a key that is not the certificate's
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_TLS", `${files.cert} / ${files.key}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return pair;
}

/**
 * createServer is an HTTP server, or with `tls` an HTTPS one (HTTP/1.1 only: see docs/deploy.md).
 * Both speak the same request/upgrade events, so the request path does not know the difference.
 */
export function createServer(options: ServerOptions, tls: TlsFiles | undefined, handler: RequestListener): Server {
  if (!tls) return createHttpServer(options, handler);
  return createHttpsServer({ ...options, ...readTls(tls), ALPNProtocols: ["http/1.1"] }, handler);
}

/** isTls says whether a server made by createServer terminates TLS. */
export function isTls(server: Server): boolean {
  return typeof (server as Partial<HttpsServer>).setSecureContext === "function";
}

/**
 * CertificateReloader swaps a TLS server's certificate when the files change (checked every
 * `intervalMs`, which also catches a Kubernetes Secret's symlink swap) or on SIGHUP. New
 * handshakes get the new certificate; open connections keep theirs and are never dropped. A
 * broken new pair is refused (logged) and the old one stays.
 */
export class CertificateReloader {
  reloads = 0;
  failures = 0;
  private readonly onSignal = (): void => void this.reload("SIGHUP");
  private readonly onChange = (): void => void this.reload("file changed");

  constructor(
    private readonly server: Server,
    private readonly files: TlsFiles,
    private readonly log: Logger,
    private readonly intervalMs = 1000,
  ) {
    for (const f of [files.cert, files.key]) watchFile(f, { interval: intervalMs, persistent: false }, this.onChange);
    process.on("SIGHUP", this.onSignal);
  }

  reload(why: string): boolean {
    try {
      (this.server as unknown as HttpsServer).setSecureContext(readTls(this.files));
      this.reloads++;
      this.log.info({ cert: this.files.cert, why }, "TLS certificate reloaded");
      return true;
    } catch (err) {
      // A cert written before its key (or half-written) fails here; the next change retries.
      this.failures++;
      this.log.error({ err: (err as Error).message, why }, "TLS certificate reload failed; keeping the current one");
      return false;
    }
  }

  close(): void {
    for (const f of [this.files.cert, this.files.key]) unwatchFile(f, this.onChange);
    process.off("SIGHUP", this.onSignal);
  }
}
