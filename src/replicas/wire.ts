/** The replicas part of GET /api/status (JSON shapes only: the dashboard imports them too). */
export interface ReplicaRow {
  id: string;
  host: string;
  pid: number;
  /** How that replica learns of changes: "listen" (notifications) or "poll". */
  mode: string;
  /** It holds the judge's lease now. */
  leader: boolean;
  started_at: string;
  /** Its last heartbeat (database clock). */
  seen_at: string;
  /** When it last published its evidence (judge window, served counts); null: never. */
  last_report: string | null;
  /** Seen within the last 10 s. */
  alive: boolean;
  /** The change number it has read up to (null: an older cutover that does not say). */
  seen_seq: number | null;
}

export interface ReplicasStatus {
  /** This replica. */
  id: string;
  mode: "listen" | "poll";
  /** Why this replica polls (null while LISTEN works). */
  mode_reason: string | null;
  leading: boolean;
  /** The replica holding the judge's lease, if any holds a live one. */
  leader: string | null;
  /** The fencing epoch this replica last saw (incremented on every takeover). */
  epoch: number;
  /** How far ahead a weight change takes effect, on every replica at once. */
  apply_delay_ms: number;
  last_sync: string | null;
  /** The change number this replica has read up to. */
  seen_seq: number;
  /** Deletion records this replica pruned while leading (every listed replica had read past them). */
  tombstones_pruned: number;
  replicas: ReplicaRow[];
}
