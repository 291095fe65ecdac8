// The mirror circuit breaker: its rules on their own (pure), then end to end against real
// processes: a `cutover run` gateway, Flask as legacy, and FastAPI as the candidate behind a
// switch that resets every connection until the candidate "heals". The breaker opens, skips (and
// counts what it skipped), probes with a growing period, and closes once a probe succeeds.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Agent, request } from "undici";
import { Breaker, outcomeOf, type BreakerView } from "../src/mirror/breaker.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { spawnGateway, TOKEN, waitUntil, type GatewayProcess } from "./helpers/gateway.js";
import { deadPort } from "./helpers/net.js";

const FAIL = { ok: false, reason: "CUTOVER_ERR_UPSTREAM_RESET" } as const;
const OK = { ok: true } as const;

describe("mirror breaker rules", () => {
  const cfg = { failures: 3, open: 1000, max_open: 8000 };

  test("opens after `failures` consecutive failures; a success in between starts the count again", () => {
    const b = new Breaker(cfg);
    for (const o of [FAIL, FAIL, OK, FAIL, FAIL]) assert.equal(b.report(b.admit(0)!, o, 0), undefined);
    assert.equal(b.state, "closed");
    assert.equal(b.report(b.admit(0)!, FAIL, 0), "open");
    assert.equal(b.failures, 5, "every failure is counted, also those that did not open it");
  });

  test("open: skips (counted) until the period ends, then exactly one probe at a time", () => {
    const b = new Breaker(cfg);
    for (let i = 0; i < 3; i++) b.report(b.admit(0)!, FAIL, 0);
    assert.equal(b.admit(10), undefined);
    assert.equal(b.admit(999), undefined);
    assert.equal(b.skipped, 2);
    assert.equal(b.admit(1000), "probe");
    assert.equal(b.state, "half_open");
    assert.equal(b.admit(1001), undefined, "a second exchange waits for the probe's outcome");
    assert.equal(b.report("probe", OK, 1100), "closed");
    assert.equal(b.admit(1101), "pass");
    assert.equal(b.view("r", "candidate", 1101).probes, 1);
  });

  test("each failed probe doubles the open period up to max_open; a long closed spell starts it again", () => {
    const b = new Breaker(cfg);
    let now = 0;
    for (let i = 0; i < 3; i++) b.report(b.admit(now)!, FAIL, now);
    const periods: number[] = [];
    for (let i = 0; i < 5; i++) {
      const v = b.view("r", "candidate", now);
      periods.push(v.open_ms);
      now += v.open_ms;
      assert.equal(b.admit(now - 1), undefined);
      assert.equal(b.admit(now), "probe");
      assert.equal(b.report("probe", FAIL, now), "open");
    }
    assert.deepEqual(periods, [1000, 2000, 4000, 8000, 8000]);
    now += 8000;
    b.admit(now);
    b.report("probe", OK, now);
    // Reopened soon after closing: the period keeps growing.
    for (let i = 0; i < 3; i++) b.report(b.admit(now + 10)!, FAIL, now + 10);
    assert.equal(b.view("r", "candidate", now + 10).open_ms, 8000);
    now += 10 + 8000;
    b.admit(now);
    b.report("probe", OK, now);
    // Closed for max_open: it starts again from `open`.
    now += 8000;
    for (let i = 0; i < 3; i++) b.report(b.admit(now)!, FAIL, now);
    assert.equal(b.view("r", "candidate", now).open_ms, 1000);
  });

  test("neutral outcomes neither open nor close it; a neutral probe lets the next exchange probe", () => {
    const b = new Breaker(cfg);
    for (let i = 0; i < 10; i++) b.report(b.admit(0)!, "neutral", 0);
    assert.equal(b.state, "closed");
    for (let i = 0; i < 3; i++) b.report(b.admit(0)!, FAIL, 0);
    assert.equal(b.admit(1000), "probe");
    assert.equal(b.report("probe", "neutral", 1000), undefined);
    assert.equal(b.admit(1001), "probe");
  });

  test("a probe that never reports is replaced after max_open", () => {
    const b = new Breaker(cfg);
    for (let i = 0; i < 3; i++) b.report(b.admit(0)!, FAIL, 0);
    assert.equal(b.admit(1000), "probe");
    assert.equal(b.admit(8999), undefined);
    assert.equal(b.admit(9000), "probe");
    assert.equal(b.report("probe", OK, 9001), "closed");
  });

  test("exchanges sent before it opened count as evidence, but only the probe decides", () => {
    const b = new Breaker(cfg);
    const early = [b.admit(0)!, b.admit(0)!, b.admit(0)!, b.admit(0)!];
    for (const a of early.slice(0, 3)) b.report(a, FAIL, 5);
    assert.equal(b.state, "open");
    assert.equal(b.report(early[3]!, OK, 6), undefined, "a late success does not close it");
    assert.equal(b.state, "open");
  });

  test("failures: 0 turns it off: everything passes, failures still counted", () => {
    const b = new Breaker({ ...cfg, failures: 0 });
    for (let i = 0; i < 20; i++) assert.equal(b.report(b.admit(0)!, FAIL, 0), undefined);
    assert.equal(b.admit(0), "pass");
    assert.equal(b.failures, 20);
  });

  test("outcomeOf: transport errors and a runaway body fail; the gateway's own refusals and cut bodies do not", () => {
    assert.deepEqual(outcomeOf({ error: "CUTOVER_ERR_UPSTREAM_PROTOCOL", truncated: false }, false, false), {
      ok: false,
      reason: "CUTOVER_ERR_UPSTREAM_PROTOCOL",
    });
    assert.deepEqual(outcomeOf({ truncated: true }, false, false), { ok: false, reason: "capture_full" });
    assert.deepEqual(outcomeOf({ truncated: true }, true, false), { ok: true }, "legacy's answer was as large");
    assert.equal(outcomeOf({ error: "CUTOVER_ERR_BAD_REQUEST", truncated: false }, false, false), "neutral");
    assert.equal(outcomeOf({ error: "CUTOVER_ERR_UPSTREAM_RESET", truncated: false }, false, true), "neutral");
    assert.deepEqual(outcomeOf({ truncated: false }, false, false), { ok: true });
  });
});

