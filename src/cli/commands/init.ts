import { existsSync, writeFileSync } from "node:fs";
import { INIT_TEMPLATE } from "../../config/init-template.js";
import { CutoverError } from "../../errors/index.js";
import type { CommandResult } from "../output.js";

export function init(opts: { file: string; force: boolean }): CommandResult {
  if (existsSync(opts.file) && !opts.force) {
    throw new CutoverError("CUTOVER_ERR_USAGE", `${opts.file} exists; pass --force to overwrite`);
  }
  writeFileSync(opts.file, INIT_TEMPLATE);
  return {
    data: { written: opts.file },
    text: `wrote ${opts.file}\nnext: export CUTOVER_ADMIN_TOKEN=$(openssl rand -hex 16); cutover check -c ${opts.file}; cutover run -c ${opts.file}`,
  };
}
