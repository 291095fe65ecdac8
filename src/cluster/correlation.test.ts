import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CapturedResponse } from "../diff/types.js";
import { captured } from "../diff/testing.js";
import { userHash } from "../mirror/correlation.js";
import { MAX_TURNS_PER_USER, TurnBroker } from "./correlation-primary.js";
import { RemoteTurns } from "./correlation-worker.js";

const answer = (body: unknown): CapturedResponse =>
  captured(200, { "content-type": "application/json" }, JSON.stringify(body));

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const settled = async (p: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await tick();
  return done;
};

/** A primary and `n` workers, the IPC channel played by setImmediate (asynchronous, in order). */
function cluster(n: number): { broker: TurnBroker; workers: RemoteTurns[] } {
  const workers: RemoteTurns[] = [];
  const broker = new TurnBroker({ users: 10, values: 10 }, (slot, k, state) =>
    setImmediate(() => workers[slot]?.grant(k, state)),
  );
  for (let slot = 0; slot < n; slot++)
    workers.push(
      new RemoteTurns(10, (m) =>
        setImmediate(() =>
          m.t === "turn_begin" ? broker.begin(slot, m.n, m.user, m.ms) : broker.end(slot, m.n, m.state),
        ),
      ),
    );
  return { broker, workers };
}

describe("live correlation across cluster workers", () => {
  it("a mapping learned in one worker is substituted by another; a user's turns go one after another", async () => {
    const { broker, workers } = cluster(2);
    const [w0, w1] = workers as [RemoteTurns, RemoteTurns];
    const t1 = w0.turn("header:u1", "r1", 5000);
    const t2 = w1.turn("header:u1", "r2", 5000);
    assert.ok(await settled(t1.ready));
    // The second worker's turn waits for the first's to end.
    assert.equal(await settled(t2.ready), false);
    t1.finish(answer({ id: 4 }), answer({ id: 1004 }), undefined);
    assert.ok(await settled(t2.ready));
    assert.equal(
      t2.rewrite("candidate", { target: "/comments/4", headers: [], body: undefined }).target,
      "/comments/1004",
    );
    const note = t2.finish(answer({ id: 4 }), answer({ id: 1004 }), undefined);
    assert.deepEqual(note.mapped, ["4 → 1004 (path[2])"]);
    await settled(Promise.resolve());
    // Another user is not held up by u1 and has maps of its own.
    const t3 = w1.turn("header:u2", "r3", 5000);
    assert.ok(await settled(t3.ready));
    assert.equal(
      t3.rewrite("candidate", { target: "/comments/4", headers: [], body: undefined }).target,
      "/comments/4",
    );
    t3.cancel();
    await settled(Promise.resolve());
    const state = broker.state();
    assert.deepEqual(
      state.map((s) => [s.kind, s.entries, s.capped]),
      [
        ["correlation_users", 2, 0],
        ["correlation_values", 1, 0],
        ["correlation_turns", 0, 0],
      ],
    );
  });

  it("turns past the per-user cap are refused at once and go uncorrelated (counted)", async () => {
    const granted: (boolean | undefined)[] = [];
    const broker = new TurnBroker({ users: 10, values: 10 }, (_slot, n, state) => (granted[n] = state !== undefined));
    for (let n = 0; n <= MAX_TURNS_PER_USER; n++) broker.begin(0, n, userHash("u"), 5000);
    await tick();
    assert.equal(granted[0], true);
    assert.equal(granted[MAX_TURNS_PER_USER], false);
    assert.equal(granted.filter((g) => g !== undefined).length, 2);
    assert.equal(broker.size, MAX_TURNS_PER_USER);
    assert.equal(broker.refused, 1);
    // Another user still gets its turn.
    broker.begin(0, 1000, userHash("v"), 5000);
    await tick();
    assert.equal(granted[1000], true);
  });

  it("a turn never ended is released at its deadline; its late end is ignored", async () => {
    const granted: number[] = [];
    const broker = new TurnBroker({ users: 10, values: 10 }, (_slot, n) => granted.push(n));
    const u = userHash("u");
    broker.begin(0, 1, u, 30);
    broker.begin(0, 2, u, 5000);
    await tick();
    assert.deepEqual(granted, [1]);
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(granted, [1, 2]);
    assert.equal(broker.expired, 1);
    broker.end(0, 1, {
      candidate: [{ legacy: "4", candidate: "1004", path: "$.id", from: "x" }],
      secondary: [],
      evicted: 0,
    });
    broker.end(0, 2, undefined);
    assert.equal(broker.size, 0);
    assert.deepEqual(
      broker.state().find((s) => s.kind === "correlation_values"),
      { kind: "correlation_values", entries: 0, limit: 200, capped: 0 },
    );
  });

  it("a worker that exits releases its turns; a user's order still holds", async () => {
    const granted: string[] = [];
    const broker = new TurnBroker({ users: 10, values: 10 }, (slot, n) => granted.push(`${slot}:${n}`));
    const u = userHash("u");
    broker.begin(0, 1, u, 5000); // held by worker 0
    broker.begin(1, 1, u, 5000); // worker 1 waits
    broker.begin(0, 2, u, 5000); // worker 0 waits behind it
    broker.begin(1, 2, u, 5000);
    await tick();
    assert.deepEqual(granted, ["0:1"]);
    broker.dropWorker(1);
    await tick();
    // Worker 1's waiting turns are gone, but worker 0's second turn still waits for its first.
    assert.deepEqual(granted, ["0:1"]);
    assert.equal(broker.abandoned, 2);
    broker.end(0, 1, undefined);
    for (let i = 0; i < 5; i++) await tick();
    assert.deepEqual(granted, ["0:1", "0:2"]);
    broker.dropWorker(0);
    assert.equal(broker.size, 0);
  });
});
