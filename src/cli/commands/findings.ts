import { writeFileSync } from "node:fs";
import { request } from "undici";
import { CutoverError } from "../../errors/index.js";
import { formatRate, groupByEndpoint, noiseLabel } from "../../findings/present.js";
import type { FindingView } from "../../findings/types.js";
import { call, type AdminTarget } from "../client.js";
import { table, type CommandResult } from "../output.js";

const when = (ms: number): string => new Date(ms).toISOString().replace("T", " ").slice(0, 19);

/**
 * findings lists findings grouped by endpoint, most client-breaking first (the same grouping and
 * order as the HTML report and the dashboard: findings/present.ts), with rate and 95 % CI.
 */
export async function findings(
  admin: AdminTarget,
  opts: { route?: string; examples: boolean; all: boolean },
): Promise<CommandResult> {
  const q = new URLSearchParams();
  if (opts.route) q.set("route", opts.route);
  if (opts.examples) q.set("examples", "1");
  if (opts.all) for (const k of ["noise", "accepted", "ignored"]) q.set(k, "1");
  const data = await call<{ compared: number; findings: FindingView[] }>(admin, "GET", `/api/findings?${q.toString()}`);
  const groups = groupByEndpoint(data.findings);
  const rows = groups.flatMap((g) =>
    g.items.map((f) => [
      f.id,
      f.kind,
      f.groupPath,
      formatRate(f.rate),
      f.count,
      when(f.firstSeen),
      when(f.lastSeen),
      f.accepted ? `accepted: ${f.accepted.reason}` : f.noise === "real" ? "" : noiseLabel(f.noise),
    ]),
  );
  let text: string;
  if (rows.length) {
    // One table, so columns line up across endpoints; each endpoint's rows under its own heading.
    const lines = table(["  ID", "KIND", "PATH", "RATE", "COUNT", "FIRST SEEN", "LAST SEEN", "NOTE"], rows).split("\n");
    const out = [lines[0] ?? ""];
    let i = 1;
    for (const g of groups) {
      out.push("", `${g.endpoint}  (route ${g.routeName})`);
      for (const _ of g.items) out.push(`  ${lines[i++] ?? ""}`);
    }
    text = out.join("\n");
  } else text = `no findings${opts.all ? "" : " (noise and accepted ones are hidden; --all shows them)"}`;
  text = `${data.compared} mirrored request(s) compared since start\n\n${text}`;
  if (opts.examples) {
    for (const f of groups.flatMap((g) => g.items)) {
      for (const e of f.examples.slice(0, 2)) {
        text += `\n\n── ${f.kind} ${f.groupPath} · ${e.method} ${e.path} (${e.exchangeId})`;
        for (const d of e.differences.slice(0, 5))
          text += `\n   ${d.kind} ${d.path}: ${d.legacy ?? "∅"} → ${d.candidate ?? "∅"}${d.detail ? ` (${d.detail})` : ""}`;
        text += `\n   legacy    ${e.legacy.status} ${e.legacy.mediaType} ${e.legacy.body.slice(0, 300)}`;
        text += `\n   candidate ${e.candidate.status} ${e.candidate.mediaType} ${e.candidate.body.slice(0, 300)}`;
        if (e.masked.length) text += `\n   redacted: ${e.masked.join(", ")}`;
      }
    }
  }
  return { data, text };
}

/** report writes the parity report: one self-contained HTML file, or JSON. */
export async function report(admin: AdminTarget, opts: { html?: string; out?: string }): Promise<CommandResult> {
  const file = opts.html ?? opts.out;
  if (!file) throw new CutoverError("CUTOVER_ERR_USAGE", "usage: cutover report --html FILE | --out FILE.json");
  const path = opts.html ? "/api/report.html" : "/api/report.json";
  let res;
  try {
    res = await request(admin.url + path, { headers: { authorization: `Bearer ${admin.token}` } });
  } catch (err) {
    throw new CutoverError("CUTOVER_ERR_ADMIN_UNREACHABLE", `${admin.url}: ${(err as Error).message}`, { cause: err });
  }
  const body = await res.body.text();
  if (res.statusCode === 401) throw new CutoverError("CUTOVER_ERR_ADMIN_UNAUTHORIZED");
  if (res.statusCode !== 200)
    throw new CutoverError("CUTOVER_ERR_ADMIN_UNREACHABLE", `${path}: HTTP ${res.statusCode}`);
  writeFileSync(file, body);
  return {
    data: { written: file, bytes: Buffer.byteLength(body) },
    text: `wrote ${file} (${Buffer.byteLength(body)} bytes)`,
  };
}

/** accept marks a finding as an intended difference, kept with who and why. */
export async function accept(
  admin: AdminTarget,
  id: string | undefined,
  reason: string | undefined,
): Promise<CommandResult> {
  if (!id || !reason)
    throw new CutoverError(
      "CUTOVER_ERR_USAGE",
      'usage: cutover accept FINDING --reason "why this difference is intended"',
    );
  const f = await call<FindingView>(admin, "POST", `/api/findings/${encodeURIComponent(id)}/accept`, { reason });
  return { data: f, text: `accepted ${f.id} (${f.routeName} ${f.kind} ${f.groupPath}): ${reason}` };
}
