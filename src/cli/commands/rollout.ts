import type { RolloutView } from "../../rollout/wire.js";
import type { AuditEntry } from "../../store/store.js";
import { call, type AdminTarget } from "../client.js";
import { table, type CommandResult } from "../output.js";

/** rolloutText renders the rollout block of `cutover status`. */
export function rolloutText(r: RolloutView): string {
  if (!r.configured) return "rollout: none configured";
  const stages = r.stages.map((s, i) => (i === r.stage.index ? `[${String(s)}]` : String(s))).join(" → ");
  const v = r.verdict;
  const lines = [`rollout ${r.id}: ${r.status}, stage ${stages}, candidate weight ${r.weight}%`];
  if (r.awaiting_promotion) lines.push("  the judge would promote: run `cutover promote` to continue");
  if (v) {
    lines.push(`  verdict: ${v.outcome} — ${v.reasons[0] ?? ""}`);
    for (const reason of v.reasons.slice(1, 4)) lines.push(`           ${reason}`);
    lines.push(`  evidence: ${v.candidateRequests} of ${v.minRequests} candidate requests needed`);
    if (v.eta)
      lines.push(
        `  ETA to the next stage: ~${Math.ceil(v.eta.ms / 60_000)} min at ${v.eta.ratePerMin.toFixed(1)} candidate req/min`,
      );
  }
  return lines.join("\n");
}

export async function rolloutAction(
  admin: AdminTarget,
  action: "promote" | "pause" | "resume",
  reason?: string,
): Promise<CommandResult> {
  const r = await call<RolloutView>(admin, "POST", `/api/rollout/${action}`, {
    reason: reason ?? `manual ${action} from CLI`,
  });
  return { data: r, text: rolloutText(r) };
}

export async function history(admin: AdminTarget): Promise<CommandResult> {
  const entries = await call<AuditEntry[]>(admin, "GET", "/api/rollout/history");
  const rows = entries.map((e) => {
    const d = e.detail as { to?: { stage: string | number; weight: number } } | undefined;
    return [
      new Date(e.at).toISOString().slice(0, 19),
      e.action,
      e.actor,
      d?.to ? `${String(d.to.stage)} (${d.to.weight}%)` : "",
      e.reason,
    ];
  });
  return {
    data: entries,
    text: rows.length ? table(["AT", "ACTION", "BY", "TO", "REASON"], rows) : "no rollout decisions yet",
  };
}
