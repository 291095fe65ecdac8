import { readFileSync } from "node:fs";
import { CutoverError } from "../errors/index.js";
import { readRecording, type RecordedRequest } from "../recording/index.js";
import { pathShape } from "../route/shape.js";

/** One request of the bench's input, sent as-is to both sides. */
export interface BenchRequest {
  method: string;
  /** Path and query as sent, e.g. `/api/users/1?x=2`; the side's base URL is put in front. */
  path: string;
  /** Lower-cased names; hop-by-hop, Host and Content-Length are left out (the client sets them). */
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Request kind for the parity counts: method and path shape, e.g. `GET /api/users/{int}`. */
  kind: string;
}

/** More entries than this is refused: the bench cycles through its input, it need not hold a day of traffic. */
export const MAX_BENCH_REQUESTS = 100_000;
const METHOD = /^[A-Z][A-Z0-9_-]*$/;

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

/**
 * fromRecording: a recording's requests (HAR 1.2 or GoReplay `.gor`, read by src/recording/) as
 * bench input. The kind is the endpoint template the gateway recorded, else the path's shape.
 */
export function fromRecording(list: readonly RecordedRequest[]): BenchRequest[] {
  tooMany(list.length);
  return list.map((r) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of r.headers) {
      const prev = headers[name];
      headers[name] = prev === undefined ? value : `${prev}${name === "cookie" ? "; " : ", "}${value}`;
    }
    const req: BenchRequest = {
      method: r.method,
      path: r.target,
      headers,
      kind: `${r.method} ${r.template ?? pathShape(r.target)}`,
    };
    if (r.body) req.body = r.body;
    return req;
  });
}

/** readBenchInput loads a recording (HAR or `.gor`) or a URL list from disk; an empty input is an error. */
export function readBenchInput(input: { har?: string; urls?: string }): BenchRequest[] {
  const file = input.har ?? input.urls;
  if (!file || (input.har && input.urls))
    throw new CutoverError("CUTOVER_ERR_USAGE", "give either a HAR file or --urls FILE, not both");
  let list: BenchRequest[];
  if (input.har) list = fromRecording(readRecording(file));
  else {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new CutoverError("CUTOVER_ERR_BENCH_INPUT", `${file}: ${(err as Error).message}`);
    }
    list = parseUrlList(text, file);
  }
  if (list.length === 0) throw new CutoverError("CUTOVER_ERR_BENCH_INPUT", `${file}: no requests`);
  return list;
}
