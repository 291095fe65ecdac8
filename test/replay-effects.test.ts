// Write effects on replay: the twin SQLite apps (legacy reuses ids, the candidate's start at 1000)
// with two columns the apps never read: `tags` ('' by default; the candidate's database writes
// NULL, a difference no answer shows) and `version` (a random stamp per write, volatile). After
// each replayed write a probe reads the rows on each side; the planted NULL is found, `version` is
// noise (a second legacy's rows differ there too), and runs with --reset are identical.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import Database from "better-sqlite3";
import { replayCommand, type ReplayArgs } from "../src/cli/commands/replay.js";
import { startFastAPI, startFlask, type Backend } from "./helpers/backends.js";
import { openState, rowsAnswer } from "../src/replay/state.js";
import { startPostgres } from "./helpers/postgres.js";
import { TestRecorder } from "./helpers/record.js";

interface Summary {
  findings: { template: string; kind: string; groupPath: string; noise: string }[];
  outcomes: { method: string; target: string; legacy: number; candidate: number; state?: string[] }[];
  deterministic: boolean;
}

const dir = mkdtempSync(join(tmpdir(), "cutover-replay-effects-"));
const seedL = join(dir, "seed-legacy.db");
const seedC = join(dir, "seed-candidate.db");
const dbL = join(dir, "legacy.db");
const dbC = join(dir, "candidate.db");
const dbS = join(dir, "secondary.db");
const PROBE = "SELECT text, tags, version FROM notes ORDER BY id";

/** Columns the apps never read, filled by triggers: `version` volatile, `tags` NULL on the candidate only. */
function plant(file: string, candidate: boolean): void {
  const db = new Database(file);
  db.exec(`
    ALTER TABLE notes ADD COLUMN tags TEXT DEFAULT '';
    ALTER TABLE notes ADD COLUMN version TEXT;
    CREATE TRIGGER stamp AFTER INSERT ON notes BEGIN
      UPDATE notes SET version = lower(hex(randomblob(8)))${candidate ? ", tags = NULL" : ""} WHERE id = NEW.id;
    END;`);
  db.close();
}

