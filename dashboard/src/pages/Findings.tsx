// Findings: every difference group from GET /api/findings (noise and accepted ones included, shown
// apart), filtered by route, kind and text; the selected one opens beside the list.
import { useMemo, useState } from "preact/hooks";
import { useApiGet } from "../use-api";
import { Badge, Empty, ErrorBox, PageHead } from "../components/ui";
import { fmtDateTime, fmtInt, fmtTime } from "../format";
import { useLive } from "../live";
import { hrefOf, navigate } from "../nav";
import type { Finding, FindingsResponse } from "../types";
import { FindingDetail } from "./FindingDetail";
import {
  fmtRate,
  groupByEndpoint,
  kindLabel,
  matches,
  noiseLabel,
  sectionOf,
  type Filter,
  type Section,
} from "./findings-util";

const SECTIONS: { id: Section; title: string; hint: string }[] = [
  { id: "open", title: "Open", hint: "real differences nobody has accepted" },
  { id: "accepted", title: "Accepted", hint: "intended differences, with the reason given" },
  { id: "noise", title: "Noise", hint: "values that vary by themselves; never counted" },
];

export function FindingsPage({ selected }: { selected: string | null }) {
  const { data, error, loading, load } = useApiGet<FindingsResponse>("/api/findings?noise=1&accepted=1&examples=1");
  const [flt, setFlt] = useState<Filter>({ route: "", kind: "", noise: false, q: "" });

  const all = useMemo(() => data?.findings ?? [], [data]);
  const routes = useMemo(() => [...new Set(all.map((f) => f.routeName))].sort(), [all]);
  const kinds = useMemo(() => [...new Set(all.map((f) => f.kind))].sort(), [all]);
  const shown = useMemo(() => all.filter((f) => matches(f, flt)), [all, flt]);
  const current = all.find((f) => f.id === selected) ?? null;
  const set = (patch: Partial<Filter>): void => setFlt((f) => ({ ...f, ...patch }));

  return (
    <div class="page page-findings">
      <PageHead title="Findings">
        <span class="meta num">
          {data ? <span>{fmtInt(data.compared)} mirrored requests compared</span> : null}
          {data ? <NewSince compared={data.compared} /> : null}
        </span>
        <button type="button" class="btn btn-sm" onClick={() => void load()} disabled={loading}>
          {loading ? "Loading…" : "Refresh"}
        </button>
      </PageHead>
      <ErrorBox error={error} />
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label class="field field-inline">
          <span class="field-label">Route</span>
          <select class="input" value={flt.route} onChange={(e) => set({ route: e.currentTarget.value })}>
            <option value="">all routes</option>
            {routes.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label class="field field-inline">
          <span class="field-label">Kind</span>
          <select class="input" value={flt.kind} onChange={(e) => set({ kind: e.currentTarget.value })}>
            <option value="">all kinds</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {kindLabel(k)}
              </option>
            ))}
          </select>
        </label>
        <label class="field field-grow">
          <span class="sr-only">Search findings</span>
          <input
            class="input"
            type="search"
            placeholder="Search path, template, kind, id…"
            value={flt.q}
            onInput={(e) => set({ q: e.currentTarget.value })}
          />
        </label>
        <label class="check">
          <input type="checkbox" checked={flt.noise} onChange={(e) => set({ noise: e.currentTarget.checked })} />
          include noise
        </label>
      </form>
      <div class="master-detail">
        <div class="list-pane" aria-label="Findings list">
          {!data ? (
            <Empty>{error ? "Could not load findings." : "Loading findings…"}</Empty>
          ) : shown.length === 0 ? (
            <Empty>{all.length === 0 ? "No differences found yet." : "Nothing matches the filter."}</Empty>
          ) : (
            SECTIONS.map((s) => (
              <FindingSection
                key={s.id}
                title={s.title}
                hint={s.hint}
                items={shown.filter((f) => sectionOf(f) === s.id)}
                selected={selected}
              />
            ))
          )}
        </div>
        <div class="detail-pane">
          {current ? (
            <FindingDetail key={current.id} f={current} onChanged={() => void load()} />
          ) : (
            <Empty>
              {selected && data ? `No finding ${selected}.` : "Select a finding to see an example side by side."}
            </Empty>
          )}
        </div>
      </div>
    </div>
  );
}

/** Comparisons made since the list was loaded, from the live stream (the list itself stays still). */
function NewSince({ compared }: { compared: number }) {
  const live = useLive();
  const n = live.findings ? live.findings.compared - compared : 0;
  return n > 0 ? <span class="accent-text">{fmtInt(n)} more since loaded</span> : null;
}

function FindingSection(props: { title: string; hint: string; items: Finding[]; selected: string | null }) {
  if (props.items.length === 0) return null;
  const id = `sec-${props.title.toLowerCase()}`;
  return (
    <section class="list-section" aria-labelledby={id}>
      <h2 id={id} class="list-section-title">
        {props.title} <span class="count num">{props.items.length}</span>
        <span class="sub"> · {props.hint}</span>
      </h2>
      {groupByEndpoint(props.items).map((g) => (
        <div key={g.key} class="group">
          <h3 class="group-title">
            <code>{g.endpoint}</code> <span class="sub">route {g.routeName}</span>
          </h3>
          <ul class="finding-list">
            {g.items.map((f) => (
              <FindingRow key={f.id} f={f} active={f.id === props.selected} />
            ))}
          </ul>
        </div>
      ))}
    </section>
  );
}

function FindingRow({ f, active }: { f: Finding; active: boolean }) {
  return (
    <li>
      <a
        href={hrefOf("findings", f.id)}
        class={`finding${active ? " finding-active" : ""}`}
        aria-current={active ? "true" : undefined}
        data-finding={f.id}
        onClick={(e) => {
          if (active) {
            e.preventDefault();
            navigate("findings");
          }
        }}
      >
        <span class="finding-main">
          <Badge tone={f.noise === "real" ? (f.accepted ? "ok" : "bad") : "muted"}>{kindLabel(f.kind)}</Badge>
          <code class="path">{f.groupPath}</code>
        </span>
        <span class="finding-meta num">
          <span title="rate of mirrored requests on this route, 95 % confidence interval">{fmtRate(f.rate)}</span>
          <span>{fmtInt(f.count)} req</span>
          <span title={`first seen ${fmtDateTime(f.firstSeen)}, last seen ${fmtDateTime(f.lastSeen)}`}>
            {fmtTime(f.firstSeen)} → {fmtTime(f.lastSeen)}
          </span>
          {f.noise !== "real" ? <span>{noiseLabel(f.noise)}</span> : null}
        </span>
      </a>
    </li>
  );
}
