import assert from "node:assert/strict";
import { test } from "node:test";
import { createRng, type Rng } from "../stats/rng.js";
import { judge, parseMargins, type JudgeConfig, type JudgeInput, type Verdict } from "./judge.js";
import { Window } from "./window.js";

const CONFIG: JudgeConfig = {
  min_duration: 600_000,
  max_duration: 3_600_000,
  margins: { error_rate: "+0.5pt", p95_latency: "+20%", parity: "0.1%" },
  on_timeout: "hold",
  coverage_min_requests: 20,
};
const HOUR = 3_600_000;

interface Traffic {
  route?: string;
  target: "legacy" | "candidate";
  mirrored?: boolean;
  requests: number;
  users: number;
  errorRate?: number;
  latencyFactor?: number;
  statuses?: [number, number][];
  /** Prefix that keeps candidate and legacy users apart (sticky buckets). */
  userPrefix?: string;
}

function fill(w: Window, rng: Rng, t: Traffic): void {
  for (let i = 0; i < t.requests; i++) {
    const error = rng.next() < (t.errorRate ?? 0);
    let status = 200;
    let u = rng.next();
    for (const [code, p] of t.statuses ?? [[200, 1]]) {
      if ((u -= p) < 0) {
        status = code;
        break;
      }
    }
    w.record({
      route: t.route ?? "GET /items",
      target: t.target,
      user: `${t.userPrefix ?? t.target}-${rng.int(t.users)}`,
      status: error ? 500 : status,
      latencyMs: 40 * Math.exp(0.5 * rng.normal()) * (t.latencyFactor ?? 1),
      error,
      mirrored: t.mirrored ?? false,
      at: 1000 + i,
      id: `${t.target}-${i}`,
    });
  }
}

function input(
  w: Window,
  over: Omit<Partial<JudgeInput>, "stage"> & { stage?: Partial<JudgeInput["stage"]> } = {},
): JudgeInput {
  return {
    window: w,
    now: HOUR / 2,
    config: CONFIG,
    ...over,
    stage: { index: 1, value: 5, count: 6, startedAt: 0, warmupUntil: 30_000, ...over.stage },
  };
}

const failing = (v: Verdict): string[] =>
  v.checks.filter((c) => c.kind === "guardrail" && c.status === "fail").map((c) => `${c.name}:${c.route ?? "all"}`);

test("margins parse from strings and numbers", () => {
  assert.deepEqual(parseMargins({ error_rate: "+0.5pt", p95_latency: "+20%", parity: "0.1%" }), {
    errorRate: 0.005,
    p95: 0.2,
    p95FloorMs: 25,
    parity: 0.001,
  });
  assert.deepEqual(parseMargins({ error_rate: 1, p95_latency: 50, parity: 0.5 }), {
    errorRate: 0.01,
    p95: 0.5,
    p95FloorMs: 25,
    parity: 0.005,
  });
});

test("warming up holds without judging", () => {
  const v = judge(input(new Window(), { now: 10_000 }));
  assert.equal(v.outcome, "hold");
  assert.match(v.reasons[0] ?? "", /Warming up for another 20s/);
  assert.deepEqual(v.checks, []);
});

test("a healthy candidate with too little evidence holds, with the plan and an ETA", () => {
  const rng = createRng(1);
  const w = new Window();
  fill(w, rng, { target: "legacy", requests: 2850, users: 900, errorRate: 0.01 });
  fill(w, rng, { target: "candidate", requests: 150, users: 50, errorRate: 0.01 });
  const v = judge(input(w));
  assert.equal(v.outcome, "hold");
  assert.deepEqual(failing(v), []);
  assert.equal(v.candidateRequests, 150);
  assert.ok(v.minRequests > 1500 && v.minRequests < 4000, `min requests ${v.minRequests}`);
  assert.ok(v.eta && v.eta.requestsRemaining === v.minRequests - 150);
  assert.ok(v.eta.ratePerMin > 5 && v.eta.ratePerMin < 6);
  const sample = v.checks.find((c) => c.name === "sample_size");
  assert.equal(sample?.status, "inconclusive");
  assert.ok(v.reasons.some((r) => r.includes("the margins need")));
  for (const c of v.checks) for (const n of Object.values(c.numbers)) assert.ok(Number.isFinite(n));
});

