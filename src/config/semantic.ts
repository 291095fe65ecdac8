import { compilePathPattern, knownPresets } from "../diff/index.js";
import type { Problem } from "../errors/index.js";
import { compileCondition } from "../route/conditions.js";
import { compileTemplate, covers, paramNames, type PathTemplate } from "../route/template.js";
import { defaultRouteName } from "../route/table.js";
import { adminProblems } from "./admin-checks.js";
import { SAFE_METHODS, type Config } from "./schema.js";

/**
 * semanticProblems finds what the schema cannot: invalid or unreachable route templates,
 * duplicate route names, rewrites that use parameters the match does not capture, mirrors of
 * writes without an isolated datastore, rollout routes that name nothing.
 */
export function semanticProblems(config: Config): Problem[] {
  const problems: Problem[] = [];
  const compiled: (PathTemplate | undefined)[] = [];
  const names = new Map<string, number>();

  config.routes.forEach((r, i) => {
    const at = `routes[${i}]`;
    const t = compileTemplate(r.match.path);
    if ("error" in t) {
      problems.push({ path: `${at}.match.path`, message: `invalid path template "${r.match.path}": ${t.error}` });
      compiled.push(undefined);
      return;
    }
    compiled.push(t);
    const name = r.name ?? defaultRouteName(r);
    const prev = names.get(name);
    if (prev !== undefined)
      problems.push({ path: `${at}.name`, message: `route name "${name}" is already used by routes[${prev}]` });
    else names.set(name, i);

    for (const kind of ["headers", "query"] as const) {
      for (const [n, spec] of Object.entries(r.match[kind] ?? {})) {
        const c = compileCondition(n, spec);
        if ("error" in c) problems.push({ path: `${at}.match.${kind}.${n}`, message: c.error });
      }
    }

    for (const target of ["legacy", "candidate"] as const) {
      const src = r.rewrite?.[target];
      if (!src) continue;
      const rt = compileTemplate(src);
      if ("error" in rt) {
        problems.push({ path: `${at}.rewrite.${target}`, message: `invalid rewrite template "${src}": ${rt.error}` });
        continue;
      }
      const have = new Set(paramNames(t));
      for (const p of paramNames(rt)) {
        if (!have.has(p))
          problems.push({
            path: `${at}.rewrite.${target}`,
            message: `uses :${p}, which ${r.match.path} does not capture`,
          });
      }
      if (rt.wildcard && !t.wildcard)
        problems.push({ path: `${at}.rewrite.${target}`, message: `uses *, but ${r.match.path} has no wildcard` });
    }

    for (let j = 0; j < i; j++) {
      const earlier = compiled[j];
      const e = config.routes[j];
      if (!earlier || !e) continue;
      // An earlier route with header or query conditions lets other requests through.
      if (e.match.headers || e.match.query) continue;
      const methodsCovered =
        !e.match.methods ||
        ((r.match.methods ?? []).every((m) => e.match.methods?.includes(m)) && r.match.methods !== undefined);
      if (methodsCovered && covers(earlier, t)) {
        problems.push({
          path: `${at}.match`,
          message: `unreachable: every request it matches is already matched by routes[${j}] (${e.match.path}); first match wins, so put the more specific route first`,
        });
        break;
      }
    }

    if (r.mirror) {
      const methods = r.mirror.methods ?? SAFE_METHODS;
      const writes = methods.filter((m) => !SAFE_METHODS.includes(m));
      if (writes.length && r.mirror.writes !== "isolated") {
        problems.push({
          path: `${at}.mirror.methods`,
          message: `mirroring ${writes.join(", ")} would make the candidate repeat writes; set mirror.writes: isolated only if the candidate has its own datastore (see docs/config.md, "Shared DB")`,
        });
      }
      if (r.mirror.secondary && !config.upstreams["legacy-secondary"]) {
        problems.push({ path: `${at}.mirror.secondary`, message: "needs an upstream named legacy-secondary" });
      }
    }
  });

  // The diff engine skips a pattern it cannot compile; say so here instead of ignoring nothing.
  for (const kind of ["ignore", "redact"] as const) {
    config.diff[kind].paths.forEach((p, i) => {
      const c = compilePathPattern(p);
      if ("error" in c)
        problems.push({ path: `diff.${kind}.paths[${i}]`, message: `invalid JSON path "${p}": ${c.error}` });
    });
  }
  if (Array.isArray(config.diff.presets)) {
    const known = knownPresets();
    config.diff.presets.forEach((p, i) => {
      if (!known.includes(p))
        problems.push({ path: `diff.presets[${i}]`, message: `unknown preset "${p}" (known: ${known.join(", ")})` });
    });
  }

  problems.push(...adminProblems(config));

  if (config.rollout?.routes) {
    config.rollout.routes.forEach((ref, i) => {
      const found = config.routes.some((r) => (r.name ?? defaultRouteName(r)) === ref || r.match.path === ref);
      if (!found)
        problems.push({
          path: `rollout.routes[${i}]`,
          message: `"${ref}" names no route (use a route name or its match.path)`,
        });
    });
  }
  if (config.rollout) {
    const stages = config.rollout.stages;
    let last = -1;
    stages.forEach((s, i) => {
      if (s === "shadow") {
        if (i !== 0) problems.push({ path: `rollout.stages[${i}]`, message: "shadow can only be the first stage" });
        return;
      }
      if (s <= last)
        problems.push({ path: `rollout.stages[${i}]`, message: `stages must increase (${s} after ${last})` });
      last = s;
    });
  }
  return problems;
}
