// Small shared pieces: badges, notes, the error box.
import type { ComponentChildren } from "preact";
import type { ApiError } from "../api";

export type Tone = "ok" | "warn" | "bad" | "info" | "muted" | "accent";

export function Badge({ tone, children, title }: { tone: Tone; children: ComponentChildren; title?: string }) {
  return (
    <span class={`badge badge-${tone}`} title={title}>
      {children}
    </span>
  );
}

const OUTCOME_TONE: Record<string, Tone> = { promote: "ok", hold: "warn", rollback: "bad" };
export const outcomeTone = (o: string): Tone => OUTCOME_TONE[o] ?? "muted";

const STATUS_TONE: Record<string, Tone> = {
  running: "info",
  paused: "warn",
  rolled_back: "bad",
  completed: "ok",
  pass: "ok",
  fail: "bad",
  inconclusive: "warn",
  healthy: "ok",
  unhealthy: "bad",
  unknown: "muted",
};
export const statusTone = (s: string): Tone => STATUS_TONE[s] ?? "muted";

/** "rolled_back" → "rolled back". */
export const words = (s: string): string => s.replace(/_/g, " ");

export function ErrorBox({ error }: { error: ApiError | Error | null }) {
  if (!error) return null;
  const code = "code" in error ? error.code : null;
  return (
    <div class="error-box" role="alert">
      {code ? <code class="error-code">{code}</code> : null}
      <span>{error.message}</span>
    </div>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function PageHead({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <header class="page-head">
      <h1>{title}</h1>
      <div class="page-head-side">{children}</div>
    </header>
  );
}
