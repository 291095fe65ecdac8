import { readFileSync } from "node:fs";
import { CutoverError } from "../errors/index.js";
import { HOP_BY_HOP } from "../proxy/headers.js";
import { pathShape } from "../route/shape.js";

/** One request of the bench's input, sent as-is to both sides. */
export interface BenchRequest {
  method: string;
  /** Path and query as sent, e.g. `/api/users/1?x=2`; the side's base URL is put in front. */
  path: string;
  /** Lower-cased names; hop-by-hop, Host and Content-Length are left out (the client sets them). */
  headers: Record<string, string>;
  body?: string;
  /** Request kind for the parity counts: method and path shape, e.g. `GET /api/users/{int}`. */
  kind: string;
}

/** More entries than this is refused: the bench cycles through its input, it need not hold a day of traffic. */
export const MAX_BENCH_REQUESTS = 100_000;
const METHOD = /^[A-Z][A-Z0-9_-]*$/;
const DROPPED = new Set([...HOP_BY_HOP, "host", "content-length"]);

function make(method: string, target: string, where: string): BenchRequest {
  let path: string;
  if (target.startsWith("/")) path = target;
  else {
    let u: URL;
    try {
      u = new URL(target);
    } catch {
      throw new CutoverError("CUTOVER_ERR_BENCH_INPUT", `${where}: "${target}" is neither a URL nor a path`);
    }
    if (u.protocol !== "http:" && u.protocol !== "https:")
      throw new CutoverError("CUTOVER_ERR_BENCH_INPUT", `${where}: "${target}" is not an http(s) URL`);
    path = u.pathname + u.search;
  }
  return { method, path, headers: {}, kind: `${method} ${pathShape(path)}` };
}

function tooMany(n: number): void {
  if (n > MAX_BENCH_REQUESTS)
    throw new CutoverError("CUTOVER_ERR_BENCH_INPUT", `more than ${MAX_BENCH_REQUESTS} requests: cut the input down`);
}

/** parseUrlList reads `METHOD URL` or `URL` lines (a URL or a path); blank lines and `#` comments are skipped. */
export function parseUrlList(text: string, source = "urls"): BenchRequest[] {
  const out: BenchRequest[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (line === "" || line.startsWith("#")) continue;
    const parts = line.split(/\s+/);
    const where = `${source}:${i + 1}`;
    if (parts.length > 2 || (parts.length === 2 && !METHOD.test(parts[0] ?? "")))
      throw new CutoverError("CUTOVER_ERR_BENCH_INPUT", `${where}: expected "METHOD URL" or "URL", got "${line}"`);
    out.push(parts.length === 2 ? make(parts[0] ?? "", parts[1] ?? "", where) : make("GET", parts[0] ?? "", where));
    tooMany(out.length);
  }
  return out;
}

interface HarEntry {
  request?: {
    method?: unknown;
    url?: unknown;
    headers?: { name?: unknown; value?: unknown }[];
    postData?: { text?: unknown };
  };
}

/**
 * parseHar reads the requests of a HAR 1.2 log (`log.entries[].request`): method, URL, headers and
 * `postData.text`. Only what a load test needs; responses in the file are not used.
 */
export function parseHar(text: string, source = "har"): BenchRequest[] {
  let doc: { log?: { entries?: unknown } };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_BENCH_INPUT", `${source}: not JSON: ${(err as Error).message}`);
  }
  const entries = doc.log?.entries;
  if (!Array.isArray(entries)) throw new CutoverError("CUTOVER_ERR_BENCH_INPUT", `${source}: no log.entries array`);
  tooMany(entries.length);
  return (entries as HarEntry[]).map((e, i) => {
    const where = `${source}: log.entries[${i}]`;
    const r = e.request;
    if (typeof r?.method !== "string" || !METHOD.test(r.method) || typeof r.url !== "string")
      throw new CutoverError("CUTOVER_ERR_BENCH_INPUT", `${where}: request.method and request.url are required`);
    const req = make(r.method, r.url, where);
    for (const h of r.headers ?? []) {
      if (typeof h.name !== "string" || typeof h.value !== "string") continue;
      const name = h.name.toLowerCase();
      if (name.startsWith(":") || DROPPED.has(name)) continue;
      req.headers[name] = req.headers[name] === undefined ? h.value : `${req.headers[name]}, ${h.value}`;
    }
    if (typeof r.postData?.text === "string" && r.postData.text !== "") req.body = r.postData.text;
    return req;
  });
}

/** readBenchInput loads a HAR file or a URL list from disk; an empty input is an error. */
export function readBenchInput(input: { har?: string; urls?: string }): BenchRequest[] {
  const file = input.har ?? input.urls;
  if (!file || (input.har && input.urls))
    throw new CutoverError("CUTOVER_ERR_USAGE", "give either a HAR file or --urls FILE, not both");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_BENCH_INPUT", `${file}: ${(err as Error).message}`);
  }
  const list = input.har ? parseHar(text, file) : parseUrlList(text, file);
  if (list.length === 0) throw new CutoverError("CUTOVER_ERR_BENCH_INPUT", `${file}: no requests`);
  return list;
}
