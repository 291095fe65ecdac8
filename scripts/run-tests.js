// Runs the compiled test files with Node's own test runner.
// Usage: node scripts/run-tests.js [substring ...]   (only files whose path contains a substring)
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith(".test.js") ? [p] : [];
  });
}

const filters = process.argv.slice(2);
const files = [...walk("dist/test"), ...walk("dist/src")]
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error("no test files found (did the build run?)");
  process.exitCode = 1;
} else {
  const res = spawnSync(
    process.execPath,
    ["--enable-source-maps", "--test", "--test-concurrency=2", "--test-reporter=spec", ...files],
    { stdio: "inherit", env: { ...process.env, CUTOVER_LOG_LEVEL: process.env.CUTOVER_LOG_LEVEL ?? "silent" } },
  );
  process.exitCode = res.status ?? 1;
}
