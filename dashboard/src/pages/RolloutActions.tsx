// Promote / pause / resume / roll back, each behind a dialog that says exactly what will happen.
// Roll back is the global one (POST /api/rollback): every route to legacy, with or without a rollout.
import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, type ApiError } from "../api";
import { Dialog } from "../components/Dialog";
import { ErrorBox, words } from "../components/ui";
import { fmtWeight, stageLabel } from "../format";
import type { RolloutOn, RolloutView, RouteStatus, Stage } from "../types";

type Action = "promote" | "pause" | "resume" | "rollback";

interface Plan {
  title: string;
  verb: string;
  tone: "default" | "danger";
  body: string[];
  /** Shown apart: e.g. promoting against the judge's verdict. */
  warning?: string;
}

const at = (s: Stage | undefined): string =>
  s === undefined ? "–" : s === "shadow" ? "shadow (0 %, mirrored)" : `${s} %`;

function promotePlan(ro: RolloutOn): Plan {
  const i = ro.stage.index;
  const next = ro.stages[i + 1];
  const routes = ro.routes.join(", ");
  const body: string[] = [];
  if (next === undefined) {
    body.push(`The rollout completes at its last stage (${at(ro.stages[i])}). Weights stay as they are.`);
  } else {
    body.push(
      `${routes} move${ro.routes.length === 1 ? "s" : ""} from stage ${i + 1} (${at(ro.stages[i])}) to stage ${i + 2} (${at(next)}) at once.`,
    );
    if (next === "shadow") body.push("No user is served by the candidate; requests are mirrored to it.");
    else body.push(`${next} % of users (by bucket) are served by the candidate; the users already on it stay there.`);
    if (i + 1 === ro.stages.length - 1 && next === 100) body.push("This is the last stage: the rollout completes.");
    else body.push("The new stage starts with a fresh window and warm-up; guardrails can still roll it back.");
  }
  const v = ro.verdict;
  const verb = next === undefined ? "Complete" : "Promote";
  const plan: Plan = { title: "Promote the rollout", verb, tone: "default", body };
  if (v && v.outcome !== "promote")
    plan.warning = `The judge's verdict is ${v.outcome}: ${v.reasons[0] ?? ""} Promoting overrides it.`;
  return plan;
}

function planFor(a: Action, view: RolloutView, routes: RouteStatus[]): Plan {
  const ro = view.configured ? view : null;
  if (a === "rollback") {
    const moving = routes.filter((r) => r.weight > 0).map((r) => `${r.name} (${fmtWeight(r.weight)} → 0 %)`);
    const body = [
      "Every route goes to 0 % candidate at once; candidate WebSockets are closed (1001 going away) and their clients reconnect to legacy.",
      moving.length > 0 ? `Routes that change: ${moving.join(", ")}.` : "No route has candidate traffic right now.",
      ro
        ? ro.status === "rolled_back"
          ? "The rollout is already rolled back; it stays so."
          : `The rollout is stopped and marked rolled back; Resume would restart it from the first stage (${stageLabel(ro.stages[0])}).`
        : "No rollout is configured; only the weights change.",
    ];
    return { title: "Roll back everything", verb: "Roll back", tone: "danger", body };
  }
  if (!ro) return { title: "", verb: "", tone: "default", body: [] };
  const cur = `stage ${ro.stage.index + 1} (${at(ro.stage.value ?? undefined)})`;
  if (a === "promote") return promotePlan(ro);
  if (a === "pause")
    return {
      title: "Pause the rollout",
      verb: "Pause",
      tone: "default",
      body: [
        `The rollout stops promoting at ${cur}; candidate weight stays at ${fmtWeight(ro.weight)}.`,
        "Guardrails still act: a rollback verdict while paused still rolls back. Paused time does not count towards the stage's durations.",
      ],
    };
  if (ro.status === "rolled_back")
    return {
      title: "Restart the rollout",
      verb: "Restart",
      tone: "default",
      body: [
        `The rollout restarts from stage 1 (${at(ro.stages[0])}) for ${ro.routes.join(", ")}, with a fresh window and warm-up.`,
        "Evidence gathered before the rollback is not reused.",
      ],
    };
  return {
    title: "Resume the rollout",
    verb: "Resume",
    tone: "default",
    body: [`The rollout continues at ${cur} and the judge may promote again. Time paused does not count.`],
  };
}

