/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, time per area
 * (node core HTTP, undici, prom-client, cutover's own code, GC, idle), and inclusive time of
 * cutover's own functions. Used by `bench/proxy.ts --profile`; also runnable on its own:
 *
 *   node dist/bench/proxy-profile.js <file.cpuprofile> [top=30]
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { CASE_SPECS, type CaseName } from "./proxy-payloads.js";
import { loadAvg, runWrk, stopChild } from "./proxy-procs.js";
import { startBackend, startCutover, verify } from "./proxy-setup.js";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function shortUrl(url: string): string {
  if (!url) return "";
  const nm = url.lastIndexOf("node_modules/");
  if (nm !== -1) return url.slice(nm + 13);
  const d = url.indexOf("/dist/");
  if (d !== -1) return url.slice(d + 6);
  return url.replace(/^file:\/\//, "");
}

function area(url: string, fn: string): string {
  if (!url) return fn.startsWith("(") ? fn : "(native)";
  if (url.startsWith("node:internal/http") || url.startsWith("node:_http") || url.startsWith("node:http"))
    return "node http";
  if (url.startsWith("node:internal/streams") || url.startsWith("node:stream")) return "node streams";
  if (url.startsWith("node:")) return "node other";
  if (url.includes("node_modules/undici/")) return "undici";
  if (url.includes("node_modules/prom-client/")) return "prom-client";
  if (url.includes("node_modules/")) return "other deps";
  if (url.includes("/dist/src/")) return "cutover src";
  return "other";
}

export interface ProfileSummary {
  totalMs: number;
  top: { fn: string; where: string; area: string; selfMs: number; pct: number }[];
  areas: { area: string; selfMs: number; pct: number }[];
  cutoverInclusive: { fn: string; where: string; totalMs: number; pct: number }[];
  /** For the heaviest self-time entries: the call chains (innermost caller first) that reach them. */
  callers: { fn: string; chains: { chain: string; ms: number }[] }[];
}

export function summariseProfile(p: CpuProfile, topN = 30): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0) || 1;
  const keyOf = (n: ProfileNode): string =>
    `${n.callFrame.functionName || "(anonymous)"}\t${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

  const selfByKey = new Map<string, { us: number; area: string }>();
  const areas = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const k = keyOf(n);
    const a = area(n.callFrame.url, n.callFrame.functionName);
    const e = selfByKey.get(k) ?? { us: 0, area: a };
    e.us += us;
    selfByKey.set(k, e);
    areas.set(a, (areas.get(a) ?? 0) + us);
  }

  // Inclusive time of cutover's own functions: sum over each node's subtree, counting a function
  // once per stack (recursion is not double-counted because the walk stops at a repeated key).
  const inclusive = new Map<number, number>();
  const sub = (id: number): number => {
    const cached = inclusive.get(id);
    if (cached !== undefined) return cached;
    const n = byId.get(id);
    let us = self.get(id) ?? 0;
    for (const c of n?.children ?? []) us += sub(c);
    inclusive.set(id, us);
    return us;
  };
  const incByKey = new Map<string, number>();
  const walk = (id: number, onStack: Set<string>): void => {
    const n = byId.get(id);
    if (!n) return;
    const k = keyOf(n);
    const mine = n.callFrame.url.includes("/dist/src/") && !onStack.has(k);
    if (mine) incByKey.set(k, (incByKey.get(k) ?? 0) + sub(id));
    if (mine) onStack.add(k);
    for (const c of n.children ?? []) walk(c, onStack);
    if (mine) onStack.delete(k);
  };
  const root = p.nodes[0];
  if (root) walk(root.id, new Set());

  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frame = (n: ProfileNode): string =>
    `${n.callFrame.functionName || "(anonymous)"} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const chainsByKey = new Map<string, Map<string, number>>();
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const chain: string[] = [];
    // The direct caller, then the nearest callers outside node core (undici, prom-client, cutover).
    for (let pid = parent.get(id), depth = 0; pid !== undefined && chain.length < 4 && depth < 40; depth++) {
      const m = byId.get(pid);
      if (m?.callFrame.url && (chain.length === 0 || !m.callFrame.url.startsWith("node:"))) chain.push(frame(m));
      pid = parent.get(pid);
    }
    const k = keyOf(n);
    const per = chainsByKey.get(k) ?? new Map<string, number>();
    const c = chain.join(" ← ");
    per.set(c, (per.get(c) ?? 0) + us);
    chainsByKey.set(k, per);
  }

  const ms = (us: number): number => Math.round(us / 100) / 10;
  const pct = (us: number): number => Math.round((1000 * us) / total) / 10;
  const split = (k: string): [string, string] => {
    const [fn, where] = k.split("\t");
    return [fn ?? "", where ?? ""];
  };
  return {
    totalMs: ms(total),
    top: [...selfByKey]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, topN)
      .map(([k, v]) => {
        const [fn, where] = split(k);
        return { fn, where, area: v.area, selfMs: ms(v.us), pct: pct(v.us) };
      }),
    areas: [...areas].sort((a, b) => b[1] - a[1]).map(([a, us]) => ({ area: a, selfMs: ms(us), pct: pct(us) })),
    callers: [...selfByKey]
      .filter(([k]) => !k.startsWith("("))
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, 6)
      .map(([k]) => ({
        fn: split(k)[0],
        chains: [...(chainsByKey.get(k) ?? new Map<string, number>())]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 2)
          .map(([chain, us]) => ({ chain, ms: ms(us) })),
      })),
    cutoverInclusive: [...incByKey]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([k, us]) => {
        const [fn, where] = split(k);
        return { fn, where, totalMs: ms(us), pct: pct(us) };
      }),
  };
}

