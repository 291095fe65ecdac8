import { writeFileSync } from "node:fs";
import { loadConfig } from "../../config/load.js";
import type { Config, StoreConfig } from "../../config/schema.js";
import { presetsFor } from "../../diff/index.js";
import { CutoverError } from "../../errors/index.js";
import { buildReport, renderHtmlReport } from "../../findings/index.js";
import { readRecording } from "../../recording/index.js";
import { checkResign } from "../../replay/jwt.js";
import { DEFAULT_REPLAY_KEYS } from "../../replay/plan.js";
import { failing, junit, parseFailOn, runReset } from "../../replay/report.js";
import { replay, type ReplayOptions, type ReplayResult } from "../../replay/run.js";
import { closeAll, openState, type StateProbes } from "../../replay/state.js";
import { openStore } from "../../store/open.js";
import { table, type CommandResult } from "../output.js";

export interface ReplayArgs {
  file: string | undefined;
  config?: string | undefined;
  legacy?: string | undefined;
  candidate?: string | undefined;
  secondary?: string | undefined;
  reset?: string | undefined;
  resetLegacy?: string | undefined;
  resetCandidate?: string | undefined;
  failOn?: string | undefined;
  junit?: string | undefined;
  html?: string | undefined;
  out?: string | undefined;
  store?: string | undefined;
  concurrency?: string | undefined;
  pacing?: string | undefined;
  speed?: string | undefined;
  runs?: string | undefined;
  presets?: string | undefined;
  resignSecret?: string | undefined;
  resignAlg?: string | undefined;
  noCorrelate?: boolean | undefined;
  /** SQL probe run on both sides after each write; or one per side. */
  state?: string | undefined;
  stateLegacy?: string | undefined;
  stateCandidate?: string | undefined;
  /** Each side's database: a PostgreSQL URL, `sqlite:PATH` or a file path. */
  stateDbLegacy?: string | undefined;
  stateDbCandidate?: string | undefined;
  stateDbSecondary?: string | undefined;
  progress?: ((done: number, total: number) => void) | undefined;
}

function int(v: string | undefined, name: string, min: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new CutoverError("CUTOVER_ERR_USAGE", `${name} must be a number ≥ ${min}`);
  return n;
}

/** replayOptions merges the flags, the config's `replay:`/`diff:` sections and the defaults. */
export function replayOptions(a: ReplayArgs, config: Config | undefined): ReplayOptions {
  const legacy = a.legacy ?? config?.upstreams.legacy.url;
  const candidate = a.candidate ?? config?.upstreams.candidate.url;
  if (!legacy || !candidate)
    throw new CutoverError("CUTOVER_ERR_USAGE", "usage: cutover replay FILE --legacy URL --candidate URL (or -c FILE)");
  const r = config?.replay;
  const d = config?.diff;
  const presets =
    a.presets !== undefined
      ? a.presets === "none"
        ? []
        : a.presets.split(",")
      : d && Array.isArray(d.presets)
        ? [...d.presets]
        : d?.presets === "none"
          ? []
          : presetsFor(config?.upstreams.legacy.framework, config?.upstreams.candidate.framework);
  const secret = a.resignSecret ?? r?.resign?.secret;
  const pacing = a.pacing ?? r?.pacing ?? "fast";
  if (pacing !== "fast" && pacing !== "original")
    throw new CutoverError("CUTOVER_ERR_USAGE", "--pacing must be fast or original");
  return {
    legacy,
    candidate,
    secondary: a.secondary ?? config?.upstreams["legacy-secondary"]?.url,
    concurrency: int(a.concurrency, "--concurrency", 1, r?.concurrency ?? 8),
    pacing,
    speed: int(a.speed, "--speed", 0.001, 1),
    timeoutMs: r?.timeout ?? 10_000,
    correlate: a.noCorrelate ? false : (r?.correlate ?? true),
    resign: secret ? checkResign({ secret, alg: a.resignAlg ?? r?.resign?.alg }) : undefined,
    keys: config ? config.bucketing.keys : DEFAULT_REPLAY_KEYS,
    diff: {
      ignoreHeaders: d?.ignore.headers ?? [],
      ignorePaths: d?.ignore.paths ?? [],
      presets,
      redactHeaders: d?.redact.headers ?? [],
      redactPaths: d?.redact.paths ?? [],
    },
    aggregator: {
      examples: d?.examples ?? 5,
      redactHeaders: d?.redact.headers ?? [],
      redactPaths: d?.redact.paths ?? [],
      ignoreHeaders: d?.ignore.headers ?? [],
      ignorePaths: d?.ignore.paths ?? [],
    },
  };
}

/** stateProbes: the write-effect probes asked for, or undefined; every half-given setting is a usage error. */
export function stateProbes(a: ReplayArgs): StateProbes | undefined {
  const sqlL = a.stateLegacy ?? a.state;
  const sqlC = a.stateCandidate ?? a.state;
  const any = sqlL ?? sqlC ?? a.stateDbLegacy ?? a.stateDbCandidate ?? a.stateDbSecondary;
  if (any === undefined) return undefined;
  if (!sqlL || !sqlC || !a.stateDbLegacy || !a.stateDbCandidate)
    throw new CutoverError(
      "CUTOVER_ERR_USAGE",
      "write effects need --state SQL (or --state-legacy and --state-candidate) and --state-db-legacy and --state-db-candidate",
    );
  return {
    legacy: { side: openState(a.stateDbLegacy, "legacy"), sql: sqlL },
    candidate: { side: openState(a.stateDbCandidate, "candidate"), sql: sqlC },
    ...(a.stateDbSecondary ? { secondary: { side: openState(a.stateDbSecondary, "secondary"), sql: sqlL } } : {}),
  };
}

