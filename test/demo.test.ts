// `cutover demo` with Node alone: a whole rollout by the judge, and the regression scenario
// rolled back by itself. Both run at once to keep the suite short.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, test } from "node:test";

interface Event {
  event?: string;
  action?: string;
  actor?: string;
  reason?: string;
  to?: { stage: string | number; weight: number };
  traffic?: { sent: number; failed: number; byStatus: Record<string, number> };
  findings?: { kind: string; path: string; noise: string }[];
}

function demo(args: string[]): Promise<Event[]> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["bin/cutover.js", "demo", "--json", "--port", "0", ...args],
      { encoding: "utf8", timeout: 120_000 },
      (err, stdout) => {
        if (err) return reject(new Error(`demo failed: ${err.message}`));
        resolve(
          stdout
            .trim()
            .split(/\n(?=\{)/)
            .map((x) => JSON.parse(x) as Event),
        );
      },
    );
  });
}

describe("demo", { concurrency: true }, () => {
  test(
    "runs a whole rollout shadow → 10 → 50 → 100, judged, with findings and learned noise",
    { timeout: 120_000 },
    async () => {
      const events = await demo(["--duration", "80s"]);
      const decisions = events.filter((e) => e.event === "rollout");
      assert.deepEqual(
        decisions.map((d) => `${d.action} ${String(d.to?.stage)}`),
        ["promote 10", "promote 50", "promote 100", "complete 100"],
      );
      assert.ok(decisions.every((d) => d.actor === "judge"));
      const end = events.at(-1)!;
      const traffic = end.traffic;
      assert.ok(traffic);
      assert.equal(traffic.failed, 0);
      assert.deepEqual(Object.keys(traffic.byStatus), ["200"], "no client saw an error");
      const real = end.findings?.filter((f) => f.noise === "real").map((f) => `${f.kind} ${f.path}`) ?? [];
      assert.ok(real.includes("field_renamed $.user_name"));
      assert.ok(real.includes("status_changed status"));
      assert.ok(
        end.findings?.some((f) => f.noise !== "real" && f.path === "$.request_id"),
        "the request id is learned as noise",
      );
    },
  );

  test("--scenario regression: the candidate goes bad and is rolled back by itself", { timeout: 120_000 }, async () => {
    const events = await demo(["--duration", "45s", "--scenario", "regression"]);
    const rb = events.find((e) => e.event === "rollout" && e.action === "rollback");
    assert.ok(rb, JSON.stringify(events.filter((e) => e.event)));
    assert.equal(rb.actor, "judge");
    assert.match(rb.reason ?? "", /error rate/i);
    assert.equal(rb.to?.weight, 0);
  });
});
