import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { INIT_TEMPLATE, renderInitConfig, type InitUpstream } from "../../config/init-template.js";
import { parseConfig } from "../../config/load.js";
import { CutoverError, isCutoverError } from "../../errors/index.js";
import { compareInventories, type Inventory } from "../../inventory/index.js";
import { planRoutes } from "../../inventory/plan.js";
import { readInventory } from "../../inventory/read.js";
import type { CommandResult } from "../output.js";

export interface InitOptions {
  file: string;
  force: boolean;
  /** A directory holding both apps (one per subdirectory). */
  dir?: string;
  legacy?: string;
  candidate?: string;
}

const NEXT = (file: string) =>
  `next: export CUTOVER_ADMIN_TOKEN=$(openssl rand -hex 16); cutover check -c ${file}; cutover run -c ${file}`;

/**
 * init writes a commented cutover.yaml. Given the two apps (a directory holding both, or each
 * side's source directory, OpenAPI file or URL), it reads their endpoints and writes `routes:`
 * from them, with the suggested rewrites; without, the fixed starting template.
 */
export async function init(opts: InitOptions): Promise<CommandResult> {
  if (existsSync(opts.file) && !opts.force) {
    throw new CutoverError("CUTOVER_ERR_USAGE", `${opts.file} exists; pass --force to overwrite`);
  }
  if (!opts.dir && !opts.legacy && !opts.candidate) {
    writeFileSync(opts.file, INIT_TEMPLATE);
    return { data: { written: opts.file }, text: `wrote ${opts.file}\n${NEXT(opts.file)}` };
  }
  const { legacy, candidate, how } = await pickSides(opts);
  const cmp = compareInventories(legacy.endpoints, candidate.endpoints);
  const plan = planRoutes(cmp);
  const text = renderInitConfig(upstreamOf(legacy, 5000), upstreamOf(candidate, 8000), plan);
  // The written file must pass `cutover check`; a failure here is a bug in init, not user input.
  // The token comes from the environment at run time; a random one stands in for the check.
  const checked = parseConfig(text, { CUTOVER_ADMIN_TOKEN: randomBytes(16).toString("hex") });
  if (!checked.config) throw new Error(`init wrote an invalid config: ${JSON.stringify(checked.problems)}`);
  writeFileSync(opts.file, text);
  const summary = [
    `legacy:    ${legacy.framework} (${legacy.origin}), ${legacy.endpoints.length} endpoint(s)`,
    `candidate: ${candidate.framework} (${candidate.origin}), ${candidate.endpoints.length} endpoint(s)`,
    how,
    `routes: ${plan.routes.map((r) => `${r.name} ${r.path}${r.rewrite ? ` → ${r.rewrite}` : ""}`).join(", ")}`,
    `differences: ${cmp.differences.length} ('cutover routes --legacy … --candidate …' lists them)`,
  ];
  return {
    data: {
      written: opts.file,
      legacy: { framework: legacy.framework, origin: legacy.origin, endpoints: legacy.endpoints.length },
      candidate: { framework: candidate.framework, origin: candidate.origin, endpoints: candidate.endpoints.length },
      routes: plan.routes,
      rewrites: cmp.rewrites,
      differences: cmp.differences.length,
    },
    text: `wrote ${opts.file}\n${summary.join("\n")}\n${NEXT(opts.file)}`,
  };
}

const UPSTREAM_FRAMEWORK: Record<string, string | undefined> = {
  flask: "flask",
  fastapi: "fastapi",
  robyn: "robyn",
  express: "express",
  nextjs: "other",
  openapi: undefined,
};

function upstreamOf(inv: Inventory, port: number): InitUpstream {
  const url = /^https?:\/\//.test(inv.origin) ? new URL(inv.origin).origin : `http://127.0.0.1:${port}`;
  return { url, framework: UPSTREAM_FRAMEWORK[inv.framework], origin: inv.origin };
}

// Usual direction of a migration when directory names do not say which side is which.
const ORDER = ["flask", "nextjs", "express", "openapi", "robyn", "fastapi"];
const LEGACY_NAME = /(^|[-_.])(legacy|old|v1|original)([-_.]|$)/i;
const CANDIDATE_NAME = /(^|[-_.])(candidate|new|port|v2|target)([-_.]|$)/i;

async function pickSides(opts: InitOptions): Promise<{ legacy: Inventory; candidate: Inventory; how: string }> {
  if (opts.legacy && opts.candidate) {
    const [legacy, candidate] = await Promise.all([readInventory(opts.legacy), readInventory(opts.candidate)]);
    return { legacy, candidate, how: "sides as given" };
  }
  const dir = opts.dir ?? opts.legacy ?? opts.candidate ?? ".";
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new CutoverError(
      "CUTOVER_ERR_USAGE",
      `init: give a directory holding both apps, or --legacy SRC --candidate SRC`,
    );
  const found: { name: string; inv: Inventory }[] = [];
  for (const name of readdirSync(dir).sort()) {
    const sub = join(dir, name);
    if (name.startsWith(".") || name === "node_modules" || !statSync(sub).isDirectory()) continue;
    try {
      found.push({ name, inv: await readInventory(sub) });
    } catch (err) {
      if (!isCutoverError(err)) throw err;
    }
  }
  if (found.length !== 2)
    throw new CutoverError(
      "CUTOVER_ERR_INVENTORY_SOURCE",
      `init ${dir}: expected two apps in its subdirectories, found ${found.length}${found.length ? ` (${found.map((f) => `${f.name}: ${f.inv.framework}`).join(", ")})` : ""}; name them with --legacy SRC --candidate SRC`,
    );
  let [a, b] = found as [(typeof found)[0], (typeof found)[0]];
  let how: string;
  if (
    (LEGACY_NAME.test(b.name) && !LEGACY_NAME.test(a.name)) ||
    (CANDIDATE_NAME.test(a.name) && !CANDIDATE_NAME.test(b.name))
  )
    [a, b] = [b, a];
  if (LEGACY_NAME.test(a.name) || CANDIDATE_NAME.test(b.name)) how = `legacy is ${a.name}/ by its name`;
  else {
    if (ORDER.indexOf(b.inv.framework) < ORDER.indexOf(a.inv.framework)) [a, b] = [b, a];
    how = `legacy is ${a.name}/ (${a.inv.framework} → ${b.inv.framework} is the usual direction); swap with --legacy/--candidate`;
  }
  return { legacy: a.inv, candidate: b.inv, how };
}
