// One request pipeline: the same table of request cases goes through plain HTTP and through a
// WebSocket upgrade, with one process and with two cluster workers, and must get the same answer
// from the gateway and put the same bytes (method, path, headers) on the backend.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { request } from "undici";
import { startGateway, waitUntil, type TestGateway } from "./helpers/gateway.js";

/** What a backend saw of one request. */
interface Seen {
  side: string;
  method: string;
  url: string;
  headers: [string, string][];
}

/** A backend that records every request and answers HTTP with 200 and upgrades with a 101 handshake. */
async function recordingBackend(side: string, seen: Seen[]): Promise<{ url: string; server: Server }> {
  const record = (req: IncomingMessage): void => {
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      headers.push([req.rawHeaders[i]!.toLowerCase(), req.rawHeaders[i + 1]!]);
    seen.push({ side, method: req.method ?? "", url: req.url ?? "", headers });
  };
  const server = createServer((req, res) => {
    record(req);
    req.resume();
    req.on("end", () => res.end(side));
  });
  server.on("upgrade", (req: IncomingMessage, socket) => {
    record(req);
    const key = String(req.headers["sec-websocket-key"]);
    const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    socket.end(Buffer.from([0x88, 0x02, 0x03, 0xe8])); // Close 1000
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** raw sends request bytes on a fresh socket and returns the status and headers of the answer. */
function raw(url: string, head: string): Promise<{ status: number; headers: Map<string, string> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), hostname);
    let buf = "";
    s.setEncoding("latin1");
    s.on("data", (d: string) => {
      buf += d;
      const end = buf.indexOf("\r\n\r\n");
      if (end === -1) return;
      const [line, ...rest] = buf.slice(0, end).split("\r\n");
      const headers = new Map(
        rest.map((h) => [h.slice(0, h.indexOf(":")).toLowerCase(), h.slice(h.indexOf(":") + 1).trim()]),
      );
      s.destroy();
      resolve({ status: Number(line!.split(" ")[1]), headers });
    });
    s.on("error", reject);
    s.on("end", () => reject(new Error(`closed without an answer: ${JSON.stringify(buf)}`)));
    s.write(head);
  });
}

interface Case {
  name: string;
  method?: string;
  target?: string;
  headers?: Record<string, string>;
  /** Expected answer: the gateway's own status and code, or the side that served it. */
  expect: { code: string; status: number } | { side: "legacy" | "candidate" };
}

const SECRET = "tester-secret";
const CASES: Case[] = [
  { name: "plain request (bucketed: weight 0 → legacy)", expect: { side: "legacy" } },
  {
    name: "override with the right secret",
    headers: { "x-cutover-target": "candidate", "x-cutover-secret": SECRET },
    expect: { side: "candidate" },
  },
  {
    name: "override with a wrong secret",
    headers: { "x-cutover-target": "candidate", "x-cutover-secret": "nope" },
    expect: { code: "CUTOVER_ERR_OVERRIDE_FORBIDDEN", status: 403 },
  },
  {
    name: "override without a secret",
    headers: { "x-cutover-target": "candidate" },
    expect: { code: "CUTOVER_ERR_OVERRIDE_FORBIDDEN", status: 403 },
  },
  {
    name: "override with a bad value",
    headers: { "x-cutover-target": "both", "x-cutover-secret": SECRET },
    expect: { code: "CUTOVER_ERR_BAD_REQUEST", status: 400 },
  },
  { name: "dot segments", target: "/ws/../admin", expect: { code: "CUTOVER_ERR_BAD_REQUEST", status: 400 } },
  {
    name: "encoded dot segments",
    target: "/ws/%2e%2e/admin",
    expect: { code: "CUTOVER_ERR_BAD_REQUEST", status: 400 },
  },
  {
    name: "URL longer than max_url_length",
    target: `/ws/${"a".repeat(300)}`,
    expect: { code: "CUTOVER_ERR_URL_TOO_LONG", status: 414 },
  },
  {
    name: "absolute form",
    target: "http://example.com/ws/x",
    expect: { code: "CUTOVER_ERR_NOT_A_PROXY", status: 400 },
  },
  { name: "no route", target: "/nowhere", expect: { code: "CUTOVER_ERR_NO_ROUTE", status: 404 } },
  {
    name: "client-sent internal marker and forwarding headers",
    headers: { "x-cutover-mirror": "1", "x-forwarded-for": "10.9.8.7", "x-custom": "kept" },
    expect: { side: "legacy" },
  },
  { name: "POST keeps its method", method: "POST", expect: { side: "legacy" } },
  {
    name: "rewrite applies to the candidate",
    target: "/ws/chat?room=1",
    headers: { "x-cutover-target": "candidate", "x-cutover-secret": SECRET },
    expect: { side: "candidate" },
  },
];

/** Headers that only one transport carries (framing and the handshake), left out of the comparison. */
const TRANSPORT = new Set([
  "connection",
  "upgrade",
  "sec-websocket-key",
  "sec-websocket-version",
  "content-length",
  "transfer-encoding",
]);

