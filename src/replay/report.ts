import { spawn } from "node:child_process";
import { DIFF_KINDS, type DiffKind } from "../diff/types.js";
import { CutoverError } from "../errors/index.js";
import type { FindingView } from "../findings/types.js";

/**
 * parseFailOn turns `--fail-on status,field_missing,type_changed` into finding kinds. A short name
 * matches every kind it starts (`status` → status_changed, `header` → header_changed/missing/added);
 * `any` (the default) is every kind, `none` never fails.
 */
export function parseFailOn(spec: string | undefined): Set<DiffKind> {
  if (spec === undefined || spec === "any") return new Set(DIFF_KINDS);
  const out = new Set<DiffKind>();
  for (const raw of spec
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    if (raw === "none") continue;
    const hits = DIFF_KINDS.filter((k) => k === raw || k.startsWith(`${raw}_`));
    if (hits.length === 0)
      throw new CutoverError(
        "CUTOVER_ERR_USAGE",
        `--fail-on: unknown finding kind "${raw}" (kinds: ${DIFF_KINDS.join(", ")})`,
      );
    for (const k of hits) out.add(k);
  }
  return out;
}

/** failing lists the real findings (not noise, not accepted) whose kind is in `kinds`. */
export function failing(findings: readonly FindingView[], kinds: ReadonlySet<DiffKind>): FindingView[] {
  return findings.filter((f) => f.noise === "real" && !f.accepted && !f.ignored && kinds.has(f.kind));
}

const XML_FORBIDDEN = new RegExp("[" + String.fromCharCode(0) + "-\\u0008\\u000B\\u000C\\u000E-\\u001F]", "g");
const xml = (s: string): string =>
  s
    .replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] ?? c)
    // Control characters XML 1.0 forbids (tab, newline and carriage return stay).
    .replace(XML_FORBIDDEN, "");

/**
 * junit renders a replay for CI: one test case per endpoint (route and template), failing with
 * one <failure> per failing finding; noise and accepted findings are listed in system-out.
 * Requests that could not be authenticated are one skipped test case.
 */
export function junit(
  name: string,
  endpoints: readonly { routeName: string; template: string; mirrored: number }[],
  findings: readonly FindingView[],
  kinds: ReadonlySet<DiffKind>,
  unauthenticated: number,
  seconds: number,
): string {
  const cases: string[] = [];
  let failures = 0;
  for (const e of endpoints) {
    const mine = findings.filter((f) => f.routeName === e.routeName && f.template === e.template);
    const bad = failing(mine, kinds);
    failures += bad.length ? 1 : 0;
    const other = mine.filter((f) => !bad.includes(f));
    let body = bad
      .map(
        (f) =>
          `      <failure type="${xml(f.kind)}" message="${xml(`${f.kind} ${f.groupPath}: ${f.count} of ${e.mirrored} request(s)`)}">${xml(
            f.examples[0]?.differences
              .map((d) => `${d.kind} ${d.path}: ${d.legacy ?? "∅"} → ${d.candidate ?? "∅"}`)
              .join("\n") ?? "",
          )}</failure>\n`,
      )
      .join("");
    if (other.length)
      body += `      <system-out>${xml(other.map((f) => `${f.accepted ? "accepted" : f.noise}: ${f.kind} ${f.groupPath} (${f.count})`).join("\n"))}</system-out>\n`;
    const open = `    <testcase classname="${xml(e.routeName)}" name="${xml(e.template)}" assertions="${e.mirrored}"`;
    cases.push(body ? `${open}>\n${body}    </testcase>\n` : `${open}/>\n`);
  }
  if (unauthenticated > 0)
    cases.push(
      `    <testcase classname="replay" name="unauthenticated requests">\n      <skipped message="${unauthenticated} request(s) carried an expired or redacted JWT and no re-signing secret was given"/>\n    </testcase>\n`,
    );
  const tests = cases.length;
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="cutover replay" tests="${tests}" failures="${failures}" time="${seconds.toFixed(3)}">\n` +
    `  <testsuite name="${xml(name)}" tests="${tests}" failures="${failures}" skipped="${unauthenticated > 0 ? 1 : 0}" time="${seconds.toFixed(3)}">\n` +
    cases.join("") +
    `  </testsuite>\n</testsuites>\n`
  );
}

/**
 * runReset runs a `--reset` hook through the shell (e.g. `createdb -T seed`, a SQLite file copy)
 * and fails the replay, with the command's stderr, unless it exits 0 within `timeoutMs`.
 */
export function runReset(cmd: string, label: string, timeoutMs = 120_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("/bin/sh", ["-c", cmd], { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (d: string) => (err = (err + d).slice(-2000)));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new CutoverError("CUTOVER_ERR_REPLAY_RESET", `${label}: ${e.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          new CutoverError(
            "CUTOVER_ERR_REPLAY_RESET",
            `${label} (${cmd}) ${signal ? `killed by ${signal} after ${timeoutMs} ms` : `exited ${code}`}${err ? `: ${err.trim()}` : ""}`,
          ),
        );
    });
  });
}
