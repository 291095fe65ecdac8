// Live correlation with `mirror.writes: isolated`: the fixture apps with STRICT_SESSIONS=1 (an
// unknown session id is 404 in both) each mint their own session ids. Mirrored through the
// gateway, each user's later requests must reach the candidate with the candidate's own id (path,
// header, body): no 404 artefacts with correlation, the 404s back without it, and a deliberately
// broken mapping reported as a finding that names the substitution. With `workers: 2` every
// request on a new connection, so node:cluster spreads each user's requests over both workers: the
// maps and turn order live in the primary, and the result is the same.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Agent, request } from "undici";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { startGateway, waitUntil, type TestGateway } from "./helpers/gateway.js";
import { ClusterPlane } from "../src/cluster/primary.js";
import { DataPlane } from "../src/dataplane/plane.js";

interface FindingJson {
  template: string;
  kind: string;
  groupPath: string;
  noise: string;
  legacy?: string;
  candidate?: string;
  examples: { mapped?: string[]; legacy: { status: number }; candidate: { status: number } }[];
}

const routes = (correlate: boolean): string => `
bucketing: { keys: [header:x-user-id] }
routes:
  - name: api
    match: { path: /api/* }
    mirror: { percent: 100, methods: [GET, POST], writes: isolated, timeout: 3s, correlate: ${correlate} }
`;

const USERS = 6;

/**
 * One user's session: create, read by path, add an item (JSON body naming the id), read by header.
 * `fresh`: each request on a new connection (a cluster's workers take turns accepting them).
 */
async function session(url: string, user: string, fresh: boolean): Promise<{ sid: string; statuses: number[] }> {
  const send = async (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) => {
    const agent = fresh ? new Agent() : undefined;
    try {
      const r = await request(url + path, {
        method: method as "GET",
        headers: { "x-user-id": user, ...(body ? { "content-type": "application/json" } : {}), ...headers },
        body: body === undefined ? null : JSON.stringify(body),
        ...(agent ? { dispatcher: agent } : {}),
      });
      return { status: r.statusCode, json: (await r.body.json()) as Record<string, unknown> };
    } finally {
      await agent?.close();
    }
  };
  const created = await send("POST", "/api/sessions");
  const sid = String(created.json.session_id);
  const statuses = [created.status];
  statuses.push((await send("GET", `/api/sessions/${sid}`)).status);
  statuses.push((await send("POST", `/api/sessions/${sid}/items`, {}, { name: `for ${sid}`, session: sid })).status);
  statuses.push((await send("GET", "/api/cart", { "x-session-id": sid })).status);
  statuses.push((await send("GET", `/api/sessions/${sid}`)).status);
  return { sid, statuses };
}

async function run(g: TestGateway, fresh = false): Promise<FindingJson[]> {
  const before = g.gw.parity.compared;
  const results = await Promise.all(Array.from({ length: USERS }, (_, i) => session(g.url, `user-${i}`, fresh)));
  // Clients are served by legacy, which knows its own ids: never a 404 for them.
  for (const r of results) assert.deepEqual(r.statuses, [201, 200, 201, 200, 200]);
  const want = before + USERS * 5;
  assert.ok(
    await waitUntil(() => g.gw.parity.compared >= want && g.gw.plane.mirrorsPending() === 0, 20_000),
    `compared ${g.gw.parity.compared} of ${want}`,
  );
  return (await g.admin<{ findings: FindingJson[] }>("GET", "/api/findings?noise=1&examples=1")).body.findings;
}

interface StateJson {
  kind: string;
  entries: number | null;
  capped: number;
}

/** correlated: no candidate 404 artefacts, the carried ids mapped, the users and mappings counted in status. */
async function correlated(g: TestGateway, findings: FindingJson[]): Promise<StateJson[]> {
  assert.deepEqual(
    notFound(findings).map((f) => f.template),
    [],
  );
  // The ids the requests carried (path, header, body) are mapped, not reported as differences.
  const real = findings.filter((f) => f.noise === "real");
  assert.deepEqual(
    real.filter((f) => f.template !== "POST /api/sessions").map((f) => `${f.template} ${f.kind} ${f.groupPath}`),
    [],
  );
  const status = (await g.admin<{ state: StateJson[] }>("GET", "/api/status")).body;
  const users = status.state.find((s) => s.kind === "correlation_users");
  assert.equal(users?.entries, USERS);
  const values = status.state.find((s) => s.kind === "correlation_values");
  assert.ok((values?.entries ?? 0) >= USERS, `correlation values ${values?.entries}`);
  return status.state;
}

const notFound = (fs: FindingJson[]): FindingJson[] =>
  fs.filter((f) => f.kind === "status_changed" && f.examples.some((e) => e.candidate.status === 404));

