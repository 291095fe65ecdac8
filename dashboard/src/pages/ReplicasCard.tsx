// Several replicas on one PostgreSQL store: who judges, how each learns of changes, its last report.
import type { ReplicasStatus } from "../../../src/replicas/wire.js";
import { Badge } from "../components/ui";
import { fmtAgo, fmtDateTime, fmtInt } from "../format";

export function ReplicasCard({ replicas, now }: { replicas: ReplicasStatus; now: number }) {
  return (
    <section class="card" data-section="replicas" aria-labelledby="replicas-title">
      <div class="card-head">
        <h2 id="replicas-title">Replicas</h2>
        <span class="meta">
          this one <code>{replicas.id}</code>{" "}
          {replicas.leading ? (
            <Badge tone="ok">judges the rollout</Badge>
          ) : (
            <span>
              follows {replicas.leader ? <code>{replicas.leader}</code> : <Badge tone="bad">no leader</Badge>}
            </span>
          )}{" "}
          <span class="sub">
            epoch {fmtInt(replicas.epoch)} · weights apply {fmtInt(replicas.apply_delay_ms)} ms after commit
          </span>
        </span>
      </div>
      {replicas.mode === "poll" ? (
        <p class="hint">
          <Badge tone="warn">polling</Badge> {replicas.mode_reason ?? "change notifications are not delivered"}
        </p>
      ) : null}
      <div class="table-wrap">
        <table class="table table-replicas">
          <thead>
            <tr>
              <th scope="col">replica</th>
              <th scope="col">host</th>
              <th scope="col" class="r">
                pid
              </th>
              <th scope="col">changes by</th>
              <th scope="col" class="r" title="The change number it has read up to">
                read to
              </th>
              <th scope="col">state</th>
              <th scope="col">last heartbeat</th>
              <th scope="col">last report</th>
            </tr>
          </thead>
          <tbody>
            {replicas.replicas.map((r) => (
              <tr key={r.id} data-replica={r.id}>
                <th scope="row">
                  <code>{r.id}</code>
                  {r.id === replicas.id ? <span class="sub"> this one</span> : null}
                </th>
                <td>{r.host}</td>
                <td class="r num">{r.pid}</td>
                <td>{r.mode}</td>
                <td class="r num">{r.seen_seq === null ? "–" : fmtInt(r.seen_seq)}</td>
                <td>
                  {r.alive ? <Badge tone="ok">alive</Badge> : <Badge tone="bad">gone</Badge>}{" "}
                  {r.leader ? <Badge tone="info">leader</Badge> : null}
                </td>
                <td title={fmtDateTime(Date.parse(r.seen_at))}>{fmtAgo(Date.parse(r.seen_at), now)}</td>
                <td>
                  {r.last_report ? (
                    <span title={fmtDateTime(Date.parse(r.last_report))}>{fmtAgo(Date.parse(r.last_report), now)}</span>
                  ) : (
                    <span class="sub">never</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="hint card-foot">
        Every replica serves traffic and records evidence; only the leader judges, on the evidence of all. Weight
        changes and manual rollout actions work through any replica.
      </p>
    </section>
  );
}
