import { parseArgs } from "node:util";
import { CutoverError, isCutoverError } from "../errors/index.js";
import { resolveAdmin } from "./client.js";
import type { CommandResult } from "./output.js";

const USAGE = `cutover — move a live HTTP backend to a new framework, with proof

usage: cutover <command> [options]

  demo                       two example backends + gateway + traffic (Node only)
  init [-c FILE] [--force] [DIR] [--legacy SRC --candidate SRC]
                             write a commented cutover.yaml; routes from the apps' endpoints
  routes [--legacy SRC] [--candidate SRC]   endpoints of each side and how they differ
                             (SRC: a source directory or file, an OpenAPI file or URL, flask:app.py)
  check -c FILE              validate a config; every problem with its path and line
  run -c FILE [--workers N|auto]   start the gateway (N > 1: cluster workers serve)
  record -c FILE --out traffic.har the gateway, recording exchanges to HAR (redacted)
  store migrate [-c FILE]    bring the store's schema up to date (also done on start)
  status                     routes, weights, upstream health, requests per target
  set-weight ROUTE PERCENT   change a route's candidate weight
  rollback [--reason R]      every route to legacy, at once
  promote | pause | resume   move the rollout on, hold it, or continue it (with --reason)
  history                    every rollout decision with its reason
  findings [--route R] [--examples] [--all]   differences found on mirrored traffic
  report --html FILE | --out FILE.json        the parity report, one self-contained file
  coverage [--route R]       per endpoint: seen, mirrored, compared, differing, served by the candidate
  accept FINDING --reason R  mark a finding as intended (kept with who and why)
  bench (FILE.har | --urls FILE) --legacy URL --candidate URL [--rounds 3] [--concurrency 1,10,50]
        [--rate 100,500] [--duration 10s] [--html FILE] [--legacy-proc|--candidate-proc PID|NAME|port:N]
                             legacy vs candidate under the same load: req/s, latency, CPU, RSS, differing answers
  replay FILE --legacy URL --candidate URL [--legacy-secondary URL]
         [--reset CMD | --reset-legacy CMD --reset-candidate CMD] [--runs N]
         [--fail-on status,field_missing,type_changed] [--junit FILE] [--html FILE] [--out FILE]
         [--resign-secret S] [--resign-alg HS256] [--pacing fast|original] [--concurrency N]
         [--no-correlate] [--state SQL | --state-legacy SQL --state-candidate SQL]
         [--state-db-legacy DB --state-db-candidate DB [--state-db-secondary DB]]
                                   replay a recording (HAR or .gor) against both sides and diff;
                                   with --state, the rows each write left (DB: postgres://… or an SQLite file)

options: -c/--config FILE (default cutover.yaml), --admin URL, --token T, --json, --reason TEXT, -h/--help
`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: "string", short: "c" },
      admin: { type: "string" },
      token: { type: "string" },
      json: { type: "boolean", default: false },
      force: { type: "boolean", default: false },
      reason: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
      duration: { type: "string" },
      scenario: { type: "string" },
      port: { type: "string" },
      route: { type: "string" },
      examples: { type: "boolean", default: false },
      all: { type: "boolean", default: false },
      html: { type: "string" },
      out: { type: "string" },
      workers: { type: "string" },
      urls: { type: "string" },
      legacy: { type: "string" },
      candidate: { type: "string" },
      rounds: { type: "string" },
      concurrency: { type: "string" },
      rate: { type: "string" },
      "legacy-proc": { type: "string" },
      "candidate-proc": { type: "string" },
      "legacy-secondary": { type: "string" },
      reset: { type: "string" },
      "reset-legacy": { type: "string" },
      "reset-candidate": { type: "string" },
      "fail-on": { type: "string" },
      junit: { type: "string" },
      store: { type: "string" },
      pacing: { type: "string" },
      speed: { type: "string" },
      runs: { type: "string" },
      presets: { type: "string" },
      "resign-secret": { type: "string" },
      "resign-alg": { type: "string" },
      "no-correlate": { type: "boolean", default: false },
      state: { type: "string" },
      "state-legacy": { type: "string" },
      "state-candidate": { type: "string" },
      "state-db-legacy": { type: "string" },
      "state-db-candidate": { type: "string" },
      "state-db-secondary": { type: "string" },
    },
  });
  const [command, ...args] = positionals;
  const json = values.json;
  const print = (data: unknown, text: string): void => {
    process.stdout.write(json ? JSON.stringify(data, null, 2) + "\n" : text + "\n");
  };
  if (values.help || !command) {
    print({ usage: USAGE }, USAGE);
    return command || values.help ? 0 : 2;
  }
  const config = values.config ?? "cutover.yaml";
  const admin = () => resolveAdmin({ admin: values.admin, token: values.token, config: values.config });

  let result: CommandResult;
  switch (command) {
    case "init":
      result = await (
        await import("./commands/init.js")
      ).init({ file: config, force: values.force, dir: args[0], legacy: values.legacy, candidate: values.candidate });
      break;
    case "routes":
      result = await (
        await import("./commands/routes.js")
      ).routes({ legacy: values.legacy, candidate: values.candidate, sources: args });
      break;
    case "check":
      result = (await import("./commands/check.js")).check({ config });
      break;
    case "run":
      await (await import("./commands/run.js")).run({ config, json, workers: values.workers }, print);
      return 0;
    case "record":
      if (!values.out) throw new CutoverError("CUTOVER_ERR_USAGE", "usage: cutover record -c FILE --out traffic.har");
      await (
        await import("./commands/run.js")
      ).run({ config, json, workers: values.workers, record: values.out }, print);
      return 0;
    case "demo":
      await (
        await import("../demo/demo.js")
      ).demo({ json, duration: values.duration, scenario: values.scenario, port: values.port }, print);
      return 0;
    case "store":
      result = await (await import("./commands/store.js")).storeCommand({ config, sub: args[0] });
      break;
    case "status":
      result = await (await import("./commands/control.js")).status(admin());
      break;
    case "set-weight":
      result = await (await import("./commands/control.js")).setWeight(admin(), args[0], args[1], values.reason);
      break;
    case "rollback":
      result = await (await import("./commands/control.js")).rollback(admin(), values.reason);
      break;
    case "promote":
    case "pause":
    case "resume":
      result = await (await import("./commands/rollout.js")).rolloutAction(admin(), command, values.reason);
      break;
    case "history":
      result = await (await import("./commands/rollout.js")).history(admin());
      break;
    case "findings":
      result = await (
        await import("./commands/findings.js")
      ).findings(admin(), { route: values.route, examples: values.examples, all: values.all });
      break;
    case "coverage":
      result = await (await import("./commands/coverage.js")).coverage(admin(), { route: values.route });
      break;
    case "report":
      result = await (await import("./commands/findings.js")).report(admin(), { html: values.html, out: values.out });
      break;
    case "accept":
      result = await (await import("./commands/findings.js")).accept(admin(), args[0], values.reason);
      break;
    case "bench":
      result = await (
        await import("./commands/bench.js")
      ).bench(
        { ...values, har: args[0], legacyProc: values["legacy-proc"], candidateProc: values["candidate-proc"] },
        process.stderr.isTTY && !json ? (line) => process.stderr.write(`\r\x1b[K${line}`) : undefined,
      );
      if (process.stderr.isTTY && !json) process.stderr.write("\r\x1b[K");
      break;
    case "replay":
      result = await (
        await import("./commands/replay.js")
      ).replayCommand({
        file: args[0],
        config: values.config,
        legacy: values.legacy,
        candidate: values.candidate,
        secondary: values["legacy-secondary"],
        reset: values.reset,
        resetLegacy: values["reset-legacy"],
        resetCandidate: values["reset-candidate"],
        failOn: values["fail-on"],
        junit: values.junit,
        html: values.html,
        out: values.out,
        store: values.store,
        concurrency: values.concurrency,
        pacing: values.pacing,
        speed: values.speed,
        runs: values.runs,
        presets: values.presets,
        resignSecret: values["resign-secret"] ?? process.env.CUTOVER_RESIGN_SECRET,
        resignAlg: values["resign-alg"],
        noCorrelate: values["no-correlate"],
        state: values.state,
        stateLegacy: values["state-legacy"],
        stateCandidate: values["state-candidate"],
        stateDbLegacy: values["state-db-legacy"],
        stateDbCandidate: values["state-db-candidate"],
        stateDbSecondary: values["state-db-secondary"],
        progress: process.stderr.isTTY ? progressBar : undefined,
      });
      break;
    default:
      throw new CutoverError("CUTOVER_ERR_USAGE", `unknown command "${command}"\n\n${USAGE}`);
  }
  print(result.data, result.text);
  return result.exitCode ?? 0;
}

/** A one-line progress bar on stderr (only when it is a terminal). */
function progressBar(done: number, total: number): void {
  const width = 30;
  const filled = total ? Math.round((done / total) * width) : width;
  process.stderr.write(`\r[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total}`);
  if (done === total) process.stderr.write("\n");
}

// The only place cutover exits: expected failures print their code and problems; bugs say so.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const json = process.argv.includes("--json");
    if (isCutoverError(err)) {
      if (json) process.stdout.write(JSON.stringify(err.toJSON(), null, 2) + "\n");
      else {
        process.stderr.write(`error ${err.code}: ${err.message}\n`);
        for (const p of err.problems)
          process.stderr.write(`  ${p.line ? `line ${p.line}  ` : ""}${p.path || "(document)"}: ${p.message}\n`);
      }
      process.exit(err.exitCode);
    }
    const isUsage = err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith("ERR_PARSE_ARGS");
    if (isUsage) {
      process.stderr.write(`error CUTOVER_ERR_USAGE: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(
      `error CUTOVER_ERR_INTERNAL: ${(err as Error).stack ?? String(err)}\nThis is a bug in cutover; please report it with the lines above.\n`,
    );
    process.exit(70);
  },
);
