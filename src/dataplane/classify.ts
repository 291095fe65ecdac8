import type { IncomingMessage } from "node:http";
import type { ErrorCode } from "../errors/index.js";
import { requestHeaders } from "../proxy/headers.js";
import { sessionStep } from "../realtime/engineio.js";
import { decide, type SplitDecision } from "../split/decide.js";
import { userKey } from "../split/keys.js";
import type { RequestFacts } from "../state/facts.js";
import type { Runtime } from "../state/runtime.js";

export { upstreamPath, type RequestFacts } from "../state/facts.js";

/** A request the gateway answers itself, never forwarded: a coded error and an optional detail header. */
export interface Refusal {
  code: ErrorCode;
  detail?: string;
  /** CUTOVER_ERR_SESSION_MOVED on a poll: answer the Engine.IO close packet of this revision instead. */
  eio?: string;
}

const ID_PREFIX = Math.floor(Math.random() * 36 ** 4)
  .toString(36)
  .padStart(4, "0");
let idCounter = 0;
export function nextRequestId(): string {
  return `${ID_PREFIX}-${(++idCounter).toString(36)}`;
}

const OVERRIDE_SECRET_HEADER = "x-cutover-secret";
/** Markers the gateway puts on its own requests; a client sending them is never believed or forwarded. */
export const INTERNAL_MARKERS: readonly string[] = ["x-cutover-mirror"];
/** The only protocol an upgrade may ask for: the tunnel tracks WebSocket frames. */
const TUNNELLED = "websocket";

/** clientIp is the socket's peer, or the first X-Forwarded-For entry when the config trusts it. */
export function clientIp(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = req.headers["x-forwarded-for"];
    const first = typeof xff === "string" ? xff.split(",")[0]?.trim() : undefined;
    if (first) return first;
  }
  const a = req.socket.remoteAddress ?? "";
  return a.startsWith("::ffff:") ? a.slice(7) : a;
}

/** hasDotSegment is true for paths whose meaning changes after normalisation (`/a/../b`). */
function hasDotSegment(path: string): boolean {
  if (!path.includes(".") && !path.includes("%2")) return false;
  const decoded = path.replace(/%2e/gi, ".").replace(/%2f/gi, "/");
  return /(^|\/)\.\.?(\/|$)/.test(decoded);
}

/**
 * checkHeaders refuses what could not be forwarded faithfully: more header lines than the limit
 * (Node drops the lines past its count, a Content-Length among them), more than one Host (the
 * HTTP client throws on it: answered by the gateway, never an upstream's error), and a transfer
 * coding other than chunked (the body is forwarded decoded, so the coding would be lost).
 */
function checkHeaders(req: IncomingMessage, maxHeaders: number): Refusal | undefined {
  const raw = req.rawHeaders;
  if (raw.length > 2 * maxHeaders)
    return { code: "CUTOVER_ERR_HEADERS_TOO_LARGE", detail: `more than ${maxHeaders} header lines` };
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 4 && name.toLowerCase() === "host") hosts++;
  }
  if (hosts > 1) return { code: "CUTOVER_ERR_BAD_REQUEST", detail: "more than one Host header" };
  const te = req.headers["transfer-encoding"];
  if (te !== undefined && te.trim().toLowerCase() !== "chunked")
    return { code: "CUTOVER_ERR_TRANSFER_CODING", detail: `transfer coding "${te}": only chunked is forwarded` };
  return undefined;
}

/**
 * Classifier is the one classify step of the request path, for HTTP requests and upgrades alike:
 * validate (absolute form, URL length, dot segments, upgrade protocol), route, override-or-bucket
 * split, and the headers to send upstream. It answers RequestFacts, or a Refusal the caller sends
 * with its transport (an HTTP response or a raw answer on the upgrade socket).
 */
export class Classifier {
  private readonly overrideHeader: string;
  private readonly drop: ReadonlySet<string>;