export function RolloutActions(props: { view: RolloutView; routes: RouteStatus[]; onDone: (v: RolloutView) => void }) {
  const [open, setOpen] = useState<Action | null>(null);
  const ro = props.view.configured ? props.view : null;
  const allowed = new Set<Action>(["rollback"]);
  if (ro?.status === "running") ["promote", "pause"].forEach((a) => allowed.add(a as Action));
  if (ro?.status === "paused" || ro?.status === "rolled_back") allowed.add("resume");
  const button = (a: Action, label: string, cls = "btn"): JSX.Element => (
    <button type="button" class={cls} disabled={!allowed.has(a)} onClick={() => setOpen(a)} data-action={a}>
      {label}
    </button>
  );
  return (
    <section class="card actions-card" aria-label="Actions">
      <div class="actions-text">
        {ro ? (
          <span>
            Rollout is <strong>{words(ro.status)}</strong> at stage {ro.stage.index + 1} of {ro.stage.count} (
            {stageLabel(ro.stage.value)}).
          </span>
        ) : (
          <span>
            <strong>No rollout is configured</strong>: the config has no <code>rollout:</code> section, so weights are
            set by hand (<code>cutover set-weight</code>). Roll back still sends every route to legacy at once. To move
            routes through stages judged by evidence, add a <code>rollout:</code> section (docs/config.md).
          </span>
        )}
      </div>
      <div class="actions">
        {ro ? (
          <>
            {button("promote", "Promote…", "btn btn-primary")}
            {button("pause", "Pause…")}
            {button("resume", ro.status === "rolled_back" ? "Restart…" : "Resume…")}
          </>
        ) : null}
        {button("rollback", "Roll back…", "btn btn-danger")}
      </div>
      {open ? (
        <ActionDialog
          action={open}
          plan={planFor(open, props.view, props.routes)}
          onClose={() => setOpen(null)}
          onDone={(v) => {
            setOpen(null);
            props.onDone(v);
          }}
        />
      ) : null}
    </section>
  );
}

function ActionDialog(props: { action: Action; plan: Plan; onClose: () => void; onDone: (v: RolloutView) => void }) {
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const { plan, action } = props;
  const submit = async (): Promise<void> => {
    if (busy) return;
    setBusy(true);
    const body = { reason: reason.trim() || `${action} from the dashboard` };
    try {
      if (action === "rollback") {
        await api("POST", "/api/rollback", body);
        props.onDone(await api<RolloutView>("GET", "/api/rollout"));
      } else props.onDone(await api<RolloutView>("POST", `/api/rollout/${action}`, body));
    } catch (err) {
      setError(err as ApiError);
      setBusy(false);
    }
  };
  return (
    <Dialog
      title={plan.title}
      tone={plan.tone}
      onClose={props.onClose}
      onSubmit={() => void submit()}
      actions={
        <>
          <button type="button" class="btn btn-ghost" onClick={props.onClose} data-autofocus>
            Cancel
          </button>
          <button type="submit" class={plan.tone === "danger" ? "btn btn-danger" : "btn btn-primary"} disabled={busy}>
            {busy ? "Working…" : plan.verb}
          </button>
        </>
      }
    >
      {plan.body.map((p, i) => (
        <p key={i} class={i === 0 ? "lead" : undefined}>
          {p}
        </p>
      ))}
      {plan.warning ? <p class="warn-note">{plan.warning}</p> : null}
      <label class="field">
        <span class="field-label">Reason for the audit log</span>
        <input
          class="input"
          type="text"
          value={reason}
          placeholder={`${action} from the dashboard`}
          onInput={(e) => setReason(e.currentTarget.value)}
        />
      </label>
      <ErrorBox error={error} />
    </Dialog>
  );
}
