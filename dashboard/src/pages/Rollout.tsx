// Rollout: the stage timeline, the judge's latest verdict with every check, the manual actions and
// the audit log of decisions with their evidence. The view comes from GET /api/rollout and is then
// kept fresh by the live stream (each tick carries it); the audit log reloads when a decision lands.
import { useEffect, useState } from "preact/hooks";
import { api, type ApiError } from "../api";
import { Badge, Empty, ErrorBox, PageHead, outcomeTone, statusTone, words } from "../components/ui";
import { fmtDateTime, fmtDuration, fmtInt, fmtWeight, stageLabel } from "../format";
import { useLive } from "../live";
import type { AuditEntry, RolloutOn, RolloutView, Verdict } from "../types";
import { AuditLog } from "./AuditLog";
import { RolloutActions } from "./RolloutActions";

export function RolloutPage() {
  const live = useLive();
  const [fetched, setFetched] = useState<{ view: RolloutView; at: number } | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [history, setHistory] = useState<AuditEntry[] | null>(null);

  useEffect(() => {
    api<RolloutView>("GET", "/api/rollout").then(
      (view) => setFetched({ view, at: Date.now() }),
      (e: unknown) => setError(e as ApiError),
    );
  }, []);
  // Whichever is newer: the view fetched (or answered by an action), or the last tick's copy.
  const view: RolloutView | null =
    live.status && live.lastTick > (fetched?.at ?? 0) ? live.status.rollout : (fetched?.view ?? null);
  const ro = view?.configured ? view : null;
  const last = ro?.history[ro.history.length - 1];
  // Reload the log when a decision lands (the stream carries the latest ones) or after an action.
  const historyKey = ro
    ? `${ro.id}:${ro.history.length}:${last?.at ?? 0}:${last?.action ?? ""}`
    : view
      ? `none:${fetched?.at ?? 0}`
      : "";

  useEffect(() => {
    if (!historyKey) return;
    // Without a rollout there is no rollout history: show the whole audit log (weights, rollbacks).
    const path = historyKey.startsWith("none:") ? "/api/audit?limit=50" : "/api/rollout/history";
    api<AuditEntry[]>("GET", path).then(setHistory, (e: unknown) => setError(e as ApiError));
  }, [historyKey]);

  return (
    <div class="page">
      <PageHead title="Rollout">
        {ro ? (
          <span class="meta num">
            <span>
              id <code>{ro.id}</code>
            </span>
            <span>routes {ro.routes.join(", ")}</span>
            <span>promote: {ro.promote}</span>
            <span>started {fmtDateTime(ro.started_at)}</span>
          </span>
        ) : null}
      </PageHead>
      <ErrorBox error={error} />
      {!view ? (
        <Empty>Loading the rollout…</Empty>
      ) : (
        <>
          <RolloutActions
            view={view}
            routes={live.status?.routes ?? []}
            onDone={(v) => setFetched({ view: v, at: Date.now() })}
          />
          {ro ? (
            <>
              <Timeline ro={ro} now={live.lastTick || Date.now()} />
              <VerdictCard v={ro.verdict} settled={ro.status === "rolled_back" || ro.status === "completed"} />
            </>
          ) : null}
          <AuditLog entries={history} rollout={ro !== null} />
        </>
      )}
    </div>
  );
}