describe("live correlation with writes: isolated (STRICT_SESSIONS=1)", () => {
  let flask: Backend;
  let fastapi: Backend;
  before(async () => {
    const env = { STRICT_SESSIONS: "1" };
    [flask, fastapi] = await Promise.all([
      startFlask({ env, workerClass: "gthread", threads: 8 }),
      startFastAPI({ env }),
    ]);
  });
  after(async () => {
    await Promise.all([flask.stop(), fastapi.stop()]);
  });

  test(
    "with correlation: the candidate gets its own session ids, zero 404 artefacts",
    { timeout: 60_000 },
    async () => {
      const g = await startGateway({ legacy: flask.url, candidate: fastapi.url, body: routes(true) });
      try {
        await correlated(g, await run(g));
      } finally {
        await g.stop();
      }
    },
  );

  test(
    "workers: 2, a new connection per request (each user on both workers): zero 404 artefacts",
    { timeout: 90_000 },
    async () => {
      const g = await startGateway({ legacy: flask.url, candidate: fastapi.url, body: routes(true) }, { workers: 2 });
      try {
        // Which workers asked for each user's turns (observed on the primary, not changed).
        assert.ok(g.gw.plane instanceof ClusterPlane);
        const broker = g.gw.plane.turns;
        const slots = new Map<string, Set<number>>();
        const begin = broker.begin.bind(broker);
        broker.begin = (slot, n, user, ms) => {
          slots.set(user, (slots.get(user) ?? new Set()).add(slot));
          begin(slot, n, user, ms);
        };
        const findings = await run(g, true);
        // Both workers served (the cluster module hands new connections to its workers in turn),
        // and users' requests were spread over both.
        const served = g.gw.plane.workers().map((w) => w.served);
        assert.ok(served.length === 2 && served.every((n) => n >= 5), `served per worker ${served.join(", ")}`);
        const spread = [...slots.values()].filter((s) => s.size === 2).length;
        assert.equal(slots.size, USERS);
        assert.ok(spread >= 1, `users on both workers: ${spread} of ${USERS}`);
        const state = await correlated(g, findings);
        const turns = state.find((s) => s.kind === "correlation_turns");
        assert.deepEqual(turns && { entries: turns.entries, capped: turns.capped }, { entries: 0, capped: 0 });
      } finally {
        await g.stop();
      }
    },
  );

  test(
    "without correlation: the mirrored copies carry legacy's ids and the candidate answers 404",
    { timeout: 60_000 },
    async () => {
      const g = await startGateway({ legacy: flask.url, candidate: fastapi.url, body: routes(false) });
      try {
        const templates = notFound(await run(g))
          .map((f) => f.template)
          .sort();
        assert.deepEqual(templates, ["GET /api/cart", "GET /api/sessions/{hex}", "POST /api/sessions/{hex}/items"]);
      } finally {
        await g.stop();
      }
    },
  );

  test("a deliberately broken mapping is reported with the substitution it made", { timeout: 60_000 }, async () => {
    const g = await startGateway({ legacy: flask.url, candidate: fastapi.url, body: routes(true) });
    try {
      const user = "user-broken";
      const r = await request(`${g.url}/api/sessions`, { method: "POST", headers: { "x-user-id": user } });
      const sid = ((await r.body.json()) as { session_id: string }).session_id;
      assert.ok(
        await waitUntil(
          () => g.gw.parity.compared >= 1 && g.gw.plane.mirrorsPending() === 0 && g.gw.parity.pending === 0,
          10_000,
        ),
      );
      // Break the user's learned mapping: legacy's id now stands for an id the candidate never minted.
      assert.ok(g.gw.plane instanceof DataPlane);
      const turn = g.gw.plane.mirror.correlation.turn(`header:${user}`, "test");
      const bogus = "0".repeat(32);
      turn.seed("candidate", { legacy: sid, candidate: bogus, path: "$.session_id", from: "test" });
      turn.cancel();
      const got = await request(`${g.url}/api/sessions/${sid}`, { headers: { "x-user-id": user } });
      assert.equal(got.statusCode, 200);
      await got.body.dump();
      assert.ok(
        await waitUntil(
          () => g.gw.parity.compared >= 2 && g.gw.plane.mirrorsPending() === 0 && g.gw.parity.pending === 0,
          10_000,
        ),
      );
      const findings = (await g.admin<{ findings: FindingJson[] }>("GET", "/api/findings?noise=1&examples=1")).body
        .findings;
      const broken = notFound(findings);
      assert.equal(broken.length, 1, JSON.stringify(findings.map((f) => [f.template, f.kind])));
      const mapped = broken[0]?.examples[0]?.mapped ?? [];
      assert.ok(
        mapped.some((m) => m.includes("→") && m.includes("path[3]")),
        `the finding names the substitution: ${JSON.stringify(mapped)}`,
      );
    } finally {
      await g.stop();
    }
  });
});
