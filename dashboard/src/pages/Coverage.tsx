// Coverage: per endpoint, what legacy served, what reached the candidate (live or mirrored), what
// was compared and differed, and inventory endpoints nobody called. GET /api/coverage; grouped by
// route, most urgent first — the order of `cutover coverage` and the HTML report
// (src/coverage/present.ts).
import { useMemo, useState } from "preact/hooks";
import { COVERAGE_STATES, coverageLabel, groupCoverage } from "../../../src/coverage/present.js";
import type { CoverageState, CoverageView } from "../../../src/coverage/wire.js";
import { useApiGet } from "../use-api";
import { Badge, Empty, ErrorBox, PageHead, type Tone } from "../components/ui";
import { fmtInt } from "../format";

const TONE: Record<CoverageState, Tone> = {
  not_reached: "bad",
  differing: "warn",
  never_exercised: "muted",
  covered: "ok",
};

export function CoveragePage() {
  const { data, error, loading, load } = useApiGet<CoverageView>("/api/coverage");
  const [state, setState] = useState<CoverageState | "">("");

  const groups = useMemo(
    () => groupCoverage((data?.rows ?? []).filter((r) => state === "" || r.state === state)),
    [data, state],
  );

  return (
    <div class="page page-coverage">
      <PageHead title="Coverage">
        <span class="meta num">{data ? <span>{fmtInt(data.rows.length)} endpoints</span> : null}</span>
        <button type="button" class="btn btn-sm" onClick={() => void load()} disabled={loading}>
          {loading ? "Loading…" : "Refresh"}
        </button>
      </PageHead>
      <ErrorBox error={error} />
      {data ? (
        <ul class="coverage-totals" aria-label="Endpoints by state">
          {COVERAGE_STATES.map((s) => (
            <li key={s.id}>
              <button
                type="button"
                class={`coverage-total${state === s.id ? " coverage-total-active" : ""}`}
                aria-pressed={state === s.id}
                title={s.hint}
                onClick={() => setState(state === s.id ? "" : s.id)}
                data-state={s.id}
              >
                <span class="num coverage-count">{fmtInt(data.totals[s.id])}</span> {s.title}
                <span class="sub">{s.hint}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {data && data.folded > 0 ? (
        <p class="sub">
          {fmtInt(data.folded)} requests were counted under "(other endpoints)": more than {fmtInt(data.limit)}{" "}
          endpoints were seen.
        </p>
      ) : null}
      {!data ? (
        <Empty>{error ? "No coverage." : "Loading…"}</Empty>
      ) : groups.length === 0 ? (
        <Empty>No endpoint {state ? `is ${coverageLabel(state)}` : "known or seen yet"}.</Empty>
      ) : (
        <section class="card">
          <div class="table-wrap">
            <table class="table table-coverage">
              <thead>
                <tr>
                  <th scope="col">endpoint</th>
                  <th scope="col">state</th>
                  <th scope="col" class="r">
                    seen
                  </th>
                  <th scope="col" class="r">
                    candidate
                  </th>
                  <th scope="col" class="r">
                    mirrored
                  </th>
                  <th scope="col" class="r">
                    compared
                  </th>
                  <th scope="col" class="r">
                    differing
                  </th>
                </tr>
              </thead>
              {groups.map((g) => (
                <tbody key={g.route} data-route={g.route}>
                  <tr class="group-row">
                    <th scope="rowgroup" colSpan={7}>
                      route {g.route || "(none)"}
                    </th>
                  </tr>
                  {g.rows.map((r) => (
                    <tr key={r.endpoint} data-endpoint={r.endpoint} data-state={r.state}>
                      <th scope="row">
                        <code class="endpoint">{r.endpoint}</code>
                        {r.inventory ? null : (
                          <span class="sub" title="seen in traffic, not listed by the inventory">
                            {" "}
                            shape
                          </span>
                        )}
                      </th>
                      <td>
                        <Badge tone={TONE[r.state]}>{coverageLabel(r.state)}</Badge>
                      </td>
                      <td class="r num">{fmtInt(r.seen)}</td>
                      <td class="r num">{fmtInt(r.candidate)}</td>
                      <td class="r num">{fmtInt(r.mirrored)}</td>
                      <td class="r num">{fmtInt(r.compared)}</td>
                      <td class="r num">{fmtInt(r.differing)}</td>
                    </tr>
                  ))}
                </tbody>
              ))}
            </table>
          </div>
          <p class="sub">
            Seen: live requests (legacy and candidate). Candidate: live requests the candidate served. Mirrored: copies
            sent to the candidate; compared: those diffed; differing: with a real, unaccepted difference.
          </p>
        </section>
      )}
    </div>
  );
}