function build(c: Case, upgrade: boolean): string {
  const method = c.method ?? "GET";
  let head = `${method} ${c.target ?? "/ws/echo"} HTTP/1.1\r\nHost: gw.test\r\nUser-Agent: pipeline-test\r\n`;
  for (const [k, v] of Object.entries(c.headers ?? {})) head += `${k}: ${v}\r\n`;
  if (upgrade)
    head +=
      "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  else if (method === "POST") head += "Content-Length: 0\r\n";
  return head + "\r\n";
}

for (const workers of [1, 2]) {
  describe(`one pipeline for HTTP and upgrades (workers: ${workers})`, () => {
    const seen: Seen[] = [];
    const servers: Server[] = [];
    let g: TestGateway;

    before(async () => {
      const legacy = await recordingBackend("legacy", seen);
      const candidate = await recordingBackend("candidate", seen);
      servers.push(legacy.server, candidate.server);
      g = await startGateway(
        {
          legacy: legacy.url,
          candidate: candidate.url,
          body: `
limits: { max_url_length: 256 }
override: { enabled: true, secret: ${SECRET} }
routes:
  - name: ws
    match: { path: /ws/* }
    rewrite: { candidate: /v2/ws/* }
rollout:
  routes: [ws]
  stages: [0, 100]
  min_duration: 1h
  warmup: 0s
`,
        },
        { workers },
      );
    });
    after(async () => {
      await g.stop();
      for (const s of servers) s.close();
    });

    for (const c of CASES) {
      test(c.name, async () => {
        const answers: { status: number; code: string | undefined; seen: Seen[] }[] = [];
        for (const upgrade of [false, true]) {
          seen.length = 0;
          const a = await raw(g.url, build(c, upgrade));
          answers.push({ status: a.status, code: a.headers.get("x-cutover-error"), seen: [...seen] });
        }
        const [http, up] = answers as [(typeof answers)[0], (typeof answers)[0]];
        if ("code" in c.expect) {
          assert.deepEqual([http.status, http.code], [c.expect.status, c.expect.code], "HTTP answer");
          assert.deepEqual([up.status, up.code], [c.expect.status, c.expect.code], "upgrade answer");
          assert.equal(http.seen.length + up.seen.length, 0, "refused requests never reach an upstream");
          return;
        }
        assert.equal(http.status, 200);
        assert.equal(up.status, 101);
        assert.equal(http.seen.length, 1);
        assert.equal(up.seen.length, 1);
        const [h, u] = [http.seen[0]!, up.seen[0]!];
        assert.equal(h.side, c.expect.side);
        assert.equal(u.side, c.expect.side);
        assert.equal(u.method, h.method, "the requested method is kept");
        assert.equal(u.url, h.url, "the same path and query upstream");
        const strip = (s: Seen): [string, string][] => s.headers.filter(([k]) => !TRANSPORT.has(k));
        assert.deepEqual(strip(u), strip(h), "the same headers upstream");
        for (const [k] of h.headers) assert.ok(!k.startsWith("x-cutover-"), `${k} never reaches an upstream`);
        if (c.headers?.["x-forwarded-for"])
          assert.equal(h.headers.find(([k]) => k === "x-forwarded-for")?.[1], "10.9.8.7, 127.0.0.1");
        if (c.target === "/ws/chat?room=1") assert.equal(h.url, "/v2/ws/chat?room=1");
      });
    }

    test("an upgrade to anything but websocket is refused, never forwarded", async () => {
      seen.length = 0;
      const a = await raw(
        g.url,
        "GET /ws/x HTTP/1.1\r\nHost: gw.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n",
      );
      assert.equal(a.status, 400);
      assert.equal(a.headers.get("x-cutover-error"), "CUTOVER_ERR_UPGRADE_UNSUPPORTED");
      assert.equal(seen.length, 0);
    });

    test("upgrades are counted in cutover_requests_total and in the judge's window", async () => {
      const window = g.gw.rollout!.window;
      const before = window.total("legacy");
      const metrics = async (): Promise<number> => {
        const r = await request(`${g.adminUrl}/metrics`, {
          headers: { authorization: "Bearer test-admin-token-0123456789" },
        });
        const text = await r.body.text();
        const line = text
          .split("\n")
          .find(
            (l) => l.startsWith("cutover_requests_total") && l.includes('code="101"') && l.includes('target="legacy"'),
          );
        return line ? Number(line.split(" ").pop()) : 0;
      };
      const m0 = await metrics();
      for (let i = 0; i < 5; i++)
        assert.equal((await raw(g.url, build({ name: "", expect: { side: "legacy" } }, true))).status, 101);
      assert.ok(
        await waitUntil(async () => (await metrics()) >= m0 + 5, 5000),
        "cutover_requests_total{code=101} counts every upgrade",
      );
      assert.ok(
        await waitUntil(() => window.total("legacy") >= before + 5, 5000),
        "the judge's window holds every upgrade",
      );
    });
  });
}
