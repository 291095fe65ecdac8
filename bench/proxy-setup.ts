/**
 * The systems under test for bench/proxy.ts: two backends, nginx and cutover, each started on the
 * proxy core with config generated into the run's temp dir; the correctness check; the candidate
 * share read back from cutover's metrics; and the 1,000-idle-connection memory test.
 */
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { join } from "node:path";
import { request } from "undici";
import { CASES, CASE_SPECS, userId } from "./proxy-payloads.js";
import { firstMatch, rssMiB, spawnTracked, treePids } from "./proxy-procs.js";

export const ADMIN_TOKEN = "bench-admin-token-0123456789";

export interface Target {
  name: "direct" | "nginx" | "bare" | "cutover";
  origin: string;
  child: ChildProcess;
  /** Admin URL (cutover only). */
  admin?: string;
}

export function pidOf(c: ChildProcess): number {
  if (c.pid === undefined) throw new Error("child has no pid");
  return c.pid;
}

export async function startBackend(js: string, name: string, cpu: string | undefined): Promise<Target> {
  const child = spawnTracked(process.execPath, [js, name], { cpu, stdin: "pipe" });
  const m = await firstMatch(child, /"port":(\d+)/, 10_000, `backend ${name}`);
  return { name: "direct", origin: `http://127.0.0.1:${m[1]}`, child };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, ms: number, child: ChildProcess, what: string): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1");
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what}: port ${port} not open after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** bare: bench/proxy-bare.ts alternating between the backends (the Node floor, for comparison). */
export async function startBare(js: string, backends: string[], cpu: string | undefined): Promise<Target> {
  const child = spawnTracked(process.execPath, [js, ...backends], { cpu, stdin: "pipe" });
  const m = await firstMatch(child, /"port":(\d+)/, 10_000, "bare proxy");
  return { name: "bare", origin: `http://127.0.0.1:${m[1]}`, child };
}

/** nginx: `workers` worker processes (1), upstream keep-alive 64 to both backends (round-robin), everything in `dir`. */
export async function startNginx(
  dir: string,
  backends: string[],
  cpu: string | undefined,
  workers = 1,
): Promise<Target> {
  const port = await freePort();
  const servers = backends.map((o) => `    server ${o.replace("http://", "")};`).join("\n");
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((t) => `  ${t}_temp_path ${join(dir, `nginx-${t}`)};`)
    .join("\n");
  const conf = `worker_processes ${workers};
daemon off;
pid ${join(dir, "nginx.pid")};
error_log ${join(dir, "nginx-error.log")} warn;
events { worker_connections 4096; }
http {
  access_log off;
${temp}
  upstream backends {
${servers}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`;
  const file = join(dir, "nginx.conf");
  writeFileSync(file, conf);
  const child = spawnTracked("/usr/sbin/nginx", ["-p", dir, "-e", join(dir, "nginx-error.log"), "-c", file], { cpu });
  await waitForPort(port, 10_000, child, "nginx");
  return { name: "nginx", origin: `http://127.0.0.1:${port}`, child };
}

export function cutoverYaml(dir: string, legacy: string, candidate: string): string {
  return `listen: 127.0.0.1:0
admin: { listen: 127.0.0.1:0, token: ${ADMIN_TOKEN} }
store: { path: ${join(dir, "state.db")} }
log: { level: silent }
upstreams:
  legacy: { url: ${legacy} }
  candidate: { url: ${candidate} }
bucketing: { keys: [header:x-user-id, ip] }
routes:
  - match: { path: /* }
    candidate_weight: 50
`;
}

/** cutover: the real gateway via bin/cutover.js, 50/50 split with bucketing, metrics on, log silent. */
export async function startCutover(o: {
  repo: string;
  dir: string;
  legacy: string;
  candidate: string;
  cpu: string | undefined;
  nodeFlags?: string[];
  workers?: number;
}): Promise<Target> {
  const file = join(o.dir, "cutover.yaml");
  writeFileSync(file, cutoverYaml(o.dir, o.legacy, o.candidate));
  const args = [...(o.nodeFlags ?? []), join(o.repo, "bin/cutover.js"), "run", "-c", file, "--json"];
  if (o.workers !== undefined && o.workers > 1) args.push("--workers", String(o.workers));
  const child = spawnTracked(process.execPath, args, { cpu: o.cpu, cwd: o.dir });
  const m = await firstMatch(child, /"listening":\s*"([^"]+)",\s*"admin":\s*"([^"]+)"/, 15_000, "cutover");
  return { name: "cutover", origin: m[1]!, admin: m[2]!, child };
}

