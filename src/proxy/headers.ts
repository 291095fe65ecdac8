import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

/**
 * Hop-by-hop headers are meaningful for one connection only and are never forwarded
 * (RFC 9110 §7.6.1: Connection and every field it names, Proxy-Connection, Keep-Alive, TE,
 * Transfer-Encoding, Upgrade). `Trailer` and `Proxy-Authenticate`/`Proxy-Authorization` stay out
 * too, as in Caddy and nginx: they describe this hop, not the origin.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection",
  "proxy-connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authenticate",
  "proxy-authorization",
]);

/** Lower-cased names listed in a Connection header ("close", "keep-alive", custom hop headers). */
function connectionTokens(value: string | undefined): Set<string> | undefined {
  // Nearly every request and response says just "keep-alive" or "close", both already hop-by-hop.
  if (!value || value === "keep-alive" || value === "close" || value === "Keep-Alive") return undefined;
  const out = new Set<string>();
  for (const t of value.split(",")) {
    const v = t.trim().toLowerCase();
    if (v) out.add(v);
  }
  return out.size ? out : undefined;
}

export interface ForwardedInfo {
  clientIp: string;
  proto: string;
  host: string | undefined;
  trustProxy: boolean;
  /** Extra headers to set (already lower-case), e.g. the override secret is removed by the caller. */
  drop?: ReadonlySet<string>;
}

/**
 * requestHeaders builds the flat [name, value, …] list sent upstream from the client's raw
 * headers: hop-by-hop removed, X-Forwarded-For appended, X-Forwarded-Proto/-Host set.
 * The client's Host is kept so the upstream builds links and redirects that point at the gateway.
 */
export function requestHeaders(raw: readonly string[], headers: IncomingHttpHeaders, info: ForwardedInfo): string[] {
  const extra = connectionTokens(headers.connection);
  const out: string[] = [];
  let xff: string | undefined;
  let xfp: string | undefined;
  let xfh: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    const value = raw[i + 1] as string;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || extra?.has(lower) || info.drop?.has(lower)) continue;
    if (lower === "x-forwarded-for") {
      xff = xff === undefined ? value : `${xff}, ${value}`;
      continue;
    }
    if (lower === "x-forwarded-proto") {
      xfp ??= value;
      continue;
    }
    if (lower === "x-forwarded-host") {
      xfh ??= value;
      continue;
    }
    out.push(name, value);
  }
  out.push("x-forwarded-for", xff ? `${xff}, ${info.clientIp}` : info.clientIp);
  out.push("x-forwarded-proto", info.trustProxy && xfp ? xfp : info.proto);
  const host = info.trustProxy && xfh ? xfh : info.host;
  if (host) out.push("x-forwarded-host", host);
  return out;
}

/** responseHeaders copies an upstream's headers for the client, without hop-by-hop ones. */
export function responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const extra = connectionTokens(typeof headers.connection === "string" ? headers.connection : undefined);
  const out: OutgoingHttpHeaders = {};
  for (const name in headers) {
    if (HOP_BY_HOP.has(name) || extra?.has(name)) continue;
    out[name] = headers[name];
  }
  return out;
}
