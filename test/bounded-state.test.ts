// Bounded state under hostile traffic, against a real `cutover run` process mirroring a real Flask
// legacy to a real FastAPI candidate: random paths (each a new catch-all template) for a bounded
// time keep route states, findings and examples under their caps and RSS bounded; then a dashboard
// subscriber on /api/events gets small increments, holds the gateway's event loop briefly (measured
// inside the gateway, cutover_dashboard_push_seconds) and does not move client p99 beyond noise
// (subscriber on and off alternate in rounds on the same gateway, under the same load).
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { Agent, request } from "undici";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { spawnGateway, TOKEN, type GatewayProcess } from "./helpers/gateway.js";

// The endpoint resolver already folds user words beyond 32 per position into {str}, so random
// paths make a few dozen templates: a cap of 20 is what shows the cap itself folding the rest.
const CAPS = { templates: 20, findings: 600, examples: 300 };
const ROUTES = `
diff: { limits: { templates: ${CAPS.templates}, findings: ${CAPS.findings}, examples: ${CAPS.examples} } }
routes:
  - name: all
    match: { path: /* }
    mirror: { percent: 100, timeout: 5s }
`;

const agent = new Agent({ connections: 32 });
const letters = "ghijklmnopqrstuvwxyz"; // never hex, never a number: every path is a new shape
const word = (): string =>
  Array.from({ length: 8 }, () => letters[Math.floor(Math.random() * letters.length)]).join("");

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Sends GETs from `conc` loops until `until`; returns each request's latency in ms. */
async function load(url: () => string, conc: number, until: number): Promise<{ ms: number[]; errors: number }> {
  const ms: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (performance.now() < until) {
        const t = performance.now();
        try {
          const r = await request(url(), { dispatcher: agent });
          await r.body.dump();
          if (r.statusCode >= 500) errors++;
        } catch {
          errors++;
        }
        ms.push(performance.now() - t);
      }
    }),
  );
  return { ms, errors };
}

