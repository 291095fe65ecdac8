import { readFileSync } from "node:fs";
import { parseConfig } from "../../config/load.js";
import { CutoverError } from "../../errors/index.js";
import type { CommandResult } from "../output.js";

/** check validates a config and lists every problem with its path and line. */
export function check(opts: { config: string }): CommandResult {
  let text: string;
  try {
    text = readFileSync(opts.config, "utf8");
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_CONFIG_NOT_FOUND", opts.config, { cause: err });
  }
  const res = parseConfig(text);
  if (!res.config) {
    const lines = res.problems.map(
      (p) => `  ${opts.config}${p.line ? `:${p.line}` : ""}  ${p.path || "(document)"}: ${p.message}`,
    );
    return {
      data: { ok: false, file: opts.config, problems: res.problems },
      text: `${res.problems.length} problem(s) in ${opts.config}:\n${lines.join("\n")}`,
      exitCode: 2,
    };
  }
  const c = res.config;
  return {
    data: { ok: true, file: opts.config, routes: c.routes.length, upstreams: Object.keys(c.upstreams) },
    text: `${opts.config} is valid: ${c.routes.length} route(s), upstreams ${Object.keys(c.upstreams).join(", ")}, listening on ${c.listen}`,
  };
}
