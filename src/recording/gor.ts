import { HOP } from "./har.js";
import type { RecordedAnswer, RecordedRequest } from "./types.js";

/**
 * GoReplay `.gor` files: each record is a header line `<type> <id> <unix-ns>[ <latency>]`, the raw
 * HTTP/1.x message, then the separator `\n🐵🙈🙉\n`. Type 1 is a request, 2 the original response
 * (paired by id), 3 a replayed response (ignored: cutover replays itself).
 */
const SEPARATOR = Buffer.from("\n🐵🙈🙉\n", "utf8");

export function looksLikeGor(head: Buffer): boolean {
  return /^[123] [0-9a-f]+ \d+/.test(head.subarray(0, 64).toString("latin1"));
}

interface RawMessage {
  startLine: string;
  headers: [string, string][];
  body: Buffer;
}

function parseMessage(raw: Buffer): RawMessage | undefined {
  const end = raw.indexOf("\r\n\r\n");
  const head = (end === -1 ? raw : raw.subarray(0, end)).toString("latin1");
  const lines = head.split("\r\n");
  const startLine = lines.shift();
  if (!startLine) return undefined;
  const headers: [string, string][] = [];
  for (const l of lines) {
    const i = l.indexOf(":");
    if (i > 0) headers.push([l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()]);
  }
  let body = end === -1 ? Buffer.alloc(0) : raw.subarray(end + 4);
  if (headers.some(([n, v]) => n === "transfer-encoding" && /chunked/i.test(v))) body = unchunk(body);
  return { startLine, headers, body };
}

function unchunk(b: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const nl = b.indexOf("\r\n", i);
    if (nl === -1) break;
    const size = parseInt(b.subarray(i, nl).toString("latin1"), 16);
    if (!Number.isFinite(size) || size === 0) break;
    out.push(b.subarray(nl + 2, nl + 2 + size));
    i = nl + 2 + size + 2;
  }
  return Buffer.concat(out);
}

/** parseGor turns a `.gor` file into requests, each with its original response when recorded. */
export function parseGor(data: Buffer): RecordedRequest[] {
  const requests: RecordedRequest[] = [];
  const byId = new Map<string, RecordedRequest>();
  let pos = 0;
  while (pos < data.length) {
    let next = data.indexOf(SEPARATOR, pos);
    if (next === -1) next = data.length;
    const record = data.subarray(pos, next);
    pos = next + SEPARATOR.length;
    const nl = record.indexOf("\n");
    if (nl === -1) continue;
    const [type, id = "", ns = "0"] = record.subarray(0, nl).toString("latin1").trim().split(" ");
    const msg = parseMessage(record.subarray(nl + 1));
    if (!msg) continue;
    if (type === "1") {
      const [method = "GET", target = "/"] = msg.startLine.split(" ");
      const r: RecordedRequest = {
        index: requests.length,
        id,
        at: /^\d+$/.test(ns) ? Number(BigInt(ns) / 1_000_000n) : 0,
        method,
        target: target.startsWith("/") ? target : new URL(target).pathname + new URL(target).search,
        headers: msg.headers.filter(([n]) => !HOP.has(n)),
        body: msg.body.length ? msg.body : undefined,
        redacted: [],
      };
      requests.push(r);
      byId.set(id, r);
    } else if (type === "2") {
      const r = byId.get(id);
      if (!r) continue;
      const status = Number(msg.startLine.split(" ")[1] ?? 0);
      const headers: RecordedAnswer["headers"] = {};
      for (const [n, v] of msg.headers) {
        const prev = headers[n];
        headers[n] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
      }
      r.recorded = { status, headers, body: msg.body };
    }
  }
  return requests;
}