async function resetAll(a: ReplayArgs): Promise<void> {
  if (a.reset) await runReset(a.reset, "--reset");
  await Promise.all([
    a.resetLegacy ? runReset(a.resetLegacy, "--reset-legacy") : undefined,
    a.resetCandidate ? runReset(a.resetCandidate, "--reset-candidate") : undefined,
  ]);
}

/** The replay's summary as data (what --json prints and the store keeps). */
function summary(r: ReplayResult, failOn: ReturnType<typeof parseFailOn>) {
  const list = r.findings.findings.list({ includeNoise: true, includeAccepted: true });
  return {
    id: r.id,
    requests: r.requests,
    compared: r.compared,
    seconds: (r.finishedAt - r.startedAt) / 1000,
    signature: r.signature,
    mappings: r.mappings.length,
    mappedDifferences: r.mappedDifferences,
    unauthenticated: r.unauthenticated,
    failing: failing(list, failOn).map((f) => f.id),
    findings: list,
    outcomes: r.outcomes,
  };
}

/**
 * replayCommand replays a recording against legacy and the candidate (after the reset hooks),
 * `runs` times; prints the findings, writes JUnit/HTML/JSON when asked, keeps the findings in the
 * store under the replay's id, and exits 1 when a real finding of a `--fail-on` kind remains or
 * when repeated runs disagree.
 */
export async function replayCommand(a: ReplayArgs): Promise<CommandResult> {
  if (!a.file) throw new CutoverError("CUTOVER_ERR_USAGE", "usage: cutover replay FILE --legacy URL --candidate URL");
  const config = a.config ? loadConfig(a.config) : undefined;
  const opts = replayOptions(a, config);
  const failOn = parseFailOn(a.failOn);
  const requests = readRecording(a.file);
  const runs = int(a.runs, "--runs", 1, 1);
  const results: ReplayResult[] = [];
  const state = stateProbes(a);
  if (state?.secondary && !opts.secondary)
    throw new CutoverError(
      "CUTOVER_ERR_USAGE",
      "--state-db-secondary needs --legacy-secondary (the replay writes there)",
    );
  try {
    for (let i = 0; i < runs; i++) {
      await resetAll(a);
      results.push(await replay(requests, { ...opts, state, ...(a.progress ? { onProgress: a.progress } : {}) }));
    }
  } finally {
    await closeAll(state);
  }
  const r = results[results.length - 1] as ReplayResult;
  const deterministic = results.every((x) => x.signature === r.signature);
  const data = {
    ...summary(r, failOn),
    runs: results.map((x) => ({ id: x.id, signature: x.signature })),
    deterministic,
  };
  const storeConfig: StoreConfig | undefined = a.store ? { kind: "sqlite", path: a.store } : config?.store;
  if (storeConfig) {
    const store = await openStore(storeConfig);
    try {
      store.putDoc(`replay:${r.id}`, { ...data, rows: r.findings.findings.toRows() });
    } finally {
      await store.close();
    }
  }
  const seconds = data.seconds;
  if (a.junit)
    writeFileSync(
      a.junit,
      junit(r.id, r.findings.findings.routes(), data.findings, failOn, r.unauthenticated.length, seconds),
    );
  if (a.html)
    writeFileSync(
      a.html,
      renderHtmlReport(
        buildReport(r.findings.findings, { presets: opts.diff.presets, title: `cutover replay ${r.id}` }),
      ),
    );
  if (a.out) writeFileSync(a.out, JSON.stringify(data, null, 2));

  const real = data.findings.filter((f) => f.noise === "real" && !f.accepted);
  let text = `replay ${r.id}: ${r.requests} request(s), ${r.compared} compared in ${seconds.toFixed(1)} s`;
  text += `\n${r.mappings.length} correlated value(s) learned; ${r.mappedDifferences} difference(s) were mapped ids, not findings`;
  if (r.unauthenticated.length) {
    const why = [...new Set(r.unauthenticated.map((u) => u.reason))].join("/");
    text += `\n${r.unauthenticated.length} request(s) could not be authenticated (recorded JWT ${why}; give replay.resign or --resign-secret), not compared:`;
    for (const u of r.unauthenticated.slice(0, 10)) text += `\n  #${u.index} ${u.method} ${u.target} → ${u.status}`;
  }
  text += "\n\n";
  text += real.length
    ? table(
        ["ID", "ROUTE", "TEMPLATE", "KIND", "PATH", "COUNT", "FAIL"],
        real.map((f) => [f.id, f.routeName, f.template, f.kind, f.groupPath, f.count, failOn.has(f.kind) ? "yes" : ""]),
      )
    : "no findings";
  const noise = data.findings.length - real.length;
  if (noise) text += `\n(${noise} noise or accepted finding(s) not shown; --json lists them)`;
  if (runs > 1)
    text += `\n\n${runs} runs: ${deterministic ? "identical results (deterministic)" : "results differ between runs"}`;
  return { data, text, exitCode: data.failing.length > 0 || !deterministic ? 1 : 0 };
}
