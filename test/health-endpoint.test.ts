// The gateway's own health endpoint: answered on the data listener before the route table, never
// forwarded (both upstreams here are dead ports), configurable, and not ready while draining.
import assert from "node:assert/strict";
import { test } from "node:test";
import { healthAnswer } from "../src/health/endpoint.js";
import { get, startGateway } from "./helpers/gateway.js";
import { deadPort } from "./helpers/net.js";

test("readiness and liveness answer without an upstream, before the catch-all route; other paths still route", async () => {
  const [legacy, candidate] = [await deadPort(), await deadPort()];
  const g = await startGateway({ legacy: legacy.url, candidate: candidate.url });
  try {
    const ready = await get(`${g.url}/_cutover/health`);
    assert.equal(ready.status, 200);
    assert.deepEqual(JSON.parse(ready.text), { status: "ready", ready: true, live: true });
    assert.equal(ready.headers["cache-control"], "no-store");
    assert.equal((await get(`${g.url}/_cutover/health/ready`)).status, 200);
    const live = await get(`${g.url}/_cutover/health/live`);
    assert.equal(live.status, 200);
    assert.equal((JSON.parse(live.text) as { status: string }).status, "live");
    const head = await get(`${g.url}/_cutover/health`, {}, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.text, "");
    // Not health requests: they take the route table to the (dead) legacy upstream.
    assert.equal((await get(`${g.url}/_cutover/health`, {}, "POST")).status, 502);
    assert.equal((await get(`${g.url}/_cutover/healthz`)).status, 502);
    assert.equal((await get(`${g.url}/_cutover/health/other`)).status, 502);
    const counts = g.gw.runtime.metrics.counts(0);
    assert.equal(counts.legacy.total + counts.candidate.total, 3, "only the three routed requests are counted");
  } finally {
    await g.stop();
  }
});

test("the path is configurable and the endpoint can be turned off", async () => {
  const [legacy, candidate] = [await deadPort(), await deadPort()];
  const g = await startGateway({
    legacy: legacy.url,
    candidate: candidate.url,
    body: "health_endpoint: { path: /ops/ping }\nroutes:\n  - match: { path: /* }\n",
  });
  try {
    assert.equal((await get(`${g.url}/ops/ping`)).status, 200);
    assert.equal((await get(`${g.url}/ops/ping/live`)).status, 200);
    assert.equal((await get(`${g.url}/_cutover/health`)).status, 502);
  } finally {
    await g.stop();
  }
  const off = await startGateway({
    legacy: legacy.url,
    candidate: candidate.url,
    body: "health_endpoint: { enabled: false }\nroutes:\n  - match: { path: /* }\n",
  });
  try {
    assert.equal((await get(`${off.url}/_cutover/health`)).status, 502);
  } finally {
    await off.stop();
  }
});

test("while draining, readiness is 503 and liveness stays 200", () => {
  const cfg = { enabled: true, path: "/_cutover/health" };
  assert.deepEqual(healthAnswer(cfg, "GET", "/_cutover/health", true), {
    status: 503,
    body: { status: "draining", ready: false, live: true },
  });
  assert.equal(healthAnswer(cfg, "GET", "/_cutover/health/live", true)?.status, 200);
  assert.equal(healthAnswer(cfg, "GET", "/_cutover/health", false)?.status, 200);
  assert.equal(healthAnswer(cfg, "DELETE", "/_cutover/health", false), undefined);
});