function Timeline({ ro, now }: { ro: RolloutOn; now: number }) {
  const warming = ro.status === "running" && ro.warmup_until > now;
  return (
    <section class="card" aria-labelledby="stages-title">
      <div class="card-head">
        <h2 id="stages-title">Stages</h2>
        <span class="head-badges">
          <Badge tone={statusTone(ro.status)}>{words(ro.status)}</Badge>
          {ro.awaiting_promotion ? <Badge tone="accent">awaiting manual promote</Badge> : null}
          {warming ? <Badge tone="muted">warming up</Badge> : null}
        </span>
      </div>
      <ol class="timeline" data-status={ro.status}>
        {ro.stages.map((s, i) => {
          const state =
            ro.status === "completed" || i < ro.stage.index
              ? "done"
              : i === ro.stage.index
                ? ro.status === "rolled_back"
                  ? "failed"
                  : "current"
                : "todo";
          return (
            <li key={i} class={`step step-${state}`} aria-current={state === "current" ? "step" : undefined}>
              <span class="step-dot" aria-hidden="true" />
              <span class="step-label num">{stageLabel(s)}</span>
              <span class="step-sub">
                stage {i + 1}
                {state === "current" ? " · now" : state === "failed" ? " · rolled back here" : ""}
              </span>
            </li>
          );
        })}
      </ol>
      <dl class="facts num">
        <div>
          <dt>candidate weight</dt>
          <dd data-field="rollout-weight">{fmtWeight(ro.weight)}</dd>
        </div>
        <div>
          <dt>mirroring</dt>
          <dd>{ro.mirroring ? "on (shadow)" : "off"}</dd>
        </div>
        <div>
          <dt>stage started</dt>
          <dd>
            {fmtDateTime(ro.stage_started_at)}
            {ro.status === "running" || ro.status === "paused" ? (
              <span class="sub"> ({fmtDuration(now - ro.stage_started_at)} ago)</span>
            ) : null}
          </dd>
        </div>
        <div>
          <dt>warm-up until</dt>
          <dd>{fmtDateTime(ro.warmup_until)}</dd>
        </div>
      </dl>
    </section>
  );
}

function VerdictCard({ v, settled }: { v: Verdict | null; settled: boolean }) {
  return (
    <section class="card" aria-labelledby="verdict-title">
      <div class="card-head">
        <h2 id="verdict-title">{settled ? "Last verdict" : "Verdict"}</h2>
        {v ? (
          <span class="head-badges num">
            <Badge tone={outcomeTone(v.outcome)}>{v.outcome}</Badge>
            <span class="sub">
              stage {v.stage.index + 1} ({stageLabel(v.stage.value)}) · judged {fmtDuration(v.elapsedMs)} ·{" "}
              {fmtInt(v.candidateRequests)} of {fmtInt(v.minRequests)} candidate requests
              {v.eta && v.outcome === "hold" && !settled ? ` · could pass in ~${fmtDuration(v.eta.ms)}` : ""}
            </span>
          </span>
        ) : null}
      </div>
      {!v ? (
        <Empty>No verdict yet: the judge evaluates the stage after its warm-up.</Empty>
      ) : (
        <>
          {settled ? (
            <p class="note">The rollout is no longer judged; this is the judge's last verdict before it stopped.</p>
          ) : null}
          <ul class="reasons">
            {v.reasons.map((r, i) => (
              <li key={i}>{r}</li>
            ))}
          </ul>
          {v.checks.length > 0 ? (
            <div class="table-wrap">
              <table class="table table-checks">
                <thead>
                  <tr>
                    <th scope="col">check</th>
                    <th scope="col">route</th>
                    <th scope="col">kind</th>
                    <th scope="col">status</th>
                    <th scope="col">summary</th>
                  </tr>
                </thead>
                <tbody>
                  {v.checks.map((c, i) => (
                    <tr key={i} data-check={c.name}>
                      <td>
                        <code>{c.name}</code>
                      </td>
                      <td>{c.route ?? <span class="sub">all</span>}</td>
                      <td>
                        {c.kind}
                        {c.kind === "gate" && !c.gating ? <span class="sub"> (not gating)</span> : null}
                      </td>
                      <td>
                        <Badge tone={statusTone(c.status)}>{c.status}</Badge>
                      </td>
                      <td class="summary">{c.summary}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {v.examples.length > 0 ? (
            <p class="sub examples">
              Example requests:{" "}
              {v.examples.map((id) => (
                <code key={id}>{id}</code>
              ))}
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}