test("a route that fails on the candidate rolls back, with reasons and example request ids", () => {
  const rng = createRng(2);
  const w = new Window();
  fill(w, rng, { target: "legacy", requests: 1900, users: 600, errorRate: 0.01 });
  fill(w, rng, { target: "legacy", route: "POST /orders", requests: 400, users: 300 });
  fill(w, rng, { target: "candidate", requests: 100, users: 40, errorRate: 0.01 });
  fill(w, rng, { target: "candidate", route: "POST /orders", requests: 20, users: 15, errorRate: 1 });
  const v = judge(input(w));
  assert.equal(v.outcome, "rollback");
  assert.ok(failing(v).includes("error_rate:POST /orders") || failing(v).includes("error_rate:all"), failing(v).join());
  assert.match(v.reasons.join(" "), /Candidate error rate/);
  assert.ok(v.examples.some((id) => id.startsWith("candidate-")));
});

test("equal targets with enough requests and time promote", () => {
  const rng = createRng(3);
  const w = new Window();
  fill(w, rng, {
    target: "legacy",
    requests: 2500,
    users: 800,
    statuses: [
      [200, 0.9],
      [404, 0.1],
    ],
  });
  fill(w, rng, {
    target: "candidate",
    requests: 2500,
    users: 800,
    statuses: [
      [200, 0.9],
      [404, 0.1],
    ],
  });
  const v = judge(input(w, { stage: { value: 50, index: 3 } }));
  assert.equal(v.outcome, "promote", v.reasons.join("\n"));
  assert.ok(v.checks.filter((c) => c.gating).every((c) => c.status === "pass"));
  assert.match(v.reasons[0] ?? "", /Every gate passed after 2,500 candidate requests/);
});

test("route coverage blocks the promotion into the last stage until every route reached the candidate", () => {
  const rng = createRng(3);
  const w = new Window();
  fill(w, rng, { target: "legacy", requests: 2500, users: 800 });
  fill(w, rng, { target: "candidate", requests: 2500, users: 800 });
  fill(w, rng, { target: "legacy", route: "GET /export", requests: 30, users: 30 });
  const last = { value: 50, index: 4, count: 6 };
  const held = judge(input(w, { stage: last }));
  assert.equal(held.outcome, "hold");
  assert.match(
    held.reasons.join(" "),
    /1 of 2 routes legacy served more than 20 times have not reached the candidate yet: GET \/export/,
  );
  const covered = judge(
    input(w, {
      stage: last,
      coverage: {
        "GET /items": { legacy: 9000, candidate: 3000 },
        "GET /export": { legacy: 30, candidate: 0, mirrored: 4 },
      },
    }),
  );
  assert.equal(covered.checks.find((c) => c.name === "coverage")?.status, "pass");
});

test("on_timeout decides what a stage without evidence does after max_duration", () => {
  const rng = createRng(4);
  const w = new Window();
  fill(w, rng, { target: "legacy", requests: 1000, users: 300 });
  fill(w, rng, { target: "candidate", requests: 50, users: 20 });
  const late = { now: HOUR + 1 };
  const held = judge(input(w, late));
  assert.equal(held.outcome, "hold");
  assert.ok(held.timedOut);
  assert.match(held.reasons[0] ?? "", /max_duration \(1h\).*keeps holding/);
  const rolled = judge(input(w, { ...late, config: { ...CONFIG, on_timeout: "rollback" } }));
  assert.equal(rolled.outcome, "rollback");
  assert.match(rolled.reasons[0] ?? "", /rolled back/);
});

test("a 400 → 422 shift on one route rolls back through the status-mix test", () => {
  const rng = createRng(5);
  const w = new Window();
  const mix: [number, number][] = [
    [201, 0.8],
    [400, 0.2],
  ];
  fill(w, rng, { target: "legacy", route: "POST /users", requests: 3800, users: 1500, statuses: mix });
  fill(w, rng, {
    target: "candidate",
    route: "POST /users",
    requests: 200,
    users: 80,
    statuses: [
      [201, 0.8],
      [422, 0.2],
    ],
  });
  const v = judge(input(w));
  assert.equal(v.outcome, "rollback");
  assert.deepEqual(failing(v), ["status_mix:POST /users"]);
  assert.match(v.reasons[0] ?? "", /422 is \d+\.\d+% of candidate vs 0\.00% of legacy responses/);
  assert.equal(v.checks.find((c) => c.name === "status_mix" && c.kind === "gate")?.status, "fail");
});

test("p95 latency +50% rolls back through the tail test", () => {
  const rng = createRng(6);
  const w = new Window();
  fill(w, rng, { target: "legacy", requests: 3800, users: 1500 });
  fill(w, rng, { target: "candidate", requests: 300, users: 120, latencyFactor: 1.5 });
  const v = judge(input(w));
  assert.equal(v.outcome, "rollback");
  assert.ok(
    failing(v).some((f) => f.startsWith("latency_tail")),
    failing(v).join(),
  );
});