  constructor(private readonly rt: Runtime) {
    this.overrideHeader = rt.config.override.header.toLowerCase();
    this.drop = new Set(["expect", this.overrideHeader, OVERRIDE_SECRET_HEADER, ...INTERNAL_MARKERS]);
  }

  classify(req: IncomingMessage, upgrade: boolean): RequestFacts | Refusal {
    const rt = this.rt;
    const cfg = rt.config;
    const url = req.url ?? "";
    const method = req.method ?? "GET";
    if (url.charCodeAt(0) !== 47 /* "/" */) return { code: "CUTOVER_ERR_NOT_A_PROXY" };
    if (url.length > cfg.limits.max_url_length) return { code: "CUTOVER_ERR_URL_TOO_LONG" };
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? "" : url.slice(q);
    if (hasDotSegment(path)) return { code: "CUTOVER_ERR_BAD_REQUEST", detail: "path has dot segments" };
    const bad = checkHeaders(req, cfg.limits.max_headers);
    if (bad) return bad;
    let protocol: string | undefined;
    if (upgrade) {
      protocol = req.headers.upgrade?.trim().toLowerCase();
      if (protocol !== TUNNELLED) return { code: "CUTOVER_ERR_UPGRADE_UNSUPPORTED" };
    }
    const rm = rt.table.match(method, path, { headers: req.headers, query });
    if (!rm) return { code: "CUTOVER_ERR_NO_ROUTE" };
    // Engine.IO affinity: a tagged session goes to the side that holds it, before override or bucket.
    const session =
      rm.route.config.affinity === "engine.io"
        ? sessionStep(method, query, (rt.weights[rm.route.id] ?? 0) > 0 && rt.upstreams.candidate.healthy)
        : undefined;
    if (session?.kind === "moved") return { code: "CUTOVER_ERR_SESSION_MOVED", eio: upgrade ? undefined : session.eio };

    const ip = clientIp(req, cfg.trust_proxy);
    const key = userKey(rt.keys, req.headers, cfg.bucketing.fallback === "ip" ? ip : "");
    let decision: SplitDecision;
    const override = cfg.override.enabled ? req.headers[this.overrideHeader] : undefined;
    if (session?.kind === "pinned") {
      decision = { target: session.target, bucket: -1, reason: "session" };
    } else if (override !== undefined) {
      if (cfg.override.secret !== undefined && req.headers[OVERRIDE_SECRET_HEADER] !== cfg.override.secret)
        return { code: "CUTOVER_ERR_OVERRIDE_FORBIDDEN" };
      if (override !== "legacy" && override !== "candidate")
        return { code: "CUTOVER_ERR_BAD_REQUEST", detail: `${this.overrideHeader} must be legacy or candidate` };
      decision = { target: override, bucket: -1, reason: "override" };
    } else {
      decision = decide({
        key,
        salt: cfg.bucketing.salt,
        weight: rt.weights[rm.route.id] ?? 0,
        candidateHealthy: rt.upstreams.candidate.healthy,
        random: Math.random,
      });
    }

    const headers = requestHeaders(req.rawHeaders, req.headers, {
      clientIp: ip,
      proto: "encrypted" in req.socket ? "https" : "http",
      host: req.headers.host,
      trustProxy: cfg.trust_proxy,
      drop: this.drop,
    });
    const len = req.headers["content-length"];
    return {
      id: nextRequestId(),
      method,
      rm,
      path,
      query: session?.kind === "pinned" ? session.query : query,
      key,
      decision,
      headers,
      hasBody: len !== undefined ? len !== "0" : req.headers["transfer-encoding"] !== undefined,
      upgrade: protocol,
      handshake: session?.kind === "handshake" ? session.eio : undefined,
      startedAt: performance.now(),
    };
  }
}

export function isRefusal(x: RequestFacts | Refusal): x is Refusal {
  return "code" in x;
}
