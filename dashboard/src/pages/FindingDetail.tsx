// One finding: what differs, how often, its examples side by side, and accepting it with a reason.
import { useState } from "preact/hooks";
import { api, type ApiError } from "../api";
import { Dialog } from "../components/Dialog";
import { DiffView } from "../components/DiffView";
import { Badge, ErrorBox } from "../components/ui";
import { fmtDateTime, fmtInt, fmtTime } from "../format";
import type { Example, Finding } from "../types";
import { fmtRate, kindLabel, noiseLabel, noiseTone } from "./findings-util";

const sameDay = (a: number, b: number): boolean => new Date(a).toDateString() === new Date(b).toDateString();

export function FindingDetail({ f, onChanged }: { f: Finding; onChanged: () => void }) {
  const [exIdx, setExIdx] = useState(0);
  const [accepting, setAccepting] = useState(false);
  const ex = f.examples[Math.min(exIdx, f.examples.length - 1)];
  return (
    <article class="detail card" aria-labelledby="finding-title" data-finding={f.id}>
      <header class="detail-head">
        <div>
          <h2 id="finding-title" class="detail-title">
            <Badge tone="accent">{kindLabel(f.kind)}</Badge> <code class="path">{f.groupPath}</code>
          </h2>
          <p class="sub">
            route <strong>{f.routeName}</strong> · <code>{f.template}</code> · id <code>{f.id}</code>
          </p>
        </div>
        <div class="detail-actions">
          {f.accepted ? (
            <Badge tone="ok">accepted</Badge>
          ) : (
            <button type="button" class="btn" onClick={() => setAccepting(true)}>
              Accept…
            </button>
          )}
        </div>
      </header>
      <dl class="facts num">
        <div>
          <dt>rate (95 % CI)</dt>
          <dd>{fmtRate(f.rate)}</dd>
        </div>
        <div>
          <dt>requests</dt>
          <dd>{fmtInt(f.count)}</dd>
        </div>
        <div>
          <dt>first → last seen</dt>
          <dd title={`${fmtDateTime(f.firstSeen)} → ${fmtDateTime(f.lastSeen)}`}>
            {fmtDateTime(f.firstSeen)} →{" "}
            {sameDay(f.firstSeen, f.lastSeen) ? fmtTime(f.lastSeen) : fmtDateTime(f.lastSeen)}
          </dd>
        </div>
        <div>
          <dt>class</dt>
          <dd>
            <Badge tone={noiseTone(f.noise)}>{noiseLabel(f.noise)}</Badge>
            {f.noiseReason ? <span class="sub"> {f.noiseReason}</span> : null}
          </dd>
        </div>
      </dl>
      {f.accepted ? (
        <p class="note note-ok">
          Accepted by <strong>{f.accepted.by}</strong> on {fmtDateTime(f.accepted.at)}: “{f.accepted.reason}”
        </p>
      ) : null}

      {f.examples.length > 1 ? (
        <div class="seg" role="group" aria-label="Examples">
          {f.examples.map((e, i) => (
            <button
              key={e.exchangeId}
              type="button"
              class={`seg-btn${i === exIdx ? " seg-active" : ""}`}
              aria-pressed={i === exIdx}
              onClick={() => setExIdx(i)}
            >
              Example {i + 1}
            </button>
          ))}
        </div>
      ) : null}
      {ex ? <ExampleView ex={ex} /> : <p class="empty">No example was stored for this finding.</p>}
      {accepting ? (
        <AcceptDialog
          f={f}
          onClose={() => setAccepting(false)}
          onDone={() => {
            setAccepting(false);
            onChanged();
          }}
        />
      ) : null}
    </article>
  );
}

function ExampleView({ ex }: { ex: Example }) {
  const reqHeaders = Object.entries(ex.requestHeaders);
  return (
    <div class="example">
      <p class="request-line">
        <code>
          {ex.method} {ex.path}
        </code>
        <span class="sub num">
          {fmtDateTime(ex.at)} · request <code>{ex.exchangeId}</code>
        </span>
      </p>
      {ex.masked.length > 0 ? (
        <p class="note">
          <span class="redacted">[redacted]</span> before storage: {ex.masked.join(", ")}
        </p>
      ) : null}
      <details class="headers">
        <summary>{reqHeaders.length} request headers</summary>
        <table class="table table-headers">
          <tbody>
            {reqHeaders.map(([k, v]) => {
              const value = Array.isArray(v) ? v.join(", ") : v;
              return (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td>{value === "[redacted]" ? <span class="redacted">[redacted]</span> : value}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </details>
      <table class="table table-diffs">
        <thead>
          <tr>
            <th scope="col">difference</th>
            <th scope="col">path</th>
            <th scope="col">legacy</th>
            <th scope="col">candidate</th>
          </tr>
        </thead>
        <tbody>
          {ex.differences.map((d, i) => (
            <tr key={i}>
              <td>{kindLabel(d.kind)}</td>
              <td>
                <code class="path">{d.path}</code>
                {d.detail ? <span class="sub"> {d.detail}</span> : null}
              </td>
              <td class="val">{d.legacy ?? <span class="sub">absent</span>}</td>
              <td class="val">{d.candidate ?? <span class="sub">absent</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <DiffView example={ex} />
    </div>
  );
}

function AcceptDialog(props: { f: Finding; onClose: () => void; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (): Promise<void> => {
    if (!reason.trim() || busy) return;
    setBusy(true);
    try {
      await api("POST", `/api/findings/${encodeURIComponent(props.f.id)}/accept`, { reason: reason.trim() });
      props.onDone();
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };
  return (
    <Dialog
      title="Accept this difference"
      onClose={props.onClose}
      onSubmit={() => void submit()}
      actions={
        <>
          <button type="button" class="btn btn-ghost" onClick={props.onClose}>
            Cancel
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy || !reason.trim()}>
            {busy ? "Accepting…" : "Accept"}
          </button>
        </>
      }
    >
      <p>
        <strong>{kindLabel(props.f.kind)}</strong> at <code>{props.f.groupPath}</code> on{" "}
        <code>{props.f.template}</code> will be marked as intended: it no longer counts towards the route's differing
        rate in findings and the parity report, and stays listed under “Accepted” with your reason. The audit log
        records who accepted it.
      </p>
      <label class="field">
        <span class="field-label">Reason (required)</span>
        <textarea
          class="input"
          rows={3}
          value={reason}
          data-autofocus
          placeholder="e.g. renamed on purpose in v2"
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <ErrorBox error={error} />
    </Dialog>
  );
}
