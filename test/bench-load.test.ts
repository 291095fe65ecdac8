// The bench's open loop against a real local HTTP server: it keeps its schedule, and a request
// that goes out late (here: the load client's own event loop blocked for 300 ms) is charged from
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
    server = createServer((req, res) => res.end(`{"path":${JSON.stringify(req.url)}}`));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const requests = parseUrlList("/a\n/b\n");
  const open = (blockAtMs?: number): Promise<PhaseOutcome> => {
    if (blockAtMs !== undefined)
      setTimeout(() => {
        const until = performance.now() + 300;
        while (performance.now() < until); // the load client stalls: nothing is sent meanwhile
      }, blockAtMs);
    const spec = { mode: "open" as const, level: 100, durationMs: 1000, connections: 8, timeoutMs: 5000 };
    return runPhase(base, requests, spec, { onAnswer: () => undefined });
  };

  test("sends exactly rate × duration requests and charges late sends from their intended time", async () => {
    const calm = await open();
    const stalled = await open(300);
    for (const o of [calm, stalled]) {
      assert.equal(o.requests, 100, "100 req/s for 1 s");
      assert.deepEqual(o.outcomes, { "2xx": 100 });
    }
    const p80 = (o: PhaseOutcome): number => o.histogram.getValueAtPercentile(80) / 1000;
    // ~30 requests were due during the 300 ms stall; measured from their actual send they would
    // look as fast as the rest.
    assert.ok(stalled.histogram.maxValue / 1000 >= 250, `max ${stalled.histogram.maxValue / 1000} ms`);
    assert.ok(p80(stalled) >= p80(calm) + 50, `p80 stalled ${p80(stalled)} ms vs calm ${p80(calm)} ms`);
  });
});
