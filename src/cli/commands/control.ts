import type { RouteStatus, Status } from "../../admin/status.js";
import { CutoverError } from "../../errors/index.js";
import type { RolloutView } from "../../rollout/wire.js";
import { call, type AdminTarget } from "../client.js";
import { table, type CommandResult } from "../output.js";
import type { ReplicasStatus } from "../../replicas/wire.js";
import { rolloutText } from "./rollout.js";

/** status shows routes, weights, upstream health and request counts per target. */
export async function status(admin: AdminTarget): Promise<CommandResult> {
  const s = await call<Status<RolloutView>>(admin, "GET", "/api/status");
  const routes = table(
    ["ROUTE", "WEIGHT", "LEGACY req (5xx)", "CANDIDATE req (5xx)", "MIRROR"],
    s.routes.map((r: RouteStatus) => [
      r.name,
      `${r.weight}%`,
      `${r.requests.legacy.total} (${r.requests.legacy.errors})`,
      `${r.requests.candidate.total} (${r.requests.candidate.errors})`,
      r.mirror ? "yes" : "-",
    ]),
  );
  const ups = table(
    ["UPSTREAM", "STATE", "URL", "CONNECTIONS", "LAST ERROR"],
    s.upstreams.map((u) => [
      u.name,
      u.state,
      u.url,
      String(u.connections.connected),
      u.last_error ? `${u.last_error.code} at ${u.last_error.at}` : "-",
    ]),
  );
  const ro = rolloutText(s.rollout);
  const workers = s.workers.length
    ? "\n\n" +
      table(
        ["WORKER", "PID", "STATE", "RESTARTS", "LAST REPORT"],
        s.workers.map((w) => [
          String(w.slot),
          String(w.pid),
          w.state,
          String(w.restarts),
          w.last_report_ms === null ? "-" : `${w.last_report_ms} ms ago`,
        ]),
      )
    : "";
  // Mirror circuit breakers that ever saw a failure (closed ones without any say nothing).
  const seen = s.mirror_breakers.filter((b) => b.state !== "closed" || b.failures > 0);
  const breakers = seen.length
    ? "\n\n" +
      table(
        ["MIRROR BREAKER", "UPSTREAM", "STATE", "FAILURES (IN A ROW)", "SKIPPED", "OPENED", "LAST FAILURE"],
        seen.map((b) => [
          b.worker === undefined ? b.route : `${b.route} (worker ${b.worker})`,
          b.upstream,
          b.state === "open" ? `open, probe in ${b.probe_in_ms ?? 0} ms` : b.state,
          `${b.failures} (${b.consecutive_failures})`,
          String(b.skipped),
          String(b.opened),
          b.last_failure ? `${b.last_failure.reason} at ${b.last_failure.at}` : "-",
        ]),
      )
    : "";
  return {
    data: s,
    text: `cutover ${s.version} on ${s.listen}, up ${s.uptime_s}s\n\n${routes}\n\n${ups}${workers}${breakers}${replicasText(s.replicas)}\n\n${ro}`,
  };
}

/** Several replicas on one PostgreSQL store: who leads, how each learns of changes, its last report. */
function replicasText(r: ReplicasStatus | null): string {
  if (!r) return "";
  const head =
    `this replica ${r.id}: ${r.leading ? "judges the rollout" : `follows (leader: ${r.leader ?? "none"})`}, ` +
    `epoch ${r.epoch}, changes by ${r.mode}${r.mode_reason ? ` (${r.mode_reason})` : ""}, ` +
    `weights apply ${r.apply_delay_ms} ms after commit`;
  const rows = table(
    ["REPLICA", "HOST", "PID", "MODE", "READ TO", "LEADER", "ALIVE", "LAST HEARTBEAT", "LAST REPORT"],
    r.replicas.map((x) => [
      x.id === r.id ? `${x.id} (this)` : x.id,
      x.host,
      String(x.pid),
      x.mode,
      x.seen_seq === null ? "-" : String(x.seen_seq),
      x.leader ? "yes" : "-",
      x.alive ? "yes" : "gone",
      x.seen_at,
      x.last_report ?? "-",
    ]),
  );
  return `\n\n${head}\n${rows}`;
}

export async function setWeight(
  admin: AdminTarget,
  route: string | undefined,
  weight: string | undefined,
  reason?: string,
): Promise<CommandResult> {
  const w = Number(weight);
  if (!route || weight === undefined || !Number.isFinite(w) || w < 0 || w > 100) {
    throw new CutoverError("CUTOVER_ERR_USAGE", "usage: cutover set-weight ROUTE PERCENT (0–100)");
  }
  const out = await call<{ route: string; weight: number }>(
    admin,
    "PUT",
    `/api/routes/${encodeURIComponent(route)}/weight`,
    { weight: w, reason },
  );
  return { data: out, text: `${out.route}: candidate weight ${out.weight}%` };
}

export async function rollback(admin: AdminTarget, reason?: string): Promise<CommandResult> {
  const out = await call<{ rolled_back: string[] }>(admin, "POST", "/api/rollback", {
    reason: reason ?? "manual rollback from CLI",
  });
  return { data: out, text: `rolled back: every route now sends 100% to legacy (${out.rolled_back.join(", ")})` };
}