describe("write effects on replay (--state)", () => {
  let legacy: Backend;
  let candidate: Backend;
  let secondary: Backend;
  let file: string;

  before(async () => {
    execFileSync("/usr/bin/python3", ["test/fixtures/twin/seed.py", seedL, seedC]);
    plant(seedL, false);
    plant(seedC, true);
    copyFileSync(seedL, dbL);
    copyFileSync(seedL, dbS);
    copyFileSync(seedC, dbC);
    [legacy, candidate, secondary] = await Promise.all([
      startFlask({ module: "twin.twin_flask:app", env: { TWIN_DB: dbL } }),
      startFastAPI({ module: "twin.twin_fastapi:app", env: { TWIN_DB: dbC } }),
      startFlask({ module: "twin.twin_flask:app", env: { TWIN_DB: dbS } }),
    ]);
    const rec = TestRecorder.in(dir, legacy.url, "effects.har");
    const a = await rec.send("POST", "/notes", { json: { text: "a" } });
    const id = String((a.json["note"] as { id: number }).id);
    await rec.send("GET", `/notes/${id}`);
    await rec.send("POST", "/notes", { json: { text: "b" } });
    await rec.send("DELETE", `/notes/${id}`);
    // Enough writes for the noise model to call a column that differs by itself noise (5 samples).
    for (const text of ["c", "d", "e", "f", "g", "h"]) await rec.send("POST", "/notes", { json: { text } });
    await rec.send("GET", "/notes");
    file = await rec.close();
  });
  after(async () => {
    await Promise.all([legacy.stop(), candidate.stop(), secondary.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (extra: Partial<ReplayArgs>): Promise<Summary> => {
    const r = await replayCommand({
      file,
      presets: "flask->fastapi",
      legacy: legacy.url,
      candidate: candidate.url,
      resetLegacy: `cp '${seedL}' '${dbL}' && cp '${seedL}' '${dbS}'`,
      resetCandidate: `cp '${seedC}' '${dbC}'`,
      concurrency: "1",
      state: PROBE,
      stateDbLegacy: dbL,
      stateDbCandidate: `sqlite:${dbC}`,
      ...extra,
    });
    return r.data as Summary;
  };
  // The rows of every write are compared under one template, so a volatile column is learned across writes.
  const stateFindings = (s: Summary, noise: string): string[] =>
    s.findings
      .filter((f) => f.template === "[state]" && (noise === "real" ? f.noise === "real" : f.noise !== "real"))
      .map((f) => `${f.kind} ${f.groupPath}`)
      .sort();

  test("the planted NULL is found in the rows, the volatile column is noise, two runs agree", async () => {
    const s = await run({ secondary: secondary.url, stateDbSecondary: dbS, runs: "2" });
    assert.ok(s.deterministic);
    const writes = s.outcomes.filter((o) => o.method !== "GET");
    assert.equal(writes.length, 9);
    assert.ok(
      writes.every((o) => Array.isArray(o.state)),
      "every write was probed",
    );
    assert.ok(s.outcomes.filter((o) => o.method === "GET").every((o) => o.state === undefined));
    assert.deepEqual(stateFindings(s, "real"), ["type_changed $.rows[*].tags"]);
    assert.deepEqual(stateFindings(s, "noise"), ["value_changed $.rows[*].version"]);
    // The answers hold no trace of it (the planted 201 → 200 there, and ids no later request carries).
    const answers = s.findings.filter((f) => f.template !== "[state]" && f.noise === "real");
    assert.ok(answers.some((f) => f.kind === "status_changed"));
    assert.ok(!answers.some((f) => f.groupPath.includes("tags")));
  });

  test("without a second legacy the rows are still compared; bad probes are coded errors", async () => {
    const s = await run({});
    assert.ok(stateFindings(s, "real").includes("type_changed $.rows[*].tags"));
    await assert.rejects(
      run({ state: "SELECT nope FROM notes" }),
      (err: Error & { code?: string }) => err.code === "CUTOVER_ERR_REPLAY_STATE" && /legacy/.test(err.message),
    );
    await assert.rejects(
      run({ stateDbCandidate: undefined }),
      (err: Error & { code?: string }) => err.code === "CUTOVER_ERR_USAGE",
    );
  });
});

describe("state probes on PostgreSQL", () => {
  test("rows read in a read-only transaction; a write in the probe and a bad URL are coded errors", async () => {
    const pgServer = await startPostgres();
    try {
      const url = await pgServer.createDatabase("effects");
      await pgServer.query(
        "CREATE TABLE notes (id serial PRIMARY KEY, text text NOT NULL, at timestamptz DEFAULT now()); INSERT INTO notes (text) VALUES ('a'), ('b')",
        "effects",
      );
      const side = openState(url, "candidate");
      try {
        const r = await side.rows("SELECT id, text FROM notes ORDER BY id");
        assert.deepEqual(r, {
          rows: [
            { id: 1, text: "a" },
            { id: 2, text: "b" },
          ],
          truncated: false,
        });
        assert.equal(rowsAnswer(r).body.toString(), '{"rows":[{"id":1,"text":"a"},{"id":2,"text":"b"}]}');
        await assert.rejects(
          side.rows("DELETE FROM notes"),
          (err: Error & { code?: string }) => err.code === "CUTOVER_ERR_REPLAY_STATE" && /read-only/.test(err.message),
        );
        // The connection is usable again after a failed probe.
        assert.equal((await side.rows("SELECT count(*)::int AS n FROM notes")).rows.length, 1);
        assert.deepEqual(await pgServer.query("SELECT count(*)::int AS n FROM notes", "effects"), [{ n: 2 }]);
      } finally {
        await side.close();
      }
      const bad = openState(
        url.replace(/:\d+\//, `:${pgServer.port + 1}/`).replace("//cutover@", "//cutover:pw@"),
        "legacy",
      );
      await assert.rejects(
        bad.rows("SELECT 1"),
        (err: Error & { code?: string }) =>
          err.code === "CUTOVER_ERR_REPLAY_STATE" &&
          /: legacy postgres/.test(err.message) &&
          !err.message.includes("pw"),
      );
      await bad.close();
    } finally {
      await pgServer.stop();
    }
  });
});
