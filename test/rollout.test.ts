// Rollouts end to end with real Flask (legacy) and FastAPI (candidate) and short stages: promotion
// by evidence, rollback by itself when the candidate starts failing, and resume after kill -9.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { request } from "undici";
import { knob } from "./helpers/backends.js";
import { ROLLOUT, traffic } from "./helpers/rollout.js";
import { spawnGateway, startGateway, TOKEN, useBackends, waitUntil } from "./helpers/gateway.js";

interface RolloutView {
  status: string;
  stage: { index: number; value: string | number };
  weight: number;
  verdict: { outcome: string; reasons: string[] } | null;
}

describe("rollout end to end", () => {
  const b = useBackends();

  test("a healthy candidate goes shadow → 5 → 50 → 100 by itself", { timeout: 120_000 }, async () => {
    const g = await startGateway({
      legacy: b.flask.url,
      candidate: b.fastapi.url,
      body: ROLLOUT("[shadow, 5, 50, 100]"),
    });
    try {
      let done = false;
      const load = traffic(g.url, ["/api/same/1", "/api/same/2", "/api/me", "/api/bigint-same"], () => done);
      const completed = await waitUntil(
        async () => (await g.admin<RolloutView>("GET", "/api/rollout")).body.status === "completed",
        90_000,
      );
      done = true;
      const counts = await load;
      const view = (await g.admin<RolloutView>("GET", "/api/rollout")).body;
      assert.ok(completed, `rollout did not complete: ${JSON.stringify(view.verdict)}`);
      assert.equal(view.weight, 100);
      assert.deepEqual(Object.keys(counts), ["200"], "no client saw an error during the rollout");
      const history = (
        await g.admin<{ action: string; actor: string }[]>("GET", "/api/rollout/history")
      ).body.reverse();
      assert.deepEqual(
        history.map((e) => e.action),
        ["start", "promote", "promote", "promote", "complete"],
      );
      assert.ok(
        history.slice(1).every((e) => e.actor === "judge"),
        "every move was the judge's",
      );
    } finally {
      await g.stop();
    }
  });

  test(
    "a candidate that starts failing 5 % at stage 2 is rolled back by itself, and the audit log says why",
    { timeout: 120_000 },
    async () => {
      const g = await startGateway({
        legacy: b.flask.url,
        candidate: b.fastapi.url,
        body: ROLLOUT("[5, 50, 100]")
          .replace("max_duration: 2m", "max_duration: 2m\n  promote: manual")
          .replace("error_rate: 3pt", "error_rate: 1pt"),
      });
      const setRate = (rate: number) => knob(b.fastapi.url, "fail-rate", { rate });
      try {
        let done = false;
        const load = traffic(g.url, ["/api/same/1", "/api/flaky", "/api/same/3"], () => done);
        // promote: manual holds each stage for an operator; guardrails still act on their own.
        const promoted = await g.admin<RolloutView>("POST", "/api/rollout/promote", { reason: "to stage 2" });
        assert.equal(promoted.body.stage.index, 1);
        await setRate(0.05);
        const rolledBack = await waitUntil(
          async () => (await g.admin<RolloutView>("GET", "/api/rollout")).body.status === "rolled_back",
          60_000,
        );
        done = true;
        await load;
        assert.ok(
          rolledBack,
          `not rolled back: ${JSON.stringify((await g.admin<RolloutView>("GET", "/api/rollout")).body.verdict)}`,
        );
        const view = (await g.admin<RolloutView>("GET", "/api/rollout")).body;
        assert.equal(view.weight, 0);
        assert.equal(g.gw.runtime.weight(g.gw.runtime.route("api")), 0);
        const history = (
          await g.admin<
            {
              action: string;
              actor: string;
              reason: string;
              detail: { numbers?: Record<string, number>; examples?: string[] };
            }[]
          >("GET", "/api/rollout/history")
        ).body;
        const rb = history.find((e) => e.action === "rollback");
        assert.ok(rb, "a rollback decision is in the audit log");
        assert.equal(rb.actor, "judge");
        assert.match(rb.reason, /error|5xx|status/i, rb.reason);
        assert.ok((rb.detail.examples ?? []).length > 0, "with example requests");
      } finally {
        await setRate(0);
        await g.stop();
      }
    },
  );

  test("after kill -9 the rollout resumes at the same stage with the same buckets", { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "cutover-resume-"));
    const body = ROLLOUT("[5, 50, 100]").replace("min_requests: 60", "min_requests: 100000");
    const start = () => spawnGateway({ legacy: b.flask.url, candidate: b.fastapi.url, body, dir });
    const view = async (admin: string): Promise<RolloutView & { id: string; stage_started_at: number }> => {
      const r = await request(`${admin}/api/rollout`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return (await r.body.json()) as RolloutView & { id: string; stage_started_at: number };
    };
    try {
      const a = await start();
      const promoted = await request(`${a.admin}/api/rollout/promote`, {
        method: "POST",
        headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
        body: '{"reason":"test"}',
      });
      assert.equal(promoted.statusCode, 200);
      await promoted.body.dump();
      const before = await view(a.admin);
      assert.equal(before.stage.index, 1);
      assert.equal(before.weight, 50);
      const sides = async (url: string): Promise<string[]> =>
        Promise.all(
          Array.from({ length: 40 }, async (_, i) => {
            const r = await request(`${url}/api/whoami-not-here`.replace("/api/whoami-not-here", "/whoami"), {
              headers: { "x-user-id": `k${i}` },
            });
            return ((await r.body.json()) as { backend: string }).backend;
          }),
        );
      const firstSides = await sides(a.url);
      await a.kill("SIGKILL");
      const b2 = await start();
      try {
        const after = await view(b2.admin);
        assert.equal(after.id, before.id);
        assert.equal(after.stage.index, 1);
        assert.equal(after.weight, 50);
        assert.equal(after.stage_started_at, before.stage_started_at);
        assert.equal(after.status, "running");
        assert.deepEqual(await sides(b2.url), firstSides);
      } finally {
        await b2.kill();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
