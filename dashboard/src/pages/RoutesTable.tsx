// Every route: template, stage and candidate weight, mirror, the rollout's verdict and its first
// reason (routes under the rollout), requests per target, and coverage: how much candidate
// evidence the route has (requests served by the candidate, mirrored requests compared).
import { Badge, outcomeTone, words } from "../components/ui";
import { fmtInt, fmtPct, fmtWeight, stageLabel } from "../format";
import { hrefOf } from "../nav";
import type { FindingsSummary, RouteStatus, Status } from "../types";

interface Parity {
  mirrored: number;
  differing: number;
  real: number;
  noise: number;
}

function parityByRoute(f: FindingsSummary | null): Map<string, Parity> {
  const out = new Map<string, Parity>();
  for (const r of f?.routes ?? []) {
    const p = out.get(r.routeName) ?? { mirrored: 0, differing: 0, real: 0, noise: 0 };
    p.mirrored += r.mirrored;
    p.differing += r.differing;
    p.real += r.findings.real;
    p.noise += r.findings.noise;
    out.set(r.routeName, p);
  }
  return out;
}

export function RoutesTable({ status, findings }: { status: Status; findings: FindingsSummary | null }) {
  const parity = parityByRoute(findings);
  const ro = status.rollout.configured ? status.rollout : null;
  return (
    <div class="table-wrap">
      <table class="table table-routes">
        <colgroup>
          <col style={{ width: "17%" }} />
          <col style={{ width: "15%" }} />
          <col style={{ width: "7%" }} />
          <col />
          <col style={{ width: "10%" }} />
          <col style={{ width: "10%" }} />
          <col style={{ width: "17%" }} />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">route</th>
            <th scope="col">stage · weight</th>
            <th scope="col">mirror</th>
            <th scope="col">verdict</th>
            <th scope="col" class="r" title="requests answered since the gateway started, and how many were 5xx">
              legacy
            </th>
            <th scope="col" class="r" title="requests answered since the gateway started, and how many were 5xx">
              candidate
            </th>
            <th scope="col">coverage</th>
          </tr>
        </thead>
        <tbody>
          {status.routes.map((r) => (
            <RouteRow
              key={r.name}
              r={r}
              parity={parity.get(r.name)}
              inRollout={ro?.routes.includes(r.name) ?? false}
              ro={ro}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RouteRow(props: {
  r: RouteStatus;
  parity: Parity | undefined;
  inRollout: boolean;
  ro: Extract<Status["rollout"], { configured: true }> | null;
}) {
  const { r, parity, inRollout, ro } = props;
  const verdict = inRollout ? ro?.verdict : null;
  const methods = r.methods ? r.methods.join(", ") : "any method";
  const cand = r.requests.candidate;
  const leg = r.requests.legacy;
  return (
    <tr data-route={r.name}>
      <th scope="row" class="route-cell">
        <span class="route-name" data-field="name">
          {r.name}
        </span>
        <span class="route-path">
          <code>{r.path}</code> · {methods}
        </span>
      </th>
      <td class="nowrap">
        <div class="weight">
          <span class="weight-bar" aria-hidden="true">
            <span class="weight-fill" style={{ width: `${Math.min(100, r.weight)}%` }} />
          </span>
          <span class="num weight-text" data-field="weight">
            {fmtWeight(r.weight)}
          </span>
        </div>
        <span class="sub">
          {inRollout && ro
            ? `stage ${ro.stage.index + 1}/${ro.stage.count} · ${stageLabel(ro.stage.value)} · ${words(ro.status)}`
            : "not in a rollout"}
        </span>
      </td>
      <td>
        {r.mirror || (inRollout && ro?.mirroring) ? <Badge tone="info">on</Badge> : <Badge tone="muted">off</Badge>}
      </td>
      <td class="verdict-cell">
        {verdict ? (
          <>
            <Badge tone={outcomeTone(verdict.outcome)}>{verdict.outcome}</Badge>
            <span class="reason clamp-2" title={verdict.reasons[0]}>
              {verdict.reasons[0] ?? ""}
            </span>
          </>
        ) : (
          <span class="sub">{inRollout ? "no verdict yet" : "–"}</span>
        )}
      </td>
      <td class="r num">
        <span data-field="legacy-total">{fmtInt(leg.total)}</span> <span class="sub">{fmtInt(leg.errors)} 5xx</span>
      </td>
      <td class="r num">
        <span data-field="candidate-total">{fmtInt(cand.total)}</span>{" "}
        <span class="sub">{fmtInt(cand.errors)} 5xx</span>
      </td>
      <td class="coverage-cell num">
        <span>{leg.total + cand.total > 0 ? fmtPct(cand.total / (leg.total + cand.total), 1) : "–"} on candidate</span>
        {parity && parity.mirrored > 0 ? (
          <a class="sub link" href={hrefOf("findings")}>
            {fmtInt(parity.mirrored)} compared · {fmtPct(parity.differing / parity.mirrored, 1)} differ
          </a>
        ) : (
          <span class="sub">{r.mirror ? "nothing compared yet" : "not mirrored"}</span>
        )}
      </td>
    </tr>
  );
}
