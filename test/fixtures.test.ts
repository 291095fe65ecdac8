// Proves the fixture backends and network helpers work: both real apps start, answer, differ
// exactly as test/fixtures/PLANTED.md says, and leave no process behind.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import type { IncomingHttpHeaders } from "node:http";
import { Readable } from "node:stream";
import { after, before, test } from "node:test";
import { gunzipSync } from "node:zlib";
import WebSocket from "ws";
import { processGroupMembers, startFastAPI, startFlask } from "./helpers/backends.js";
import type { Backend } from "./helpers/backends.js";
import { deadPort, startGarbageServer, startHangingServer, startResettingServer } from "./helpers/net.js";

// ------------------------------------------------------------------ a tiny HTTP client

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  ms: number;
}

interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Buffer | Readable;
  timeoutMs?: number;
}

/** One request on a fresh connection (no pooling), the whole body buffered. */
function call(url: string, opts: CallOptions = {}): Promise<Reply> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: opts.method ?? "GET", headers: opts.headers, agent: false, timeout: opts.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          const ms = performance.now() - began;
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString("utf8"), ms });
        });
      },
    );
    req.on("timeout", () => req.destroy(Object.assign(new Error("client timeout"), { code: "CLIENT_TIMEOUT" })));
    req.on("error", reject);
    if (opts.body instanceof Readable) opts.body.pipe(req);
    else req.end(opts.body);
  });
}

function json(reply: Reply): Record<string, unknown> {
  return JSON.parse(reply.text) as Record<string, unknown>;
}

function errorCode(err: unknown): string {
  return err instanceof Error && "code" in err ? String(err.code) : String(err);
}

interface SseEvent {
  event: string;
  id: string;
  data: string;
  at: number;
}