function p99(ms: number[]): number {
  const s = [...ms].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? NaN;
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function admin<T>(gw: GatewayProcess, path: string): Promise<T> {
  const r = await request(gw.admin + path, { headers: { authorization: `Bearer ${TOKEN}` }, dispatcher: agent });
  return (await r.body.json()) as T;
}

/** The dashboard push histogram's count and sum (seconds) per kind, from /metrics. */
async function pushSeconds(gw: GatewayProcess): Promise<Record<"tick" | "snapshot", { n: number; s: number }>> {
  const r = await request(gw.admin + "/metrics", { headers: { authorization: `Bearer ${TOKEN}` }, dispatcher: agent });
  const text = await r.body.text();
  const read = (kind: string, part: "count" | "sum"): number =>
    Number(new RegExp(`^cutover_dashboard_push_seconds_${part}\\{kind="${kind}"\\} (\\S+)$`, "m").exec(text)?.[1] ?? 0);
  return {
    tick: { n: read("tick", "count"), s: read("tick", "sum") },
    snapshot: { n: read("snapshot", "count"), s: read("snapshot", "sum") },
  };
}

interface StateRow {
  kind: string;
  entries: number | null;
  limit: number;
  capped: number;
}

describe("bounded state under random paths", () => {
  let flask: Backend;
  let fastapi: Backend;
  let gw: GatewayProcess;
  const dir = mkdtempSync(join(tmpdir(), "cutover-bounded-"));

  before(async () => {
    [flask, fastapi] = await Promise.all([startFlask({ workerClass: "gthread", threads: 8 }), startFastAPI()]);
    gw = await spawnGateway({ legacy: flask.url, candidate: fastapi.url, body: ROUTES, dir });
  });
  after(async () => {
    await gw.kill();
    await Promise.all([flask.stop(), fastapi.stop()]);
    await agent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test(
    "route states, findings, examples and RSS stay under their caps; caps are counted",
    { timeout: 90_000 },
    async (t) => {
      const pid = gw.child.pid ?? 0;
      const rssStart = rssMiB(pid);
      const fill = await load(() => `${gw.url}/whoami/${word()}/${word()}`, 12, performance.now() + 10_000);
      assert.equal(fill.errors, 0);
      assert.ok(fill.ms.length > CAPS.templates * 1.5, `only ${fill.ms.length} requests: the caps were not reached`);
      // Let the comparisons drain, then read the state the gateway reports.
      await new Promise((r) => setTimeout(r, 2000));
      const status = await admin<{ state: StateRow[] }>(gw, "/api/status");
      const state = new Map(status.state.map((s) => [s.kind, s]));
      const templates = state.get("templates");
      assert.ok(templates && templates.entries !== null);
      // One more per route: the {other} bucket.
      assert.ok(templates.entries <= CAPS.templates + 1, `templates ${templates.entries}`);
      assert.ok(templates.capped > 0, "random paths past the cap were folded");
      assert.ok((state.get("findings")?.entries ?? Infinity) <= CAPS.findings);
      assert.ok((state.get("examples")?.entries ?? Infinity) <= CAPS.examples);
      const metrics = await request(gw.admin + "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
      const text = await metrics.body.text();
      assert.match(text, /cutover_state_capped_total\{kind="templates_folded"\} [1-9]/);
      assert.match(text, new RegExp(`cutover_state_limit\\{kind="templates"\\} ${CAPS.templates}`));
      const rss = rssMiB(pid);
      t.diagnostic(
        `${fill.ms.length} random-path requests; templates ${templates.entries} (folded ${templates.capped}); RSS ${rssStart.toFixed(0)} → ${rss.toFixed(0)} MiB`,
      );
      assert.ok(rss < 300, `gateway RSS ${rss.toFixed(0)} MiB (started at ${rssStart.toFixed(0)})`);

      // What the store holds is bounded the same way (rows written as deltas, not one document).
      await new Promise((r) => setTimeout(r, 5500));
      const db = new Database(join(dir, "state.db"), { readonly: true });
      try {
        const count = (c: string): number =>
          (db.prepare("SELECT count(*) AS n FROM rows WHERE collection = ?").get(c) as { n: number }).n;
        assert.ok(count("finding_route") > 0 && count("finding_route") <= CAPS.templates + 1);
        assert.ok(count("finding") > 0 && count("finding") <= CAPS.findings);
      } finally {
        db.close();
      }
    },
  );

  test(
    "a dashboard subscriber gets small increments, holds the event loop briefly and does not move client p99 beyond noise",
    { timeout: 90_000 },
    async (t) => {
      // The same background of new random paths in every round, so each tick has changes to send.
      // Five rounds each way, alternating, on one gateway under the same load: the median round
      // shrugs off two rounds that other processes on the machine slowed down.
      const ROUNDS = 5;
      const ROUND_MS = 2000;
      const p99s = { off: [] as number[], on: [] as number[] };
      let tickBytes = 0;
      let ticks = 0;
      const pushBefore = await pushSeconds(gw);
      for (let round = 0; round < ROUNDS; round++) {
        // Alternating which goes first, so load that grows or fades over the test favours neither.
        for (const mode of round % 2 === 0 ? (["off", "on"] as const) : (["on", "off"] as const)) {
          const ac = new AbortController();
          let stream: Promise<void> = Promise.resolve();
          if (mode === "on") {
            const res = await request(gw.admin + "/api/events", {
              headers: { authorization: `Bearer ${TOKEN}` },
              signal: ac.signal,
            });
            stream = (async () => {
              try {
                let buf = "";
                for await (const chunk of res.body) {
                  buf += (chunk as Buffer).toString("utf8");
                  let end;
                  while ((end = buf.indexOf("\n\n")) !== -1) {
                    const event = buf.slice(0, end);
                    buf = buf.slice(end + 2);
                    if (!event.startsWith("event: tick")) continue;
                    ticks++;
                    tickBytes += Buffer.byteLength(event);
                  }
                }
              } catch {
                // aborted at the end of the round
              }
            })();
          }
          const until = performance.now() + ROUND_MS;
          const [client, background] = await Promise.all([
            load(() => `${gw.url}/api/same/1`, 4, until),
            load(() => `${gw.url}/whoami/${word()}`, 2, until),
          ]);
          ac.abort();
          await stream;
          assert.equal(client.errors + background.errors, 0);
          p99s[mode].push(p99(client.ms));
        }
      }
      const push = await pushSeconds(gw);
      const tick = { n: push.tick.n - pushBefore.tick.n, s: push.tick.s - pushBefore.tick.s };
      const snapshot = { n: push.snapshot.n - pushBefore.snapshot.n, s: push.snapshot.s - pushBefore.snapshot.s };
      assert.ok(ticks >= ROUNDS, `only ${ticks} ticks received`);
      const perTick = tickBytes / ticks;
      const off = median(p99s.off);
      const on = median(p99s.on);
      const onMs = ROUNDS * ROUND_MS;
      t.diagnostic(
        `${ticks} ticks, ${Math.round(perTick)} B each, ${((tick.s / tick.n) * 1000).toFixed(2)} ms on the event loop each; ` +
          `${snapshot.n} subscriber starts, ${((snapshot.s / snapshot.n) * 1000).toFixed(2)} ms each; ` +
          `loop held ${((((tick.s + snapshot.s) * 1000) / onMs) * 100).toFixed(3)} % of the subscribed time; ` +
          `p99 on ${p99s.on.map((x) => x.toFixed(1)).join("/")}, off ${p99s.off.map((x) => x.toFixed(1)).join("/")} ms`,
      );
      assert.ok(perTick < 64 * 1024, `a tick is ${Math.round(perTick / 1024)} KiB`);
      // The cause, measured inside the gateway: what the subscriber costs the event loop. Before the
      // increments, a tick was 3.2 MB built in O(templates × findings) and held it for hundreds of ms.
      assert.equal(snapshot.n, ROUNDS);
      assert.ok(tick.n >= ROUNDS);
      assert.ok(tick.s / tick.n < 0.01, `a tick held the event loop ${((tick.s / tick.n) * 1000).toFixed(1)} ms`);
      assert.ok(snapshot.s / snapshot.n < 0.05, `a start held it ${((snapshot.s / snapshot.n) * 1000).toFixed(1)} ms`);
      assert.ok(tick.s + snapshot.s < onMs / 1000 / 50, "the subscriber held the event loop over 2 % of the time");
      // The effect clients see. The regression this guards against moved p99 14 → 689 ms; on this
      // shared 2-core machine (other test files run alongside) a round's p99 alone swings 2×.
      assert.ok(
        on <= off * 2 + 10,
        `client p99 with a subscriber ${on.toFixed(1)} ms vs ${off.toFixed(1)} ms without (rounds: on ${p99s.on.map((x) => x.toFixed(1)).join(", ")}; off ${p99s.off.map((x) => x.toFixed(1)).join(", ")})`,
      );
    },
  );
});