test("one broken user neither rolls back nor is averaged away", () => {
  const rng = createRng(7);
  const w = new Window();
  fill(w, rng, { target: "legacy", requests: 2500, users: 800, errorRate: 0.01 });
  fill(w, rng, { target: "candidate", requests: 2500, users: 800, errorRate: 0.01 });
  for (let i = 0; i < 60; i++) {
    w.record({
      route: "GET /items",
      target: "candidate",
      user: "broken",
      status: 500,
      latencyMs: 30,
      error: true,
      mirrored: false,
      at: 5000 + i,
    });
  }
  const v = judge(input(w, { stage: { value: 50, index: 3 } }));
  assert.notEqual(v.outcome, "rollback", failing(v).join());
  assert.equal(v.outcome, "hold");
  const gate = v.checks.find((c) => c.name === "error_rate" && c.kind === "gate");
  assert.notEqual(gate?.status, "pass");
  assert.ok(v.checks.some((c) => c.name === "error_concentration"));
  // Without the per-user cap the same window rolls back.
  assert.equal(judge(input(w, { stage: { value: 50, index: 3 }, policy: { userCap: Infinity } })).outcome, "rollback");
});

test("shadow judges mirrored answers and parity only", () => {
  const rng = createRng(8);
  const w = new Window();
  fill(w, rng, { target: "legacy", requests: 4000, users: 1000 });
  fill(w, rng, { target: "candidate", mirrored: true, requests: 4000, users: 1000, userPrefix: "legacy" });
  fill(w, rng, { target: "candidate", requests: 100, users: 10, errorRate: 1 }); // live: ignored in shadow
  for (let i = 0; i < 4000; i++) w.recordParity({ route: "GET /items", mismatch: false, at: i });
  const stage = { value: "shadow" as const, index: 0 };
  const ok = judge(input(w, { stage }));
  assert.equal(ok.outcome, "promote", ok.reasons.join("\n"));
  assert.equal(ok.candidateRequests, 4000);
  assert.ok(!ok.checks.some((c) => c.name === "error_rate"));
  for (let i = 0; i < 40; i++) w.recordParity({ route: "GET /items", mismatch: true, at: i, id: `diff-${i}` });
  const bad = judge(input(w, { stage }));
  assert.equal(bad.outcome, "rollback");
  assert.deepEqual(failing(bad), ["parity:all"]);
  assert.ok(bad.examples.includes("diff-39"));
});

test("snapshots judge the same as the live window; min_requests overrides the plan", () => {
  const rng = createRng(9);
  const w = new Window();
  fill(w, rng, { target: "legacy", requests: 1000, users: 300, errorRate: 0.02 });
  fill(w, rng, { target: "candidate", requests: 100, users: 30, errorRate: 0.02 });
  const a = judge(input(w));
  const b = judge(input(w, { window: JSON.parse(JSON.stringify(w.snapshot())) as ReturnType<Window["snapshot"]> }));
  assert.deepEqual(b, a);
  assert.equal(judge(input(w, { config: { ...CONFIG, min_requests: 42 } })).minRequests, 42);
});

test("mirrored requests the mirror breaker skipped in the stage hold the promotion; merged over windows; reset per stage", () => {
  const healthy = (): Window => {
    const rng = createRng(3);
    const w = new Window();
    fill(w, rng, { target: "legacy", requests: 2500, users: 800 });
    fill(w, rng, { target: "candidate", requests: 2500, users: 800 });
    return w;
  };
  const stage = { stage: { value: 50, index: 3 } };
  const w = healthy();
  w.setMirrorSkips("GET /items", 40);
  w.setMirrorSkips("GET /elsewhere", 7); // not a rollout route here: not judged
  const v = judge(input(w, { ...stage, routes: ["GET /items"] }));
  assert.equal(v.outcome, "hold", v.reasons.join("\n"));
  const check = v.checks.find((c) => c.name === "mirror_breaker");
  assert.equal(check?.gating, true);
  assert.equal(check.status, "inconclusive", "a gate that holds, never one that rolls back");
  assert.equal(check.numbers.skipped, 40);
  assert.match(check.summary, /skipped 40 mirrored requests .*GET \/items \(40\)/);
  // Another replica's window adds its skips; a snapshot keeps them; a new stage starts without.
  const other = new Window();
  other.setMirrorSkips("GET /items", 2);
  const merged = Window.fromSnapshots([w.snapshot(), other.snapshot()]);
  assert.deepEqual(new Map(merged.mirrorSkips()).get("GET /items"), 42);
  w.reset();
  assert.deepEqual(w.mirrorSkips(), []);
  const clean = judge(input(healthy(), stage));
  assert.equal(clean.outcome, "promote");
  assert.ok(!clean.checks.some((c) => c.name === "mirror_breaker"), "no skips: no check");
});
