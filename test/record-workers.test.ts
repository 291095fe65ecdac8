// Recording in cluster workers: the same 200 mixed requests (mirrored GETs, unmirrored POSTs with
// JSON bodies, mirrored PUTs with secrets in the body, an unrecorded route) through a gateway with
// `workers: 1` and with `workers: 2` give the same entries: count, routes, methods, targets,
// request bodies (redacted), which were mirrored; no raw secret; and the workers' recording replays.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { Agent } from "undici";
import { replayCommand } from "../src/cli/commands/replay.js";
import { validateHar, type Har } from "../src/recording/index.js";
import type { WorkerStatus } from "../src/state/workers.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { startGateway } from "./helpers/gateway.js";
import { mixConfig, SECRETS, sendMix } from "./helpers/record-mix.js";

interface StateRow {
  kind: string;
  entries: number | null;
  limit: number;
  capped: number;
}

let flask: Backend;
let fastapi: Backend;
const dir = mkdtempSync(join(tmpdir(), "cutover-record-workers-"));
// A connection per request: the cluster hands connections to its workers in turn.
const fresh = new Agent({ pipelining: 0 });

before(async () => {
  [flask, fastapi] = await Promise.all([startFlask({ workerClass: "gthread", threads: 8 }), startFastAPI()]);
});
after(async () => {
  await fresh.close();
  await Promise.all([flask.stop(), fastapi.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** record sends the mix through a gateway with `workers` and returns the file, once the gateway has stopped. */
async function record(workers: number): Promise<{ file: string; text: string; state: StateRow[]; ws: WorkerStatus[] }> {
  const file = join(dir, `w${workers}.har`);
  const g = await startGateway(
    { legacy: flask.url, candidate: fastapi.url, dir, body: mixConfig(file, { mirrorPuts: true }) },
    { workers },
  );
  let status: { state: StateRow[]; workers: WorkerStatus[] };
  try {
    const sent = await sendMix(g.url, { dispatcher: fresh });
    assert.ok(
      sent.every((s) => s.status < 500),
      JSON.stringify(sent.filter((s) => s.status >= 500)),
    );
    status = (await g.admin<{ state: StateRow[]; workers: WorkerStatus[] }>("GET", "/api/status")).body;
  } finally {
    // Stopping drains the workers (their last exchanges reach the primary) and closes the recording.
    await g.stop();
  }
  return { file, text: readFileSync(file, "utf8"), state: status.state, ws: status.workers };
}

/** What must agree between the two recordings, one line per entry, sorted. */
function shape(har: Har): string[] {
  return har.log.entries
    .map((e) =>
      [
        e.request.method,
        e.request.url,
        e._cutover?.route,
        e._cutover?.template,
        e._cutover?.target,
        e._cutover?.candidate ? "mirrored" : "unmirrored",
        e.request.postData?.text ?? "-",
        e._cutover?.userKey?.length,
      ].join(" "),
    )
    .sort();
}

test(
  "workers: 2 records the same entries as workers: 1, bodies and unmirrored exchanges included",
  { timeout: 110_000 },
  async () => {
    const one = await record(1);
    const two = await record(2);

    // Both workers served, and their probes' counts reached the primary: nothing was turned away.
    assert.equal(two.ws.length, 2);
    assert.ok(
      two.ws.every((w) => w.served > 0),
      JSON.stringify(two.ws),
    );
    const row = (kind: string): StateRow | undefined => two.state.find((s) => s.kind === kind);
    assert.deepEqual(
      ["recording_inflight", "recording_ipc", "recording_journal"].map((k) => row(k)?.capped),
      [0, 0, 0],
      JSON.stringify(two.state),
    );

    const harOne = JSON.parse(one.text) as Har;
    const harTwo = JSON.parse(two.text) as Har;
    assert.ok(validateHar(harTwo).ok);
    // Everything but /whoami (route "other"): 180 entries.
    assert.equal(harOne.log.entries.length, 180);
    assert.deepEqual(shape(harTwo), shape(harOne));
    for (const secret of Object.values(SECRETS)) assert.ok(!two.text.includes(secret), `${secret} is in the recording`);

    const entries = harTwo.log.entries;
    const posts = entries.filter((e) => e.request.method === "POST");
    assert.equal(posts.length, 60);
    assert.ok(
      posts.every((e) => e.request.postData && e._cutover?.candidate === undefined),
      "unmirrored, with bodies",
    );
    const puts = entries.filter((e) => e.request.method === "PUT");
    assert.equal(puts.length, 20);
    assert.ok(
      puts.every((e) => e._cutover?.candidate && (e.request.postData?.text ?? "").includes('"note":"put ')),
      "mirrored writes carry their request bodies",
    );
    assert.equal(
      entries.filter((e) => e.request.method === "GET" && e._cutover?.candidate?.status === 200).length,
      100,
    );

    const r = await replayCommand({
      file: two.file,
      legacy: flask.url,
      candidate: fastapi.url,
      presets: "flask->fastapi",
    });
    const data = r.data as { requests: number; outcomes: { method: string; legacy: number; candidate: number }[] };
    assert.equal(data.requests, 180);
    const items = new Set(data.outcomes.filter((o) => o.method === "POST").map((o) => `${o.legacy}>${o.candidate}`));
    assert.deepEqual([...items].sort(), ["201>201", "400>201", "400>422"]);
  },
);
