// The npm package works outside this repository: `npm pack`, install the tarball into an empty
// directory, then `npx cutover demo` and `npx cutover run` from there.
//
// Two deliberate shortcuts keep this file well under its time budget, and are the only ones:
// - `--prefer-offline`: packages come from npm's cache (filled by `npm ci`), the registry is asked
//   only for what the cache lacks (with `--offline`, a cache filled by `npm ci` from a lockfile
//   misses the registry documents npm needs to resolve `^` ranges for a new install: ENOTCACHED).
// - `--ignore-scripts`, then this checkout's compiled better-sqlite3 binary is copied in: the
//   install pins the same better-sqlite3 version and runs on the same Node, so compiling it again
//   (3–8 minutes of C on this machine) would produce the same file.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { request } from "undici";
import { gatewayYaml } from "./helpers/gateway.js";
import { deadPort } from "./helpers/net.js";

const run = promisify(execFile);

describe("the packed npm package", () => {
  let dir: string;
  let app: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "cutover-pack-"));
    await run("npm", ["pack", "--pack-destination", dir, "--silent"], { timeout: 60_000 });
    const tgz = readdirSync(dir).find((f) => f.endsWith(".tgz"));
    assert.ok(tgz, "npm pack wrote a tarball");
    app = join(dir, "app");
    mkdirSync(app);
    const sqlite = (JSON.parse(readFileSync("node_modules/better-sqlite3/package.json", "utf8")) as { version: string })
      .version;
    writeFileSync(
      join(app, "package.json"),
      JSON.stringify({ name: "empty", private: true, overrides: { "better-sqlite3": sqlite } }),
    );
    await run(
      "npm",
      [
        "install",
        join(dir, tgz),
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--loglevel=error",
      ],
      { cwd: app, timeout: 100_000 },
    );
    const release = join(app, "node_modules/better-sqlite3/build/Release");
    mkdirSync(release, { recursive: true });
    copyFileSync(
      resolve("node_modules/better-sqlite3/build/Release/better_sqlite3.node"),
      join(release, "better_sqlite3.node"),
    );
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("holds the CLI, the built code, schema and docs, and no tests", async () => {
    const { stdout } = await run("npm", ["pack", "--dry-run", "--json"], { timeout: 60_000 });
    const files = (JSON.parse(stdout) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
    for (const f of [
      "bin/cutover.js",
      "dist/src/cli/index.js",
      "dist/src/store/postgres.js",
      "schema/cutover.schema.json",
      "docs/deploy.md",
    ])
      assert.ok(files.includes(f), f);
    assert.ok(!files.some((f) => f.startsWith("test/") || f.startsWith("dist/test/")), "no tests");
  });

  test("npx cutover demo runs from the install and says which URL is the dashboard and how to sign in", async () => {
    const { stdout } = await run("npx", ["--offline", "cutover", "demo", "--duration", "2s", "--port", "0", "--json"], {
      cwd: app,
      timeout: 60_000,
    });
    const docs = stdout
      .trim()
      .split(/\n(?=\{)/)
      .map((x) => JSON.parse(x) as Record<string, unknown>);
    assert.match(String(docs[0]?.dashboard), /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.match(String(docs[0]?.sign_in), /browser.*token/);
    const traffic = docs.find((d) => "traffic" in d)?.traffic as { sent: number; failed: number };
    assert.ok(traffic.sent > 10);
    assert.equal(traffic.failed, 0);
  });

  test("cutover run serves from the install: health answers, SIGTERM drains and exits 0", async () => {
    const [legacy, candidate] = [await deadPort(), await deadPort()];
    const cfg = join(app, "cutover.yaml");
    writeFileSync(cfg, gatewayYaml({ legacy: legacy.url, candidate: candidate.url, store: join(app, "state.db") }));
    // The installed bin, as npx would resolve it, started directly so SIGTERM reaches cutover itself.
    const child = spawn(join(app, "node_modules/.bin/cutover"), ["run", "-c", cfg, "--json"], {
      cwd: app,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    try {
      let out = "";
      const started = await new Promise<Record<string, string>>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`cutover run did not start: ${out}`)), 30_000);
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          try {
            resolve(JSON.parse(out) as Record<string, string>);
            clearTimeout(timer);
          } catch {
            // not the whole document yet
          }
        });
        void exited.then((code) => reject(new Error(`cutover run exited with ${String(code)}: ${out}`)));
      });
      assert.equal(started.dashboard, `${started.admin}/`);
      assert.match(String(started.sign_in), /admin\.token/);
      assert.equal(started.health, `${started.listening}/_cutover/health`);
      const r = await request(started.health);
      assert.equal(r.statusCode, 200);
      await r.body.dump();
    } finally {
      child.kill("SIGTERM");
    }
    assert.equal(await exited, 0);
  });
});
