// The audit log of the rollout's decisions (GET /api/rollout/history), newest first, each with its
// evidence: the reasons, the numbers of the checks that decided, and example request ids.
import { Badge, Empty, words, type Tone } from "../components/ui";
import { fmtDateTime, fmtNumber, fmtWeight, stageLabel } from "../format";
import type { AuditEntry, StageRef } from "../types";

const ACTION_TONE: Record<string, Tone> = {
  rollback: "bad",
  promote: "ok",
  complete: "ok",
  start: "info",
  restart: "info",
  pause: "warn",
  resume: "info",
  timeout: "warn",
  awaiting_promotion: "accent",
};

const stage = (s: StageRef | undefined): string => (s ? `stage ${s.index + 1} (${stageLabel(s.stage)})` : "–");

/** "stage 1 (10 %) → stage 2 (50 %)", or "stage 1: 10 % → 0 %" when only the weight moved. */
function move(from: StageRef | undefined, to: StageRef | undefined): string {
  if (!from || !to) return stage(to ?? from);
  if (from.index !== to.index) return `${stage(from)} → ${stage(to)}`;
  if (from.weight !== to.weight) return `stage ${to.index + 1}: ${fmtWeight(from.weight)} → ${fmtWeight(to.weight)}`;
  return stage(to);
}

export function AuditLog({ entries, rollout }: { entries: AuditEntry[] | null; rollout: boolean }) {
  return (
    <section class="card" aria-labelledby="audit-title">
      <div class="card-head">
        <h2 id="audit-title">Audit log</h2>
        <span class="hint">
          {rollout ? "every decision of the rollout with its evidence" : "weight changes, rollbacks and accepts"},
          newest first
        </span>
      </div>
      {!entries ? (
        <Empty>Loading…</Empty>
      ) : entries.length === 0 ? (
        <Empty>No decision yet.</Empty>
      ) : (
        <ol class="audit">
          {entries.map((e, i) => (
            <AuditItem key={e.id ?? i} e={e} open={i === 0} />
          ))}
        </ol>
      )}
    </section>
  );
}

/** "same 25 % → 0 %, api 10 % → 0 %": the routes whose weight changed. */
function weightMoves(now?: Record<string, number>, before?: Record<string, number>): string {
  return Object.entries(now ?? {})
    .filter(([r, w]) => before?.[r] !== w)
    .map(([r, w]) => `${r} ${fmtWeight(before?.[r] ?? 0)} → ${fmtWeight(w)}`)
    .join(", ");
}

function AuditItem({ e, open }: { e: AuditEntry; open: boolean }) {
  const d = e.detail ?? {};
  const numbers = Object.entries(d.numbers ?? {});
  const reasons = (d.reasons ?? []).filter((r) => r !== e.reason);
  const examples = d.examples ?? [];
  const hasEvidence = reasons.length > 0 || numbers.length > 0 || examples.length > 0;
  return (
    <li class="audit-item" data-action={e.action}>
      <div class="audit-line">
        <time class="num sub" dateTime={new Date(e.at).toISOString()}>
          {fmtDateTime(e.at)}
        </time>
        <Badge tone={ACTION_TONE[e.action] ?? "muted"}>{words(e.action)}</Badge>
        <span class="audit-actor">by {e.actor}</span>
        <span class="audit-move num">
          {d.from || d.to ? move(d.from, d.to) : weightMoves(d.weights, d.previous) || e.subject}
          {d.status ? ` · ${words(d.status)}` : ""}
        </span>
      </div>
      <p class="audit-reason">{e.reason}</p>
      {hasEvidence ? (
        <details class="evidence" open={open}>
          <summary>Evidence</summary>
          {reasons.length > 0 ? (
            <ul class="reasons">
              {reasons.map((r, i) => (
                <li key={i}>{r}</li>
              ))}
            </ul>
          ) : null}
          {numbers.length > 0 ? (
            <dl class="numbers num">
              {numbers.map(([k, v]) => (
                <div key={k}>
                  <dt>
                    <code>{k}</code>
                  </dt>
                  <dd>{fmtNumber(v)}</dd>
                </div>
              ))}
            </dl>
          ) : null}
          {examples.length > 0 ? (
            <p class="sub examples">
              Example requests:{" "}
              {examples.map((id) => (
                <code key={id}>{id}</code>
              ))}
            </p>
          ) : null}
        </details>
      ) : null}
    </li>
  );
}
