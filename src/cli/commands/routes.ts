import { CutoverError } from "../../errors/index.js";
import { compareInventories, groupPaths, type Inventory, type InventoryComparison } from "../../inventory/index.js";
import { readInventory } from "../../inventory/read.js";
import { table, type CommandResult } from "../output.js";

/**
 * `cutover routes`: the endpoints of legacy and/or the candidate, read from OpenAPI, source or
 * `flask routes`, and — with both — what one side has that the other has not, with suggested
 * `rewrite:` entries for renamed paths and moved prefixes.
 */
export async function routes(opts: { legacy?: string; candidate?: string; sources: string[] }): Promise<CommandResult> {
  const legacySrc = opts.legacy ?? (opts.candidate ? undefined : opts.sources[0]);
  const candidateSrc = opts.candidate ?? (opts.legacy ? opts.sources[0] : opts.sources[1]);
  if (!legacySrc && !candidateSrc)
    throw new CutoverError(
      "CUTOVER_ERR_USAGE",
      "routes needs a source: cutover routes --legacy DIR|FILE|URL|flask:app.py [--candidate DIR|FILE|URL]",
    );
  const [legacy, candidate] = await Promise.all([
    legacySrc ? readInventory(legacySrc) : undefined,
    candidateSrc ? readInventory(candidateSrc) : undefined,
  ]);
  if (!legacy || !candidate) {
    const inv = (legacy ?? candidate) as Inventory;
    return { data: { [legacy ? "legacy" : "candidate"]: inv }, text: listing(legacy ? "legacy" : "candidate", inv) };
  }
  const cmp = compareInventories(legacy.endpoints, candidate.endpoints);
  return {
    data: { legacy, candidate, comparison: comparisonJson(cmp) },
    text: [header("legacy", legacy), header("candidate", candidate), "", comparisonText(cmp)].join("\n"),
  };
}

export function comparisonJson(cmp: InventoryComparison) {
  return {
    pairs: cmp.pairs.map((p) => ({
      legacy: p.legacy.path,
      candidate: p.candidate.path,
      methods: { legacy: p.legacy.methods, candidate: p.candidate.methods },
      via: p.via,
    })),
    differences: cmp.differences,
    rewrites: cmp.rewrites,
  };
}

function header(side: string, inv: Inventory): string {
  const warn = inv.warnings.length ? `\n${inv.warnings.map((w) => `  warning: ${w}`).join("\n")}` : "";
  return `${side}: ${inv.framework} (${inv.origin}), ${inv.endpoints.length} endpoint(s)${warn}`;
}

function listing(side: string, inv: Inventory): string {
  const rows = groupPaths(inv.endpoints).flatMap((g) =>
    g.endpoints.map((e) => [e.method, e.path, e.params.map((p) => `${p.name}:${p.type}`).join(" "), e.source]),
  );
  return `${header(side, inv)}\n\n${table(["method", "path", "params", "source"], rows)}`;
}

function comparisonText(cmp: InventoryComparison): string {
  const rows = cmp.pairs.map((p) => [
    p.legacy.methods.join(","),
    p.legacy.path,
    p.candidate.path === p.legacy.path ? "=" : p.candidate.path,
    p.candidate.methods.join(",") === p.legacy.methods.join(",") ? "=" : p.candidate.methods.join(","),
  ]);
  const out = [
    `matched paths (${cmp.pairs.length})`,
    table(["legacy methods", "legacy path", "candidate path", "candidate methods"], rows),
  ];
  out.push("", `differences (${cmp.differences.length})`);
  for (const d of cmp.differences) out.push(`  ${d.kind.padEnd(15)} ${d.message}`);
  if (cmp.rewrites.length) {
    out.push("", "suggested rewrites (routes: entries; `cutover init` writes them)");
    for (const r of cmp.rewrites)
      out.push(`  - match: { path: ${r.match} }\n    rewrite: { candidate: ${r.candidate} }   # ${r.reason}`);
  }
  return out.join("\n");
}
