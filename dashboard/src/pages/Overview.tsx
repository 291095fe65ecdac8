// Overview: legacy vs candidate right now, the last ten minutes as charts, and every route with
// its stage, weight, mirror, verdict and coverage. Everything here comes from the live stream.
import { useMemo } from "preact/hooks";
import { Chart, COLORS } from "../components/Chart";
import { Empty, PageHead } from "../components/ui";
import { fmtDuration, fmtInt, fmtMs, fmtPct, fmtRps } from "../format";
import { useLive } from "../live";
import type { LivePoint, SidePoint, TargetName } from "../types";
import { RoutesTable } from "./RoutesTable";

type Cols = [number[], (number | null)[], (number | null)[]];

/** Chart columns; `busyOnly` leaves a gap for seconds without requests (no latency is not 0 ms). */
function columns(series: LivePoint[], pick: (p: SidePoint) => number, busyOnly = false): Cols {
  const v = (s: SidePoint): number | null => (busyOnly && s.rps === 0 ? null : pick(s));
  return [series.map((p) => p.t / 1000), series.map((p) => v(p.legacy)), series.map((p) => v(p.candidate))];
}

const axisMs = (v: number): string => (v >= 1000 ? `${+(v / 1000).toFixed(1)} s` : `${+v.toFixed(1)} ms`);
const axisPct = (v: number): string => `${+(v * 100).toFixed(2)} %`;
const axisN = (v: number): string => (v >= 1000 ? `${+(v / 1000).toFixed(1)}k` : `${+v.toFixed(1)}`);

export function Overview() {
  const { series, status, findings } = useLive();
  const charts = useMemo(
    () => ({
      rps: columns(series, (s) => s.rps),
      p95: columns(series, (s) => s.p95, true),
      err: columns(series, (s) => s.error_rate),
    }),
    [series],
  );
  const last = series[series.length - 1];
  return (
    <div class="page">
      <PageHead title="Overview">
        {status ? (
          <span class="meta num">
            <span>v{status.version}</span>
            <span>
              gateway <code>{status.listen}</code>
            </span>
            <span>{fmtInt(findings?.compared ?? 0)} mirrored requests compared</span>
            <span>up {fmtDuration(status.uptime_s * 1000)}</span>
          </span>
        ) : null}
      </PageHead>

      <section class="card" aria-labelledby="now-title">
        <div class="card-head">
          <h2 id="now-title">Legacy vs candidate</h2>
          <span class="hint">last complete second; totals since the gateway started</span>
        </div>
        <table class="table table-kpi num">
          <thead>
            <tr>
              <th scope="col">target</th>
              <th scope="col">req/s</th>
              <th scope="col">error rate</th>
              <th scope="col">p50</th>
              <th scope="col">p95</th>
              <th scope="col">p99</th>
              <th scope="col">requests</th>
              <th scope="col">5xx</th>
            </tr>
          </thead>
          <tbody>
            {(["legacy", "candidate"] as const).map((t) => (
              <KpiRow key={t} target={t} point={last?.[t]} totals={totals(status?.routes ?? [], t)} />
            ))}
          </tbody>
        </table>
      </section>

      <div class="chart-grid">
        <Chart
          title="Requests/s"
          label="Requests per second, legacy and candidate"
          data={charts.rps}
          format={fmtRps}
          axis={axisN}
        />
        <Chart
          title="p95 latency"
          label="p95 latency, legacy and candidate"
          data={charts.p95}
          format={fmtMs}
          axis={axisMs}
          minMax={5}
        />
        <Chart
          title="5xx rate"
          label="Share of requests answered 5xx, legacy and candidate"
          data={charts.err}
          format={(v) => fmtPct(v, 1)}
          axis={axisPct}
          minMax={0.01}
        />
      </div>

      <section class="card" aria-labelledby="routes-title">
        <div class="card-head">
          <h2 id="routes-title">Routes</h2>
          <span class="hint">
            in config order (first match wins); requests and 5xx per target since the gateway started
          </span>
        </div>
        {status ? <RoutesTable status={status} findings={findings} /> : <Empty>Waiting for the first status…</Empty>}
      </section>
    </div>
  );
}

function totals(routes: { requests: Record<TargetName, { total: number; errors: number }> }[], t: TargetName) {
  let total = 0;
  let errors = 0;
  for (const r of routes) {
    total += r.requests[t].total;
    errors += r.requests[t].errors;
  }
  return { total, errors };
}

function KpiRow(props: {
  target: TargetName;
  point: SidePoint | undefined;
  totals: { total: number; errors: number };
}) {
  const p = props.point;
  return (
    <tr data-target={props.target}>
      <th scope="row">
        <span class="swatch" style={{ background: COLORS[props.target] }} aria-hidden="true" />
        {props.target}
      </th>
      <td data-metric="rps">{p ? fmtRps(p.rps) : "–"}</td>
      <td data-metric="error_rate">{p ? fmtPct(p.error_rate) : "–"}</td>
      <td data-metric="p50">{p?.rps ? fmtMs(p.p50) : "–"}</td>
      <td data-metric="p95">{p?.rps ? fmtMs(p.p95) : "–"}</td>
      <td data-metric="p99">{p?.rps ? fmtMs(p.p99) : "–"}</td>
      <td data-metric="total">{fmtInt(props.totals.total)}</td>
      <td data-metric="errors">{fmtInt(props.totals.errors)}</td>
    </tr>
  );
}
