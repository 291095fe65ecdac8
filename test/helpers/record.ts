// Records real traffic for replay tests: each request is sent to a live backend and the exchange
// is written with the recording writer (redaction, caps, HAR assembly), as the gateway would.
import { join } from "node:path";
import { request } from "undici";
import { HarWriter } from "../../src/recording/index.js";

export interface Sent {
  status: number;
  json: Record<string, unknown>;
}

export class TestRecorder {
  private readonly writer: HarWriter;
  private n = 0;

  constructor(
    private readonly url: string,
    readonly file: string,
  ) {
    this.writer = new HarWriter(file, {
      maxBody: 1 << 20,
      redactHeaders: [],
      redactPaths: [],
      salt: "test",
      rotateBytes: 0,
      rotateMs: 0,
      maxPending: 64 << 20,
    });
  }

  static in(dir: string, url: string, name = "traffic.har"): TestRecorder {
    return new TestRecorder(url, join(dir, name));
  }

  async send(
    method: string,
    target: string,
    opts: { headers?: Record<string, string>; json?: unknown; user?: string } = {},
  ): Promise<Sent> {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.user) headers["x-user-id"] = opts.user;
    let body: Buffer | undefined;
    if (opts.json !== undefined) {
      body = Buffer.from(JSON.stringify(opts.json));
      headers["content-type"] = "application/json";
    }
    const t0 = performance.now();
    const res = await request(this.url + target, { method: method as "GET", headers, body: body ?? null });
    const raw = Buffer.from(await res.body.arrayBuffer());
    const resHeaders: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) resHeaders[k] = v;
    const ms = performance.now() - t0;
    this.writer.write({
      id: `rec-${this.n++}`,
      at: Date.now(),
      method,
      target,
      headers,
      body,
      served: "legacy",
      userKey: opts.user,
      response: {
        status: res.statusCode,
        headers: resHeaders,
        body: raw,
        truncated: false,
        timing: { headersMs: ms, totalMs: ms },
      },
    });
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(raw.toString("utf8")) as Record<string, unknown>;
    } catch {
      // not JSON
    }
    return { status: res.statusCode, json };
  }

  async close(): Promise<string> {
    await this.writer.close();
    return this.file;
  }
}
