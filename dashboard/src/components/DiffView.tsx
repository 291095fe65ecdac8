// One example of a finding side by side: legacy's answer and the candidate's, status, headers and
// body, with every part a difference names highlighted on both sides.
import type { Difference, Example, ResponseSummary } from "../types";
import { Body } from "./Body";
import { COLORS } from "./Chart";

export interface Marks {
  status: boolean;
  whole: boolean;
  headers: Set<string>;
  legacy: Set<string>;
  candidate: Set<string>;
}

/** marks turns an example's differences into what to highlight on each side. */
export function marks(diffs: readonly Difference[]): Marks {
  const m: Marks = { status: false, whole: false, headers: new Set(), legacy: new Set(), candidate: new Set() };
  for (const d of diffs) {
    const p = d.path;
    if (p === "status") m.status = true;
    else if (p.startsWith("header:")) m.headers.add(p.slice("header:".length).toLowerCase());
    else if (p.startsWith("$")) {
      m.legacy.add(p);
      m.candidate.add(p);
      // field_renamed names legacy's key; its detail says "old → new": mark the new key too.
      const renamed = d.kind === "field_renamed" ? /→\s*(.+)$/.exec(d.detail ?? "") : null;
      const to = renamed?.[1]?.trim();
      if (to) m.candidate.add(p.replace(/(\.[A-Za-z_][A-Za-z0-9_]*|\["(?:[^"\\]|\\.)*"\])$/, "") + dot(to));
    } else m.whole = true; // body, sse[…], upstream: the body as a whole
  }
  return m;
}

const dot = (k: string): string => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`);

export function DiffView({ example }: { example: Example }) {
  const m = marks(example.differences);
  return (
    <div class="compare">
      <Side name="legacy" r={example.legacy} m={m} marked={m.legacy} />
      <Side name="candidate" r={example.candidate} m={m} marked={m.candidate} />
    </div>
  );
}

function Side(props: { name: "legacy" | "candidate"; r: ResponseSummary; m: Marks; marked: Set<string> }) {
  const { name, r, m } = props;
  const headers = Object.entries(r.headers).sort(([a], [b]) => a.localeCompare(b));
  return (
    <section class="side" aria-label={`${name} answer`} data-side={name}>
      <h4 class="side-head">
        <span class="swatch" style={{ background: COLORS[name] }} aria-hidden="true" />
        {name}
        <span class="sub num">{r.totalMs.toFixed(1)} ms</span>
      </h4>
      <div class={`status-line num${m.status ? " marked" : ""}`} data-marked={m.status ? "true" : undefined}>
        <span class="sub">status</span> <strong>{r.status || "–"}</strong>
        {r.error ? <code class="error-code">{r.error}</code> : null}
      </div>
      <details class="headers" open={m.headers.size > 0}>
        <summary>
          {headers.length} header{headers.length === 1 ? "" : "s"}
          {m.headers.size > 0 ? <span class="marked-note"> · {m.headers.size} differ</span> : null}
        </summary>
        <table class="table table-headers">
          <tbody>
            {headers.map(([k, v]) => {
              const hit = m.headers.has(k.toLowerCase());
              const value = Array.isArray(v) ? v.join(", ") : v;
              return (
                <tr key={k} class={hit ? "marked" : undefined} data-marked={hit ? "true" : undefined}>
                  <th scope="row">{k}</th>
                  <td class={value === "[redacted]" ? "redacted-cell" : undefined}>
                    {value === "[redacted]" ? <span class="redacted">[redacted]</span> : value}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </details>
      <Body r={r} marked={props.marked} whole={m.whole} />
    </section>
  );
}