/**
 * A TCP switch in front of the real candidate: while `broken`, every connection is reset as its
 * request arrives (ECONNRESET at the gateway); healed, connections are piped to the candidate.
 */
async function candidateSwitch(target: string): Promise<{
  url: string;
  broken: boolean;
  connections: number;
  close(): Promise<void>;
}> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const sw = {
    url: "",
    broken: true,
    connections: 0,
    close: (): Promise<void> => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server: Server = createServer((socket) => {
    sw.connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    if (sw.broken) return void socket.once("data", () => socket.resetAndDestroy());
    const up = connect(Number(port), hostname);
    sockets.add(up);
    up.on("error", () => socket.destroy());
    socket.on("close", () => up.destroy());
    up.on("close", () => socket.destroy());
    socket.pipe(up).pipe(socket);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const addr = server.address();
  sw.url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
  return sw;
}

async function adminGet(g: GatewayProcess, path: string): Promise<string> {
  const r = await request(`${g.admin}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return r.body.text();
}

async function breaker(g: GatewayProcess): Promise<BreakerView | undefined> {
  const s = JSON.parse(await adminGet(g, "/api/status")) as { mirror_breakers: BreakerView[] };
  return s.mirror_breakers.find((b) => b.route === "api" && b.upstream === "candidate");
}

/** The value of one metric line, 0 when absent. */
async function metric(g: GatewayProcess, line: string): Promise<number> {
  const m = (await adminGet(g, "/metrics")).split("\n").find((l) => l.startsWith(line + " "));
  return m ? Number(m.slice(line.length + 1)) : 0;
}

/** Exchanges compared with an answer from the candidate (any outcome but candidate_error). */
async function answered(g: GatewayProcess): Promise<number> {
  const lines = (await adminGet(g, "/metrics")).split("\n");
  return lines
    .filter((l) => l.startsWith('cutover_mirror_total{route="api",') && !l.includes("candidate_error"))
    .reduce((n, l) => n + Number(l.split(" ")[1]), 0);
}

describe("mirror breaker against a resetting candidate that heals (real processes)", () => {
  let flask: Backend;
  let fastapi: Backend;
  let sw: Awaited<ReturnType<typeof candidateSwitch>>;
  let g: GatewayProcess;
  let dir: string;
  before(async () => {
    [flask, fastapi] = await Promise.all([startFlask({ workerClass: "gthread", threads: 8 }), startFastAPI()]);
    sw = await candidateSwitch(fastapi.url);
    dir = mkdtempSync(join(tmpdir(), "cutover-breaker-"));
    g = await spawnGateway({
      legacy: flask.url,
      candidate: sw.url,
      dir,
      body: `
routes:
  - name: api
    match: { path: /api/* }
    mirror: { percent: 100, timeout: 2s, breaker: { failures: 3, open: 300ms, max_open: 2s } }
# A shadow stage whose guards cannot trip: only the gates decide, and the breaker's skips must hold it.
rollout:
  routes: [api]
  stages: [shadow, 100]
  min_duration: 1s
  warmup: 0s
  interval: 200ms
  min_requests: 5
  margins: { error_rate: 100pt, p95_latency: 10000%, parity: 100% }
  on_timeout: hold
`,
    });
  });
  after(async () => {
    await g.kill();
    await sw.close();
    await Promise.all([flask.stop(), fastapi.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** n client requests, one after another, `gapMs` apart; every one must be served by legacy. */
  async function clients(n: number, gapMs: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const r = await request(`${g.url}/api/same/${i}`);
      await r.body.dump();
      assert.equal(r.statusCode, 200, "clients are served by legacy whatever the candidate does");
      if (gapMs) await new Promise((res) => setTimeout(res, gapMs));
    }
  }

  test(
    "opens, skips and counts, probes with a growing period, closes when the candidate heals",
    { timeout: 60_000 },
    async () => {
      const skippedLine = 'cutover_mirror_skipped_total{route="api",reason="breaker_open"}';
      const comparedLine = 'cutover_mirror_total{route="api",outcome="candidate_error"}';

      // Broken: 60 requests in quick succession. Without the breaker each one would cost the
      // gateway a connection to the candidate; with it, the first 3 fail, the rest are skipped.
      await clients(60, 0);
      assert.ok(await waitUntil(async () => (await breaker(g))?.state !== "closed", 5000), "the breaker opened");
      const open = (await breaker(g))!;
      // (60 requests take long enough here that probes may already have gone and failed.)
      assert.ok(open.opened >= 1);
      assert.ok(open.failures >= 3, `failures seen: ${open.failures}`);
      assert.equal(open.last_failure?.reason, "CUTOVER_ERR_UPSTREAM_RESET");
      assert.ok(open.skipped >= 40, `skipped while open: ${open.skipped} of 60`);
      assert.ok(sw.connections <= 10, `connections the candidate saw for 60 mirrored requests: ${sw.connections}`);
      // The shadow stage does not promote on the few comparisons left: the judge names the skips.
      type RolloutView = {
        stage: { index: number };
        verdict: { outcome: string; checks: { name: string; numbers: Record<string, number> }[] } | null;
      };
      let view: RolloutView | undefined;
      const held = await waitUntil(async () => {
        view = JSON.parse(await adminGet(g, "/api/rollout")) as RolloutView;
        return (view.verdict?.checks.find((c) => c.name === "mirror_breaker")?.numbers.skipped ?? 0) >= 40;
      }, 5000);
      assert.ok(held, `verdict: ${JSON.stringify(view?.verdict).slice(0, 1500)}`);
      assert.equal(view?.stage.index, 0, "still in the shadow stage");
      assert.equal(view.verdict?.outcome, "hold");
      // Nothing is hidden: the skips are counted by reason, the failures compared and reported.
      assert.equal(await metric(g, skippedLine), open.skipped);
      assert.ok(
        await waitUntil(async () => (await metric(g, comparedLine)) >= 3, 5000),
        "failed exchanges still reach the comparison",
      );
      // `cutover status` shows the breaker.
      // (Blocking here is fine: the gateway is another process.)
      const text = execFileSync(process.execPath, ["bin/cutover.js", "status", "--admin", g.admin, "--token", TOKEN], {
        encoding: "utf8",
        timeout: 30_000,
      });
      assert.match(text, /MIRROR BREAKER[\s\S]*\napi\s+candidate\s+(open, probe in \d+ ms|half_open)\s+\d+ \(\d+\)/);
      const opened = await metric(g, 'cutover_mirror_breaker_opened_total{route="api",upstream="candidate"}');
      assert.ok(opened >= open.opened, `opened_total ${opened}, status ${open.opened}`);

      // Still broken, traffic over ~1.5 s: probes go out and fail, each one doubling the period.
      await clients(30, 50);
      const probing = (await breaker(g))!;
      assert.ok(probing.probes >= 2, `probes sent: ${probing.probes}`);
      assert.ok(
        probing.opened >= 3 && probing.open_ms >= 1200,
        `open ${probing.opened}×, period ${probing.open_ms} ms`,
      );
      assert.ok(probing.open_ms <= 2000, "the period stops at max_open");
      const connectionsBroken = sw.connections;

      // Healed: the next probe (within max_open) succeeds and the breaker closes.
      sw.broken = false;
      const healed = await waitUntil(
        async () => {
          await clients(1, 0);
          return (await breaker(g))?.state === "closed";
        },
        6000,
        100,
      );
      assert.ok(healed, `closed after healing: ${JSON.stringify(await breaker(g))}`);
      // Closed: every request is mirrored again, none skipped.
      const skippedBefore = await metric(g, skippedLine);
      const ok0 = await answered(g);
      await clients(20, 0);
      assert.ok(await waitUntil(async () => (await answered(g)) >= ok0 + 20, 5000), "all 20 compared");
      assert.equal(await metric(g, skippedLine), skippedBefore, "nothing skipped once closed");
      assert.ok(sw.connections > connectionsBroken, "the healed candidate is reached again");
      const closed = (await breaker(g))!;
      assert.equal(closed.state, "closed");
      assert.equal(closed.consecutive_failures, 0);
    },
  );
});

describe("mirror breakers in cluster workers", () => {
  let flask: Backend;
  before(async () => {
    flask = await startFlask({ workerClass: "gthread", threads: 8 });
  });
  after(() => flask.stop());

  test(
    "each worker's breaker opens on a dead candidate; status lists them with their slot",
    { timeout: 60_000 },
    async () => {
      const dead = await deadPort();
      const dir = mkdtempSync(join(tmpdir(), "cutover-breaker-cluster-"));
      const g = await spawnGateway({
        legacy: flask.url,
        candidate: dead.url,
        dir,
        args: ["--workers", "2"],
        body: `
routes:
  - name: api
    match: { path: /api/* }
    mirror: { percent: 100, timeout: 2s, breaker: { failures: 3, open: 10s } }
`,
      });
      try {
        const agent = new Agent({ connections: 8 });
        // New connections spread over both workers; every client is served by legacy.
        for (let i = 0; i < 80; i++) {
          const r = await request(`${g.url}/api/same/${i}`, { dispatcher: agent, reset: true });
          await r.body.dump();
          assert.equal(r.statusCode, 200);
        }
        await agent.close();
        const views = async (): Promise<BreakerView[]> =>
          (JSON.parse(await adminGet(g, "/api/status")) as { mirror_breakers: BreakerView[] }).mirror_breakers;
        assert.ok(
          await waitUntil(async () => (await views()).filter((b) => b.state === "open").length === 2, 5000),
          JSON.stringify(await views()),
        );
        // Skips are summed over the workers in the metrics and match what status shows, once the
        // workers' last reports (every second when idle) are in.
        const skippedLine = 'cutover_mirror_skipped_total{route="api",reason="breaker_open"}';
        const sum = (vs: BreakerView[]): number => vs.reduce((n, b) => n + b.skipped, 0);
        assert.ok(
          await waitUntil(async () => sum(await views()) === (await metric(g, skippedLine)), 5000),
          `status ${sum(await views())}, metrics ${await metric(g, skippedLine)}`,
        );
        const open = await views();
        assert.deepEqual(open.map((b) => b.worker).sort(), [0, 1]);
        assert.ok(open.every((b) => b.last_failure?.reason === "CUTOVER_ERR_UPSTREAM_CONNECT"));
        assert.ok(sum(open) >= 80 - 2 * 3 - 10, `skipped ${sum(open)} of 80`);
        assert.equal(await metric(g, 'cutover_mirror_breaker_open{route="api",upstream="candidate"}'), 2);
      } finally {
        await g.kill();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
