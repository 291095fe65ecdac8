import { writeFileSync } from "node:fs";
import { duration } from "../../config/units.js";
import { CutoverError } from "../../errors/index.js";
import { changeCells, COLUMNS, loadLabel, sideCells } from "../../loadtest/format.js";
import { renderBenchHtml } from "../../loadtest/html.js";
import { readBenchInput } from "../../loadtest/input.js";
import type { ProcessSelector } from "../../loadtest/procs.js";
import { runBench, type BenchReport } from "../../loadtest/run.js";
import { table, type CommandResult } from "../output.js";

export interface BenchArgs {
  har?: string;
  urls?: string;
  legacy?: string;
  candidate?: string;
  rounds?: string;
  concurrency?: string;
  rate?: string;
  duration?: string;
  html?: string;
  legacyProc?: string;
  candidateProc?: string;
}

const USAGE =
  "usage: cutover bench (FILE.har | --urls FILE) --legacy URL --candidate URL [--rounds 3] [--concurrency 1,10,50] [--rate 100,500] [--duration 10s] [--html bench.html] [--legacy-proc PID|NAME|port:N] [--candidate-proc ...]";
const REQUEST_TIMEOUT_MS = 10_000;

const usage = (why: string): CutoverError => new CutoverError("CUTOVER_ERR_USAGE", `${why}\n${USAGE}`);

function url(name: string, v: string | undefined): string {
  if (!v) throw usage(`--${name} URL is required`);
  try {
    const u = new URL(v);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
  } catch {
    throw usage(`--${name} "${v}" is not an http(s) URL`);
  }
  return v;
}

/** "1,10,50" → [1, 10, 50]; "none" → []. */
function list(name: string, v: string | undefined, dflt: number[]): number[] {
  if (v === undefined) return dflt;
  if (v === "none" || v === "") return [];
  return v.split(",").map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1 || n > 100_000)
      throw usage(`--${name}: "${s}" is not a whole number from 1 to 100000`);
    return n;
  });
}

/** `1234` → pid, `port:5000` → the port's owner, anything else → a process name. */
export function parseSelector(v: string | undefined): ProcessSelector | undefined {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) return { pid: Number(v) };
  const m = /^port:(\d{1,5})$/.exec(v);
  return m ? { port: Number(m[1]) } : { name: v };
}

/** bench: legacy against candidate under the same load; the report as a table, JSON or an HTML page. */
export async function bench(a: BenchArgs, onProgress?: (line: string) => void): Promise<CommandResult> {
  if (!a.har && !a.urls) throw usage("give a HAR file or --urls FILE");
  const legacy = url("legacy", a.legacy);
  const candidate = url("candidate", a.candidate);
  const rounds = list("rounds", a.rounds, [3])[0] ?? 1;
  const concurrency = list("concurrency", a.concurrency, [1, 10, 50]);
  const rates = list("rate", a.rate, []);
  if (concurrency.length + rates.length === 0) throw usage("nothing to run: give --concurrency or --rate");
  const d = duration.safeParse(a.duration ?? "10s");
  if (!d.success || d.data <= 0) throw usage(`--duration "${a.duration}" is not a duration (e.g. 500ms, 10s)`);
  const requests = readBenchInput({ har: a.har, urls: a.urls });
  const report = await runBench({
    requests,
    source: a.har ?? a.urls ?? "",
    legacy: { url: legacy, process: parseSelector(a.legacyProc) },
    candidate: { url: candidate, process: parseSelector(a.candidateProc) },
    rounds,
    concurrency,
    rates,
    durationMs: d.data,
    timeoutMs: REQUEST_TIMEOUT_MS,
    onProgress,
  });
  let text = renderText(report);
  let data: BenchReport & { html?: string } = report;
  if (a.html) {
    const page = renderBenchHtml(report);
    writeFileSync(a.html, page);
    data = { ...report, html: a.html };
    text += `\n\nwrote ${a.html} (${Buffer.byteLength(page)} bytes)`;
  }
  return { data, text };
}

function renderText(r: BenchReport): string {
  const s = r.settings;
  const who = (x: BenchReport["legacy"]): string =>
    `${x.url} (${x.process ? `${x.process}: ${x.pids.length ? `pid ${x.pids.join(",")}` : "no process found"}` : "not measured"})`;
  const head = [
    `cutover bench · ${r.input.requests} request(s), ${r.input.kinds} kind(s) from ${r.input.source}`,
    `${s.rounds} round(s) × ${s.durationMs} ms per side and load, interleaved legacy, candidate, legacy, …`,
    `legacy    ${who(r.legacy)}`,
    `candidate ${who(r.candidate)}`,
  ];
  const p = r.parity;
  const parityLine =
    p.differingAnswers === 0
      ? `answers: no difference between the sides on ${p.compared} request(s) compared (status + body fingerprint)`
      : `answers DIFFER: ${p.differingAnswers} candidate answer(s) differ from legacy's, on ${p.kinds.filter((k) => k.differingAnswers > 0).length} request kind(s); numbers of a side that answers differently are not comparable there`;
  const rows: string[][] = [];
  for (const l of r.loads) {
    rows.push([loadLabel(l), "legacy", ...sideCells(l.legacy)]);
    rows.push(["", "candidate", ...sideCells(l.candidate)]);
    rows.push(["", "change", ...changeCells(l.legacy, l.candidate)]);
  }
  const perf = table(["LOAD", "SIDE", ...COLUMNS], rows);
  const kinds = table(
    ["KIND", "LEGACY", "CANDIDATE", "DIFFERING", "STATUS≠", "BODY≠", "NOISE", "EXAMPLE"],
    p.kinds.map((k) => [
      k.kind,
      k.legacyAnswers,
      k.candidateAnswers,
      k.differingAnswers,
      k.statusDiffers,
      k.bodyDiffers,
      k.unstable,
      k.example ? `${k.example.method} ${k.example.path}: ${k.example.legacy} → ${k.example.candidate}` : "",
    ]),
  );
  const notes = [
    "ERRORS = transport failures and 5xx; CPU = backend processes in % of one core (children summed); RSS = peak resident memory.",
    "Open-loop latency is measured from each request's intended send time (no coordinated omission).",
  ];
  const busy = r.loads.flatMap((l) => [l.legacy, l.candidate]).some((x) => x.clientCpuPercent > 85);
  if (busy)
    notes.push("warning: the load client itself used > 85% of a core in some phase; it may have been the limit.");
  return [...head, "", parityLine, "", perf, "", kinds, "", ...notes].join("\n");
}
