// Upstreams: health state, URL, connection pool, last error; open WebSocket (upgrade) tunnels;
// mirror breakers; the replicas on a shared PostgreSQL store.
import { Badge, Empty, PageHead, statusTone } from "../components/ui";
import { fmtAgo, fmtDateTime, fmtInt } from "../format";
import { useLive } from "../live";
import { ReplicasCard } from "./ReplicasCard";

const ROLE: Record<string, string> = {
  legacy: "being migrated away from; serves every request not assigned to the candidate",
  candidate: "being migrated to",
  "legacy-secondary": "a second legacy instance: mirrored requests teach cutover legacy's own noise",
};

export function Upstreams() {
  const { status, lastTick } = useLive();
  const now = lastTick || Date.now();
  return (
    <div class="page">
      <PageHead title="Upstreams">
        {status ? (
          <span class="meta num">
            <span data-field="open-upgrades">
              {fmtInt(status.open_upgrades)} open upgrade{status.open_upgrades === 1 ? "" : "s"} (WebSocket tunnels)
            </span>
          </span>
        ) : null}
      </PageHead>
      {!status ? (
        <Empty>Waiting for the first status…</Empty>
      ) : (
        <section class="card">
          <div class="table-wrap">
            <table class="table table-upstreams">
              <thead>
                <tr>
                  <th scope="col">upstream</th>
                  <th scope="col">health</th>
                  <th scope="col">URL</th>
                  <th scope="col" class="r">
                    connected
                  </th>
                  <th scope="col" class="r">
                    free
                  </th>
                  <th scope="col" class="r">
                    pending
                  </th>
                  <th scope="col" class="r">
                    running
                  </th>
                  <th scope="col" class="r">
                    failures in a row
                  </th>
                  <th scope="col">last error</th>
                </tr>
              </thead>
              <tbody>
                {status.upstreams.map((u) => (
                  <tr key={u.name} data-upstream={u.name}>
                    <th scope="row">
                      <span class="route-name">{u.name}</span>
                      <span class="sub">{ROLE[u.name] ?? ""}</span>
                    </th>
                    <td>
                      <Badge tone={statusTone(u.state)}>{u.state}</Badge>
                    </td>
                    <td>
                      <code class="url">{u.url}</code>
                    </td>
                    <td class="r num">{fmtInt(u.connections.connected)}</td>
                    <td class="r num">{fmtInt(u.connections.free)}</td>
                    <td class="r num">{fmtInt(u.connections.pending)}</td>
                    <td class="r num">{fmtInt(u.connections.running)}</td>
                    <td class="r num">{fmtInt(u.consecutive_failures)}</td>
                    <td>
                      {u.last_error ? (
                        <span title={fmtDateTime(Date.parse(u.last_error.at))}>
                          <code class="error-code">{u.last_error.code}</code>{" "}
                          <span class="sub">{fmtAgo(Date.parse(u.last_error.at), now)}</span>
                        </span>
                      ) : (
                        <span class="sub">none</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="hint card-foot">
            Health comes from active probes and passive failure counts. An unhealthy candidate gets no traffic; its
            share is served by legacy.
          </p>
        </section>
      )}
      {status && status.workers.length > 0 ? (
        <section class="card">
          <div class="table-wrap">
            <table class="table table-workers">
              <thead>
                <tr>
                  <th scope="col">worker</th>
                  <th scope="col" class="r">
                    pid
                  </th>
                  <th scope="col">state</th>
                  <th scope="col" class="r">
                    requests served
                  </th>
                  <th scope="col" class="r">
                    restarts
                  </th>
                  <th scope="col" class="r">
                    last report
                  </th>
                </tr>
              </thead>
              <tbody>
                {status.workers.map((w) => (
                  <tr key={w.slot} data-worker={w.slot}>
                    <th scope="row">#{w.slot}</th>
                    <td class="r num">{w.pid || "–"}</td>
                    <td>
                      <Badge tone={w.state === "serving" ? "ok" : w.state === "exited" ? "bad" : "warn"}>
                        {w.state}
                      </Badge>
                    </td>
                    <td class="r num" data-field="served">
                      {fmtInt(w.served)}
                    </td>
                    <td class="r num">{fmtInt(w.restarts)}</td>
                    <td class="r num">{w.last_report_ms === null ? "–" : `${fmtInt(w.last_report_ms)} ms ago`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="hint card-foot">
            Cluster workers serve the data plane and report to this process every 50 ms; it keeps the weights, health,
            judge and findings, and restarts a worker that dies.
          </p>
        </section>
      ) : null}
      {status && status.mirror_breakers.length > 0 ? (
        <section class="card">
          <div class="table-wrap">
            <table class="table table-breakers">
              <thead>
                <tr>
                  <th scope="col">mirror breaker</th>
                  <th scope="col">upstream</th>
                  <th scope="col">state</th>
                  <th scope="col" class="r">
                    failures (in a row)
                  </th>
                  <th scope="col" class="r">
                    skipped
                  </th>
                  <th scope="col" class="r">
                    opened
                  </th>
                  <th scope="col">last failure</th>
                </tr>
              </thead>
              <tbody>
                {status.mirror_breakers.map((b) => (
                  <tr key={`${b.route}/${b.upstream}/${b.worker ?? ""}`} data-breaker={`${b.route}/${b.upstream}`}>
                    <th scope="row">
                      <span class="route-name">{b.route}</span>
                      {b.worker === undefined ? null : <span class="sub">worker #{b.worker}</span>}
                    </th>
                    <td>{b.upstream}</td>
                    <td>
                      <Badge tone={b.state === "closed" ? "ok" : b.state === "open" ? "bad" : "warn"}>{b.state}</Badge>
                      {b.probe_in_ms === null ? null : <span class="sub"> probe in {fmtInt(b.probe_in_ms)} ms</span>}
                    </td>
                    <td class="r num">
                      {fmtInt(b.failures)} ({fmtInt(b.consecutive_failures)})
                    </td>
                    <td class="r num" data-field="skipped">
                      {fmtInt(b.skipped)}
                    </td>
                    <td class="r num">{fmtInt(b.opened)}</td>
                    <td>
                      {b.last_failure ? (
                        <span title={fmtDateTime(Date.parse(b.last_failure.at))}>
                          <code class="error-code">{b.last_failure.reason}</code>{" "}
                          <span class="sub">{fmtAgo(Date.parse(b.last_failure.at), now)}</span>
                        </span>
                      ) : (
                        <span class="sub">none</span>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="hint card-foot">
            After consecutive failed mirrored exchanges a breaker opens: that route's mirror to that upstream is skipped
            (counted) until a probe succeeds. Clients are never affected; failures that were sent are still findings.
          </p>
        </section>
      ) : null}
      {status?.replicas ? <ReplicasCard replicas={status.replicas} now={now} /> : null}
    </div>
  );
}