/**
 * verify checks that every target answers every case with the expected bytes, and returns which
 * backends (x-backend) served each target — cutover and nginx must reach both.
 */
export async function verify(targets: readonly Target[], users = 24): Promise<Record<string, string[]>> {
  const seen: Record<string, string[]> = {};
  for (const t of targets) {
    const backends = new Set<string>();
    for (const c of CASES) {
      const spec = CASE_SPECS[c];
      for (let u = 0; u < users; u++) {
        const r = await request(t.origin + spec.path, {
          method: spec.method,
          headers: { "x-user-id": userId(u), ...(spec.body ? { "content-type": "application/json" } : {}) },
          body: spec.body,
        });
        const body = Buffer.from(await r.body.arrayBuffer());
        if (r.statusCode !== 200 || !body.equals(spec.expect))
          throw new Error(`${t.name} ${c}: status ${r.statusCode}, ${body.length} bytes, body differs from direct`);
        const b = r.headers["x-backend"];
        if (typeof b === "string") backends.add(b);
      }
    }
    seen[t.name] = [...backends].sort();
  }
  return seen;
}

/** cutoverShare reads cutover_requests_total from the admin API: requests per target. */
export async function cutoverShare(adminUrl: string): Promise<Record<string, number>> {
  const r = await request(adminUrl + "/metrics", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const text = await r.body.text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^cutover_requests_total\{[^}]*target="(\w+)"[^}]*\} (\d+)/gm))
    out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  return out;
}

export interface ConnsResult {
  conns: number;
  rssBeforeMiB: number;
  rssMiB: number;
  stillOpen: number;
  ms: number;
}

/**
 * idleConnections opens `n` keep-alive connections to the target, sends one GET /small on each and
 * reads the answer, then samples the target's RSS (max of 3 samples over ~2 s) while all of them
 * sit idle. The sockets are closed afterwards.
 */
export async function idleConnections(t: Target, n: number): Promise<ConnsResult> {
  const pids = treePids(pidOf(t.child));
  const rssBeforeMiB = rssMiB(pids);
  const port = Number(new URL(t.origin).port);
  const sockets: Socket[] = [];
  const t0 = Date.now();
  const one = (i: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1");
      sockets.push(s);
      let got = "";
      s.setEncoding("latin1");
      const onData = (d: string): void => {
        got += d;
        const h = got.indexOf("\r\n\r\n");
        const len = /content-length:\s*(\d+)/i.exec(got);
        if (h !== -1 && len && got.length >= h + 4 + Number(len[1])) {
          s.off("data", onData);
          if (!got.startsWith("HTTP/1.1 200")) reject(new Error(`conn ${i}: ${got.slice(0, 40)}`));
          else resolve();
        }
      };
      s.on("data", onData);
      s.on("error", reject);
      s.once("connect", () => s.write(`GET /small HTTP/1.1\r\nHost: 127.0.0.1\r\nx-user-id: ${userId(i)}\r\n\r\n`));
    });
  for (let i = 0; i < n; i += 100)
    await Promise.all(Array.from({ length: Math.min(100, n - i) }, (_, k) => one(i + k)));
  const ms = Date.now() - t0;
  let rss = 0;
  for (let k = 0; k < 3; k++) {
    await new Promise((r) => setTimeout(r, 700));
    rss = Math.max(rss, rssMiB(treePids(pidOf(t.child))));
  }
  const stillOpen = sockets.filter((s) => !s.destroyed && s.readyState === "open").length;
  for (const s of sockets) s.destroy();
  return { conns: n, rssBeforeMiB, rssMiB: rss, stillOpen, ms };
}