/** Reads an event stream, noting when each event arrived (ms after the request was sent). */
function readEvents(url: string): Promise<{ reply: Reply; events: SseEvent[] }> {
  const began = performance.now();
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    let buf = "";
    const req = request(url, { agent: false }, (res) => {
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          const fields = new Map(
            buf
              .slice(0, end)
              .split("\n")
              .map((line) => [line.slice(0, line.indexOf(":")), line.slice(line.indexOf(":") + 2)] as const),
          );
          buf = buf.slice(end + 2);
          const at = performance.now() - began;
          events.push({
            event: fields.get("event") ?? "",
            id: fields.get("id") ?? "",
            data: fields.get("data") ?? "",
            at,
          });
        }
      });
      res.on("end", () => {
        const ms = performance.now() - began;
        resolve({
          reply: { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.alloc(0), text: "", ms },
          events,
        });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The /download pattern (byte i is i % 256), as a stream of `chunk`-sized pieces. */
function* pattern(total: number, chunk = 65536): Generator<Buffer> {
  const block = Buffer.alloc(chunk + 256);
  for (let i = 0; i < block.length; i++) block[i] = i % 256;
  for (let sent = 0; sent < total; sent += chunk) {
    const start = sent % 256; // chunk sizes that are not multiples of 256 keep the pattern going
    yield block.subarray(start, start + Math.min(chunk, total - sent));
  }
}

function sha256(total: number): string {
  const h = createHash("sha256");
  for (const b of pattern(total)) h.update(b);
  return h.digest("hex");
}

/** Peak resident set size of a process, from /proc (Linux). */
function peakRssKiB(pid: number): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  assert.ok(m, `no VmHWM for ${pid}`);
  return Number(m[1]);
}

function admin(b: Backend, path: string, body: unknown): Promise<Reply> {
  return call(b.url + path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

// ------------------------------------------------------------------ backends for this file

let flask: Backend;
let fastapi: Backend;
let flaskThreads: Backend; // gthread, 2 workers, INSTANCE=secondary
const started: Backend[] = [];

before(async () => {
  const keep = (b: Backend): Backend => {
    started.push(b);
    return b;
  };
  [flask, fastapi, flaskThreads] = await Promise.all([
    startFlask().then(keep),
    startFastAPI().then(keep),
    startFlask({ workerClass: "gthread", threads: 4, workers: 2, env: { INSTANCE: "secondary" } }).then(keep),
  ]);
});

after(async () => {
  // Normally already stopped by the last test (stop() is idempotent), or if one failed to start.
  await Promise.all(started.map((b) => b.stop()));
});

test("both apps start on their own ports and report healthy", (t) => {
  for (const b of [flask, fastapi, flaskThreads]) {
    t.diagnostic(`${b.kind} pid ${b.pid} port ${b.port}: healthy after ${b.startupMs} ms`);
    assert.match(b.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(processGroupMembers(b.pid).includes(b.pid));
  }
  assert.equal(new Set([flask.port, fastapi.port, flaskThreads.port]).size, 3);
});

test("health endpoints, the /healthz alias and health-mode", async () => {
  const legacy = await call(flask.url + "/health");
  assert.equal(legacy.status, 200);
  assert.equal(legacy.text, "ok");
  assert.equal((await call(flask.url + "/healthz")).status, 404);

  const candidate = await call(fastapi.url + "/healthz");
  assert.deepEqual([candidate.status, json(candidate)], [200, { status: "ok" }]);
  assert.equal((await call(fastapi.url + "/health")).status, 404);

  for (const b of [flask, fastapi]) {
    await admin(b, "/admin/health-mode", { healthy: false });
    assert.equal((await call(b.url + b.healthPath)).status, 503);
    await admin(b, "/admin/health-mode", { healthy: true });
    assert.equal((await call(b.url + b.healthPath)).status, 200);
  }
});

test("admin state is shared by all gunicorn workers (--preload)", async () => {
  await admin(flaskThreads, "/admin/health-mode", { healthy: false });
  const statuses = await Promise.all(Array.from({ length: 8 }, () => call(flaskThreads.url + "/health")));
  assert.deepEqual(
    statuses.map((r) => r.status),
    Array<number>(8).fill(503),
  );
  await admin(flaskThreads, "/admin/fail-rate", { rate: 0.5 });
  const flaky: number[] = [];
  for (let i = 0; i < 6; i++) flaky.push((await call(flaskThreads.url + "/api/flaky")).status);
  assert.deepEqual(flaky, [200, 500, 200, 500, 200, 500]);
  await admin(flaskThreads, "/admin/reset", {});
  for (const b of [flaskThreads, fastapi]) {
    assert.equal((await admin(b, "/admin/nonsense", {})).status, 400);
    assert.equal((await admin(b, "/admin/fail-rate", { rate: "lots" })).status, 400);
  }
  assert.equal((await call(flaskThreads.url + "/health")).status, 200);
});

test("/whoami reports backend, instance, user, path, query, X-Forwarded-* and hop-by-hop headers", async () => {
  const headers = {
    "x-user-id": "u-42",
    "x-forwarded-for": "203.0.113.7",
    "x-forwarded-proto": "https",
    "x-forwarded-host": "shop.example.test",
    connection: "close, x-hop-test",
    "keep-alive": "timeout=5",
    "proxy-connection": "keep-alive",
    te: "trailers",
    "x-hop-test": "1",
  };
  const expected = {
    user: "u-42",
    path: "/whoami/a b",
    raw_path: "/whoami/a%20b",
    query: "x=1&y=%2F",
    forwarded_for: "203.0.113.7",
    forwarded_proto: "https",
    forwarded_host: "shop.example.test",
    hop_headers_seen: ["keep-alive", "proxy-connection", "te", "x-hop-test"],
  };
  const cases = [
    [flask, "flask-legacy", "primary"],
    [fastapi, "fastapi-candidate", "primary"],
    [flaskThreads, "flask-legacy", "secondary"],
  ] as const;
  for (const [b, backend, instance] of cases) {
    const body = json(await call(b.url + "/whoami/a%20b?x=1&y=%2F", { headers }));
    assert.deepEqual(
      { ...body, pid: 0, host: "", method: "" },
      { backend, instance, pid: 0, host: "", method: "", ...expected },
    );
  }
  const bare = json(await call(fastapi.url + "/whoami"));
  assert.deepEqual([bare.user, bare.forwarded_for, bare.hop_headers_seen], [null, null, []]);
});

test("HEAD and OPTIONS keep each framework's default (Flask answers, FastAPI 405s)", async () => {
  const head = await call(flask.url + "/whoami", { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  const options = await call(flask.url + "/whoami", { method: "OPTIONS" });
  assert.equal(options.status, 200);
  assert.deepEqual(new Set(String(options.headers.allow).split(", ")), new Set(["GET", "HEAD", "OPTIONS"]));
  assert.equal((await call(fastapi.url + "/whoami", { method: "HEAD" })).status, 405);
  assert.equal((await call(fastapi.url + "/whoami", { method: "OPTIONS" })).status, 405);
});

test("/slow and /status/<code>", async () => {
  for (const b of [flask, fastapi]) {
    const slow = await call(b.url + "/slow?ms=150");
    assert.deepEqual(json(slow), { slept_ms: 150 });
    assert.ok(slow.ms >= 140, `slow answered after ${slow.ms} ms`);
    const teapot = await call(b.url + "/status/418", { method: "POST" });
    assert.deepEqual([teapot.status, json(teapot)], [418, { status: 418 }]);
    const empty = await call(b.url + "/status/204");
    assert.deepEqual([empty.status, empty.body.length], [204, 0]);
  }
});

test("/sse flushes each event as it is produced", async () => {
  for (const b of [flask, fastapi]) {
    const { reply, events } = await readEvents(b.url + "/sse?n=3&interval=0.15");
    assert.equal(reply.status, 200);
    assert.match(String(reply.headers["content-type"]), /^text\/event-stream/);
    assert.deepEqual(
      events.map((e) => [e.event, e.id, e.data]),
      [1, 2, 3].map((i) => ["tick", String(i), `{"i": ${i}}`]),
    );
    const [first, , last] = events;
    assert.ok(last!.at - first!.at >= 250, `${b.kind}: events not spread out: ${events.map((e) => e.at).join(", ")}`);
  }
});

test("gthread: an open SSE stream does not block other requests", async () => {
  const stream = readEvents(flaskThreads.url + "/sse?n=4&interval=0.25");
  await new Promise((r) => setTimeout(r, 100));
  const quick = await call(flaskThreads.url + "/whoami");
  assert.equal(quick.status, 200);
  assert.ok(quick.ms < 500, `whoami waited ${quick.ms} ms behind the stream`);
  assert.equal((await stream).events.length, 4);
});

test("WebSocket /ws/echo echoes text and binary and closes with a requested code", async () => {
  const ws = new WebSocket(fastapi.url.replace("http", "ws") + "/ws/echo", ["chat"]);
  const messages: { data: Buffer; binary: boolean }[] = [];
  const waiters: (() => void)[] = [];
  ws.on("message", (data: WebSocket.RawData, binary: boolean) => {
    messages.push({ data: Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]), binary });
    waiters.shift()?.();
  });
  const next = () => new Promise<void>((resolve) => waiters.push(resolve));
  const closed = new Promise<number>((resolve) => ws.on("close", (code: number) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  assert.equal(ws.protocol, "chat");
  let got = next();
  ws.send("héllo");
  await got;
  got = next();
  ws.send(Buffer.from([0, 1, 2, 255]));
  await got;
  ws.send("close:4001:bye");
  assert.equal(await closed, 4001);
  assert.deepEqual(
    messages.map((m) => [m.binary, m.binary ? [...m.data] : m.data.toString("utf8")]),
    [
      [false, "héllo"],
      [true, [0, 1, 2, 255]],
    ],
  );
  const who = new WebSocket(fastapi.url.replace("http", "ws") + "/ws/whoami?q=1", {
    headers: { "x-user-id": "ws-user", "x-forwarded-for": "198.51.100.1" },
  });
  const first = await new Promise<string>((resolve, reject) => {
    who.once("message", (data: Buffer) => resolve(data.toString("utf8")));
    who.once("error", reject);
    who.once("close", (code: number) => reject(new Error(`closed ${code} before the message`)));
  });
  assert.deepEqual(JSON.parse(first) as unknown, {
    ...(JSON.parse(first) as object),
    backend: "fastapi-candidate",
    path: "/ws/whoami",
    query: "q=1",
    user: "ws-user",
    forwarded_for: "198.51.100.1",
  });
  const flaskWs = await call(flask.url + "/ws/echo", { headers: { connection: "Upgrade", upgrade: "websocket" } });
  assert.notEqual(flaskWs.status, 101, "legacy has no WebSocket");
});

test("/upload hashes streamed bodies (sized and chunked); /download streams with a flat RSS", async () => {
  const sized = 24 * 1024 * 1024;
  const chunked = 3 * 1024 * 1024 + 17;
  for (const b of [flask, fastapi]) {
    const up = await call(b.url + "/upload", {
      method: "POST",
      headers: { "content-length": String(sized) },
      body: Readable.from(pattern(sized)),
    });
    assert.deepEqual(json(up), { bytes: sized, sha256: sha256(sized) });
    const up2 = await call(b.url + "/upload", { method: "POST", body: Readable.from(pattern(chunked, 10_000)) });
    assert.deepEqual(json(up2), { bytes: chunked, sha256: sha256(chunked) });

    const small = await call(b.url + "/download?bytes=1000");
    assert.equal(small.headers["content-length"], "1000");
    assert.equal(small.headers["transfer-encoding"], undefined);
    assert.ok(small.body.equals(Buffer.concat([...pattern(1000)])));

    // 128 MiB through the app: its peak RSS must not grow by anything like that.
    const pid = Number(json(await call(b.url + "/whoami")).pid);
    const rssBefore = peakRssKiB(pid);
    const total = 128 * 1024 * 1024;
    const received = await new Promise<number>((resolve, reject) => {
      request(b.url + `/download?bytes=${total}`, { agent: false }, (res) => {
        let n = 0;
        res.on("data", (c: Buffer) => {
          if (c[0] !== n % 256) reject(new Error(`pattern broken at ${n}`));
          n += c.length;
        });
        res.on("end", () => resolve(n));
      })
        .on("error", reject)
        .end();
    });
    assert.equal(received, total);
    const grown = peakRssKiB(pid) - rssBefore;
    assert.ok(grown < 32 * 1024, `${b.kind} peak RSS grew by ${grown} KiB during a 128 MiB download`);
  }
});

// ------------------------------------------------------------------ planted differences

async function both(path: string, opts: CallOptions = {}): Promise<[Reply, Reply]> {
  return Promise.all([call(flask.url + path, opts), call(fastapi.url + path, opts)]);
}

test("planted: identical routes, key order, escaping, encoding and empty bodies mean the same", async () => {
  for (const path of ["/api/same/7", "/api/ordered", "/api/unicode", "/api/bigint-same", "/api/me"]) {
    const [l, c] = await both(path);
    assert.deepEqual([l.status, json(l)], [c.status, json(c)], path);
  }
  const [ol, oc] = await both("/api/ordered");
  assert.notEqual(ol.text.trim(), oc.text, "key order differs on the wire");
  const [ul, uc] = await both("/api/unicode");
  assert.deepEqual(json(uc), { name: "héllo ☃ 😀" });
  assert.ok(ul.text.includes("\\u00e9") && ul.text.includes("\\ud83d\\ude00") && uc.text.includes("😀"));
  for (const path of ["/api/bigint-same"]) {
    const [l, c] = await both(path);
    assert.match(l.text, /"id":9007199254740993\b/);
    assert.match(c.text, /"id":9007199254740993\b/);
  }

  const [gl, gc] = await both("/api/gzip", { headers: { "accept-encoding": "gzip" } });
  assert.equal(gl.headers["content-encoding"], "gzip");
  assert.equal(gl.headers.vary, "Accept-Encoding");
  assert.equal(gc.headers["content-encoding"], undefined);
  assert.deepEqual(JSON.parse(gunzipSync(gl.body).toString("utf8")), json(gc));
  const [plainLegacy] = await both("/api/gzip");
  assert.equal(plainLegacy.headers["content-encoding"], undefined);
  assert.deepEqual(json(plainLegacy), json(gc));

  const [dl, dc] = await both("/api/thing/3", { method: "DELETE" });
  assert.deepEqual([dl.status, dl.body.length, dc.status, dc.body.length], [204, 0, 204, 0]);
  const [el, ec] = await both("/api/empty");
  assert.deepEqual([el.status, el.body.length, ec.status, ec.body.length], [200, 0, 200, 0]);
});

test("planted: one difference per route, as PLANTED.md documents", async () => {
  const pair = async (path: string) =>
    (await both(path)).map(json) as [Record<string, unknown>, Record<string, unknown>];

  let [l, c] = await pair("/api/users/1");
  assert.deepEqual([l.user_name, l.username, c.username, c.user_name], ["grace", undefined, "grace", undefined]);
  [l, c] = await pair("/api/products/1");
  assert.deepEqual([l.price, c.price], ["10.10", 10.1]);
  [l, c] = await pair("/api/orders/1");
  assert.deepEqual([l.created_at, c.created_at], ["Tue, 02 Jan 2024 03:04:05 GMT", "2024-01-02T03:04:05.678000"]);
  [l, c] = await pair("/api/accounts/1");
  assert.deepEqual([l.created_by, "created_by" in c], ["admin", false]);
  [l, c] = await pair("/api/settings");
  assert.deepEqual(["beta_features" in l, c.beta_features], [false, []]);
  [l, c] = await pair("/api/people/2");
  assert.deepEqual(["nickname" in l, l.nickname, "nickname" in c], [true, null, false]);
  [l, c] = await pair("/api/tags");
  assert.deepEqual(
    [l.tags, c.tags],
    [
      ["alpha", "beta", "gamma"],
      ["gamma", "alpha", "beta"],
    ],
  );

  const post = (body: string) =>
    both("/api/items", { method: "POST", headers: { "content-type": "application/json" }, body });
  const [bl, bc] = await post('{"name": "x", "qty": "lots"}');
  assert.deepEqual([bl.status, bc.status], [400, 422]);
  assert.deepEqual(json(bl), { error: "qty must be an integer" });
  const [okl, okc] = await post('{"name": "x", "qty": 2}');
  assert.deepEqual([okl.status, json(okl)], [okc.status, json(okc)]);
  assert.equal(okl.status, 201);

  const [vl, vc] = await both("/api/versioned");
  assert.deepEqual([vl.headers["x-api-version"], vc.headers["x-api-version"]], ["1", "2"]);
  assert.deepEqual(json(vl), json(vc));

  const [pl, pc] = await both("/api/plain");
  assert.deepEqual([pl.headers["content-type"], pl.text], ["text/html; charset=utf-8", "ok"]);
  assert.deepEqual([pc.headers["content-type"], pc.text], ["application/json", '"ok"']);

  const [il, ic] = await both("/api/bigint");
  assert.match(il.text, /"id":9007199254740993\b/);
  assert.match(ic.text, /"id":9007199254740992\b/);
  assert.deepEqual(json(il), json(ic), "JSON.parse hides the difference: the reason to parse losslessly");

  const [el, ec] = await Promise.all([readEvents(flask.url + "/api/events"), readEvents(fastapi.url + "/api/events")]);
  assert.deepEqual(
    el.events.map((e) => e.event),
    ["update", "update", "update", "done"],
  );
  // Each update carries the time it was sent ("at", noise); everything else is identical.
  const sansTime = (data: string): unknown => ({ ...(JSON.parse(data) as object), at: undefined });
  assert.deepEqual(
    ec.events.map((e) => [e.event, e.id, sansTime(e.data)]),
    el.events.slice(0, 3).map((e) => [e.event, e.id, sansTime(e.data)]),
  );
  assert.notEqual(ec.events[0]?.data, el.events[0]?.data, "the time in each event varies");
});

test("planted: /api/noisy varies per request and per process, nothing else does", async () => {
  for (const b of [flask, fastapi]) {
    const first = json(await call(b.url + "/api/noisy"));
    const second = json(await call(b.url + "/api/noisy"));
    assert.notEqual(first.request_id, second.request_id);
    assert.notEqual(first.generated_at, second.generated_at);
    assert.equal(second.counter, Number(first.counter) + 1);
    assert.ok(Number(second.uptime_s) > Number(first.uptime_s));
    assert.deepEqual([second.service, second.items], ["catalog", [1, 2, 3]]);
    assert.deepEqual(Object.keys(first).sort(), [
      "counter",
      "generated_at",
      "items",
      "request_id",
      "service",
      "uptime_s",
    ]);
  }
});

test("planted: /api/flaky fails on demand, /admin/latency slows /api/* only", async () => {
  await admin(fastapi, "/admin/fail-rate", { rate: 0.25 });
  const legacy: number[] = [];
  const candidate: number[] = [];
  for (let i = 0; i < 8; i++) {
    const [l, c] = await both("/api/flaky");
    legacy.push(l.status);
    candidate.push(c.status);
    if (c.status === 500)
      assert.deepEqual([c.headers["content-type"], c.text], ["text/plain; charset=utf-8", "Internal Server Error"]);
  }
  assert.deepEqual(candidate, [200, 200, 200, 500, 200, 200, 200, 500], "exactly every 4th request fails");
  assert.deepEqual(legacy, Array<number>(8).fill(200));

  await admin(fastapi, "/admin/latency", { ms: 200 });
  const [slowApi, fastWhoami] = await Promise.all([call(fastapi.url + "/api/same/1"), call(fastapi.url + "/whoami")]);
  assert.ok(slowApi.ms >= 190, `api answered in ${slowApi.ms} ms`);
  assert.ok(fastWhoami.ms < 150, `whoami answered in ${fastWhoami.ms} ms`);
  const state = json(await admin(fastapi, "/admin/reset", {}));
  assert.deepEqual(state, { healthy: true, fail_rate: 0, latency_ms: 0, flaky_seen: 0 });
});

test("planted: /api/me reads x-user-id or a JWT sub (unverified)", async () => {
  const payload = Buffer.from(JSON.stringify({ sub: "jwt-user-7" })).toString("base64url");
  const token = `eyJhbGciOiJIUzI1NiJ9.${payload}.sig`;
  for (const b of [flask, fastapi]) {
    assert.deepEqual(json(await call(b.url + "/api/me", { headers: { "x-user-id": "h-1" } })), { user: "h-1" });
    assert.deepEqual(json(await call(b.url + "/api/me", { headers: { authorization: `Bearer ${token}` } })), {
      user: "jwt-user-7",
    });
    assert.deepEqual(json(await call(b.url + "/api/me")), { user: null });
  }
});

// ------------------------------------------------------------------ lifecycle

test("a failed start reports the server's stderr", async () => {
  const squatter = await startHangingServer();
  try {
    await assert.rejects(startFlask({ port: squatter.port }), (err: Error) => {
      assert.match(err.message, /start flask: exited before listening/);
      assert.match(err.message, /Address already in use/);
      return true;
    });
  } finally {
    await squatter.close();
  }
});

test("servers die with a test process that exits without stop() or is SIGKILLed", async () => {
  const helper = new URL("./helpers/backends.js", import.meta.url).href;
  const script = `
    const { startFlask } = await import(${JSON.stringify(helper)});
    const b = await startFlask();
    console.log("PID " + b.pid);
    if (process.argv[1] === "exit") process.exit(0);
    setInterval(() => {}, 1000);`;
  const run = async (mode: "exit" | "sigkill"): Promise<number> => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script, mode], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = "";
      child.stdout.setEncoding("utf8");
      child.stdout.on("data", (c: string) => {
        out += c;
        const m = /PID (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.on("exit", (code) => {
        if (!/PID \d+/.test(out)) reject(new Error(`child exited (${code}) before starting: ${out}`));
      });
    });
    if (mode === "sigkill") child.kill("SIGKILL");
    const deadline = Date.now() + 8000;
    while (processGroupMembers(pid).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return pid;
  };
  const pids = await Promise.all([run("exit"), run("sigkill")]);
  for (const pid of pids)
    assert.deepEqual(processGroupMembers(pid), [], `server group ${pid} outlived its test process`);
});

test("kill() signals the whole group; stop() ends every process and is idempotent", async () => {
  // SIGKILL to the gthread backend's group takes its two workers down with the master.
  flaskThreads.kill("SIGKILL");
  assert.deepEqual(await flaskThreads.exited, { code: null, signal: "SIGKILL" });
  const backends = [flask, fastapi, flaskThreads];
  const began = performance.now();
  await Promise.all(backends.map((b) => b.stop()));
  for (const b of backends) {
    assert.deepEqual(processGroupMembers(b.pid), [], `${b.kind} ${b.pid} left processes behind`);
    const exit = await b.exited;
    assert.ok(exit.code !== null || exit.signal !== null);
  }
  await flask.stop();
  assert.ok(performance.now() - began < 6000);
});

// ------------------------------------------------------------------ misbehaving upstreams

test("net helpers: refused, hanging, resetting and garbage upstreams", async () => {
  const dead = await deadPort();
  await assert.rejects(call(dead.url + "/"), (err) => errorCode(err) === "ECONNREFUSED");

  const hanging = await startHangingServer();
  await assert.rejects(call(hanging.url + "/", { timeoutMs: 200 }), (err) => errorCode(err) === "CLIENT_TIMEOUT");
  assert.equal(hanging.connections(), 1);
  await hanging.close();

  const resetting = await startResettingServer();
  await assert.rejects(call(resetting.url + "/"), (err) => errorCode(err) === "ECONNRESET");
  await resetting.close();

  const garbage = await startGarbageServer();
  await assert.rejects(call(garbage.url + "/"), (err) => errorCode(err).startsWith("HPE_"));
  assert.equal(garbage.connections(), 1);
  await garbage.close();
});
