import { parseArgs } from "node:util";
import { CutoverError, isCutoverError } from "../errors/index.js";
import { resolveAdmin } from "./client.js";
import type { CommandResult } from "./output.js";

const USAGE = `cutover — move a live HTTP backend to a new framework, with proof

usage: cutover <command> [options]

  demo                       two example backends + gateway + traffic (Node only)
  init [-c FILE] [--force]   write a commented cutover.yaml
  check -c FILE              validate a config; every problem with its path and line
  run -c FILE [--workers N|auto]   start the gateway (N > 1: cluster workers serve)
  store migrate [-c FILE]    bring the store's schema up to date (also done on start)
  status                     routes, weights, upstream health, requests per target
  set-weight ROUTE PERCENT   change a route's candidate weight
  rollback [--reason R]      every route to legacy, at once
  promote | pause | resume   move the rollout on, hold it, or continue it (with --reason)
  history                    every rollout decision with its reason
  findings [--route R] [--examples] [--all]   differences found on mirrored traffic
  report --html FILE | --out FILE.json        the parity report, one self-contained file
  accept FINDING --reason R  mark a finding as intended (kept with who and why)

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
      result = (await import("./commands/init.js")).init({ file: config, force: values.force });
      break;
    case "check":
      result = (await import("./commands/check.js")).check({ config });
      break;
    case "run":
      await (await import("./commands/run.js")).run({ config, json, workers: values.workers }, print);
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
    case "report":
      result = await (await import("./commands/findings.js")).report(admin(), { html: values.html, out: values.out });
      break;
    case "accept":
      result = await (await import("./commands/findings.js")).accept(admin(), args[0], values.reason);
      break;
    default:
      throw new CutoverError("CUTOVER_ERR_USAGE", `unknown command "${command}"\n\n${USAGE}`);
  }
  print(result.data, result.text);
  return result.exitCode ?? 0;
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
