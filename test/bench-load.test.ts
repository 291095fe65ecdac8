// The bench's open loop against a real local HTTP server: it keeps its schedule, and a request
// that goes out late (here: the load client's own event loop blocked for 600 ms) is charged from
// its intended send time, so the stall shows in the percentiles (no coordinated omission).
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { parseUrlList } from "../src/loadtest/input.js";
import { runPhase, type PhaseOutcome } from "../src/loadtest/load.js";

describe("bench open loop", () => {
  let server: Server;
  let base = "";
  before(async () => {
    server = createServer((req, res) => {
      if (req.url !== "/hang") res.end(`{"path":${JSON.stringify(req.url)}}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  const requests = parseUrlList("/a\n/b\n");
  const open = (blockAtMs?: number): Promise<PhaseOutcome> => {
    if (blockAtMs !== undefined)
      setTimeout(() => {
        const until = performance.now() + 600;
        while (performance.now() < until); // the load client stalls: nothing is sent meanwhile
      }, blockAtMs);
    const spec = { mode: "open" as const, level: 100, durationMs: 1000, connections: 8, timeoutMs: 5000 };
    return runPhase(base, requests, spec, { onAnswer: () => undefined });
  };

  test("sends exactly rate × duration requests and charges late sends from their intended time", async () => {
    const calm = await open();
    const stalled = await open(200);
    for (const o of [calm, stalled]) {
      assert.equal(o.requests, 100, "100 req/s for 1 s");
      assert.deepEqual(o.outcomes, { "2xx": 100 });
    }
    // Requests slower than 200 ms, in percent (the histogram's resolution is 1 %).
    const slow = (o: PhaseOutcome): number => {
      let p = 0;
      while (p < 100 && o.histogram.getValueAtPercentile(p + 1) < 200_000) p++;
      return 100 - p;
    };
    // ~60 requests were due during the 600 ms stall, waiting 0–600 ms; measured from their actual
    // send they would look as fast as the rest.
    assert.ok(stalled.histogram.maxValue / 1000 >= 500, `max ${stalled.histogram.maxValue / 1000} ms`);
    assert.ok(slow(stalled) >= slow(calm) + 25, `> 200 ms: ${slow(stalled)} % stalled vs ${slow(calm)} % calm`);
  });

  test("a side that stops answering fills a bounded backlog; further sends count as errors", async () => {
    const spec = { mode: "open" as const, level: 200, durationMs: 500, connections: 4, timeoutMs: 300, maxBacklog: 20 };
    const o = await runPhase(base, parseUrlList("/hang\n"), spec, { onAnswer: () => undefined });
    assert.equal(o.requests, 100);
    assert.equal(o.errors, 100);
    assert.ok((o.outcomes["error:BENCH_BACKLOG"] ?? 0) >= 40, JSON.stringify(o.outcomes));
    assert.equal(o.histogram.totalCount, 0);
  });
});
