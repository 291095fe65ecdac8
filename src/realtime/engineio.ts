import type { Target } from "../config/schema.js";

/**
 * Engine.IO (Socket.IO's transport) session affinity, without state: the `sid` in a polling
 * handshake answer is tagged with the side that created it (`C~<sid>` or `L~<sid>`, like HAProxy's
 * cookie prefix), later polls and the WebSocket upgrade are routed by the tag, and the tag is
 * stripped before they are forwarded. Any worker, replica or restarted gateway reads the same tag.
 * Pure: query strings and bodies in, query strings and bodies out.
 */

const TAGS: Record<Target, string> = { legacy: "L", candidate: "C" };
const SEP = "~";

/** What an Engine.IO request says about itself in its query string. */
export interface EngineRequest {
  /** Protocol revision: "4" (Socket.IO 3+), "3" (Socket.IO 2). */
  eio: string;
  transport: string;
  /** The session id as sent (tag included), or undefined for a handshake. */
  sid: string | undefined;
  /** JSONP polling (`j=`): the answer is a script, which is never rewritten. */
  jsonp: boolean;
}

function decode(v: string): string | undefined {
  try {
    return decodeURIComponent(v.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/** engineRequest reads EIO, transport and sid; undefined when the query has no EIO parameter. */
export function engineRequest(query: string): EngineRequest | undefined {
  if (!query.includes("EIO=")) return undefined;
  let eio: string | undefined;
  let transport = "polling";
  let sid: string | undefined;
  let jsonp = false;
  for (const part of query.replace(/^\?/, "").split("&")) {
    const eq = part.indexOf("=");
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? "" : (decode(part.slice(eq + 1)) ?? "");
    if (name === "EIO") eio ??= value;
    else if (name === "transport") transport = value;
    else if (name === "sid") sid ??= value;
    else if (name === "j") jsonp = true;
  }
  return eio === undefined ? undefined : { eio, transport, sid, jsonp };
}

/** isHandshake: a polling request that opens a session (no sid yet), whose answer gets tagged. */
export function isHandshake(r: EngineRequest): boolean {
  return r.sid === undefined && r.transport === "polling" && !r.jsonp;
}

export function tagSid(sid: string, target: Target): string {
  return TAGS[target] + SEP + sid;
}

/** sidTag reads the side a tagged sid names; undefined for an untagged or unknown tag. */
export function sidTag(sid: string): Target | undefined {
  if (sid.charAt(1) !== SEP) return undefined;
  const t = sid.charAt(0);
  return t === TAGS.candidate ? "candidate" : t === TAGS.legacy ? "legacy" : undefined;
}

/**
 * stripSidTag returns the query with the first `sid` parameter's tag removed (the rest of the
 * query byte for byte as sent), or undefined when the sid carries no tag.
 */
export function stripSidTag(query: string): string | undefined {
  const q = query.startsWith("?") ? 1 : 0;
  let at = q;
  while (at < query.length) {
    const end = query.indexOf("&", at);
    const stop = end === -1 ? query.length : end;
    if (query.startsWith("sid=", at)) {
      const v = query.slice(at + 4, stop);
      // The separator as sent: "~" or percent-encoded.
      const sepLen = v.charAt(1) === SEP ? 1 : /^%7e$/i.test(v.slice(1, 4)) ? 3 : 0;
      if (sepLen === 0 || sidTag(v.charAt(0) + SEP) === undefined) return undefined;
      return query.slice(0, at + 4) + v.slice(1 + sepLen) + query.slice(stop);
    }
    at = stop + 1;
  }
  return undefined;
}

function openPacket(packet: string, target: Target): string | undefined {
  if (!packet.startsWith("0{")) return undefined;
  let open: unknown;
  try {
    open = JSON.parse(packet.slice(1));
  } catch {
    return undefined;
  }
  if (!open || typeof open !== "object" || typeof (open as { sid?: unknown }).sid !== "string") return undefined;
  const o = open as { sid: string };
  if (sidTag(o.sid) !== undefined) return undefined; // already tagged (a gateway in front of this one)
  o.sid = tagSid(o.sid, target);
  return "0" + JSON.stringify(o);
}

/**
 * tagHandshake rewrites a polling handshake answer so its open packet's sid carries `target`'s
 * tag; the other packets are kept byte for byte. Handles EIO 4 (packets separated by 0x1e),
 * EIO 3 text (`<length>:<packet>`) and EIO 3 binary (`0x00 <digits> 0xff <packet>`) framing.
 * Returns undefined when the body is not a handshake it understands (then it is passed on as is).
 */
export function tagHandshake(body: Buffer, eio: string, target: Target): Buffer | undefined {
  if (eio === "4") {
    const text = body.toString("utf8");
    const sep = text.indexOf("\x1e");
    const first = sep === -1 ? text : text.slice(0, sep);
    const open = openPacket(first, target);
    return open === undefined ? undefined : Buffer.from(open + (sep === -1 ? "" : text.slice(sep)), "utf8");
  }
  if (eio !== "3") return undefined;
  if (body[0] === 0) {
    // Binary framing: a string packet, its length as one byte per decimal digit, 0xff, the packet.
    const ff = body.indexOf(0xff);
    if (ff < 2 || ff > 12) return undefined;
    let len = 0;
    for (let i = 1; i < ff; i++) {
      const d = body[i] as number;
      if (d > 9) return undefined;
      len = len * 10 + d;
    }
    if (ff + 1 + len > body.length) return undefined;
    const open = openPacket(body.subarray(ff + 1, ff + 1 + len).toString("latin1"), target);
    if (open === undefined) return undefined;
    const digits = Buffer.from(String(open.length), "latin1").map((c) => c - 48);
    return Buffer.concat([
      Buffer.from([0]),
      digits,
      Buffer.from([0xff]),
      Buffer.from(open, "latin1"),
      body.subarray(ff + 1 + len),
    ]);
  }
  // Text framing; the length counts characters (UTF-16 code units), not bytes.
  const text = body.toString("utf8");
  const m = /^(\d{1,9}):/.exec(text);
  if (!m) return undefined;
  const len = Number(m[1]);
  const start = m[0].length;
  if (start + len > text.length) return undefined;
  const open = openPacket(text.slice(start, start + len), target);
  return open === undefined ? undefined : Buffer.from(`${open.length}:${open}${text.slice(start + len)}`, "utf8");
}

/** The answer to a poll of a session that must end: a close packet, so the client reconnects. */
export function closePacket(eio: string): { contentType: string; body: string } {
  return { contentType: "text/plain; charset=UTF-8", body: eio === "3" ? "1:1" : "1" };
}

/** What the gateway does with a request on an `affinity: engine.io` route. */
export type SessionStep =
  /** Not Engine.IO, or a request without a tagged sid that is not a handshake: split as usual. */
  | { kind: "none" }
  /** A polling handshake: split as usual, then tag the sid in the answer with the side that served it. */
  | { kind: "handshake"; eio: string }
  /** A tagged session: go to `target` whatever the bucket, with the tag stripped from `query`. */
  | { kind: "pinned"; target: Target; query: string }
  /** A candidate session while the candidate takes no one (weight 0, unhealthy): close it. */
  | { kind: "moved"; eio: string };

/**
 * sessionStep decides how a request of an Engine.IO route is placed. `candidateOpen` is false
 * when the route's weight is 0 (a rollback) or the candidate is unhealthy: then a candidate
 * session's poll (GET) or WebSocket upgrade is `moved`, so the client reconnects to legacy; its
 * POSTs still reach the candidate, which holds the session their packets belong to.
 */
export function sessionStep(method: string, query: string, candidateOpen: boolean): SessionStep {
  const r = engineRequest(query);
  if (!r) return { kind: "none" };
  if (r.sid === undefined)
    return method === "GET" && isHandshake(r) ? { kind: "handshake", eio: r.eio } : { kind: "none" };
  const target = sidTag(r.sid);
  const stripped = target && stripSidTag(query);
  if (!target || stripped === undefined) return { kind: "none" };
  if (target === "candidate" && !candidateOpen && method === "GET") return { kind: "moved", eio: r.eio };
  return { kind: "pinned", target, query: stripped };
}