export function renderProfile(s: ProfileSummary): string {
  const lines = [`Profile: ${s.totalMs} ms sampled`, "", "| area | self ms | % |", "|---|---|---|"];
  for (const a of s.areas) lines.push(`| ${a.area} | ${a.selfMs} | ${a.pct} |`);
  lines.push("", "| # | function | where | area | self ms | % |", "|---|---|---|---|---|---|");
  s.top.forEach((t, i) => lines.push(`| ${i + 1} | ${t.fn} | ${t.where} | ${t.area} | ${t.selfMs} | ${t.pct} |`));
  lines.push(
    "",
    "cutover's own functions, inclusive time:",
    "",
    "| function | where | total ms | % |",
    "|---|---|---|---|",
  );
  for (const t of s.cutoverInclusive) lines.push(`| ${t.fn} | ${t.where} | ${t.totalMs} | ${t.pct} |`);
  lines.push("", "Where the heaviest functions are called from:", "");
  for (const c of s.callers)
    for (const ch of c.chains) lines.push(`- **${c.fn}** (${ch.ms} ms) ← ${ch.chain || "(root)"}`);
  return lines.join("\n");
}

export function loadProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
}

/**
 * profileCutover starts two backends and cutover under `node --cpu-prof`, warms it up, runs wrk for
 * `duration` seconds, stops the gateway (SIGTERM, so V8 writes the profile) and summarises it.
 */
export async function profileCutover(o: {
  c: CaseName;
  repo: string;
  here: string;
  dir: string;
  script: string;
  warmup: number;
  duration: number;
  conns: number;
  proxyCpu: string | undefined;
  clientCpu: string | undefined;
}): Promise<{ md: string; json: unknown; profileFile: string }> {
  const backendJs = join(o.here, "proxy-backend.js");
  const legacy = await startBackend(backendJs, "legacy", o.proxyCpu);
  const candidate = await startBackend(backendJs, "candidate", o.proxyCpu);
  const profDir = join(o.dir, "prof");
  const gw = await startCutover({
    repo: o.repo,
    dir: o.dir,
    legacy: legacy.origin,
    candidate: candidate.origin,
    cpu: o.proxyCpu,
    nodeFlags: ["--cpu-prof", `--cpu-prof-dir=${profDir}`],
  });
  await verify([gw], 8);
  const url = gw.origin + CASE_SPECS[o.c].path;
  process.stderr.write(
    `profiling cutover (${o.c}): warm-up ${o.warmup} s, then ${o.duration} s under wrk -c${o.conns}\n`,
  );
  await runWrk({ url, script: o.script, seconds: o.warmup, conns: o.conns, cpu: o.clientCpu });
  const wrk = await runWrk({ url, script: o.script, seconds: o.duration, conns: o.conns, cpu: o.clientCpu });
  await stopChild(gw.child);
  for (const b of [legacy, candidate]) await stopChild(b.child);
  const file = readdirSync(profDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no .cpuprofile written in ${profDir}`);
  const summary = summariseProfile(loadProfile(join(profDir, file)), 30);
  const head = `## cutover CPU profile — ${o.c}, ${Math.round(wrk.rps)} req/s while profiled (load ${loadAvg()})`;
  return {
    md: `${head}\n\n${renderProfile(summary)}`,
    json: { case: o.c, wrk, summary },
    profileFile: join(profDir, file),
  };
}

if (process.argv[1]?.endsWith("proxy-profile.js") && process.argv[2]) {
  const s = summariseProfile(loadProfile(process.argv[2]), Number(process.argv[3] ?? "30"));
  process.stdout.write(renderProfile(s) + "\n");
}
