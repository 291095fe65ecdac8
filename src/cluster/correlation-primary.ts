import { LiveCorrelation, type CorrelationLimits, type CorrelationState, type Turn } from "../mirror/correlation.js";

/**
 * Live correlation across cluster workers, the primary's side. node:cluster spreads one user's
 * connections over the workers, so the per-user maps and the per-user turn order live here: a
 * worker asks for a user's turn (`turn_begin`), gets it with the user's mappings when the user's
 * previous turn has ended (`turn_grant`), substitutes and learns with the same code as one process
 * (src/mirror/correlation.ts over src/correlate/), and hands the mappings back (`turn_end`), which
 * lets the user's next turn go. Only the mirrored copies wait for this, never a client's request,
 * and no worker blocks on it (the messages are asynchronous).
 *
 * Bounded: at most MAX_TURNS_PER_USER turns open per user and MAX_TURNS in all (past them the
 * exchange goes uncorrelated: refused); a granted turn not ended within its deadline (the route's
 * mirror.timeout plus slack, at most MAX_DEADLINE_MS) or held by a worker that died is released
 * without its learning. Refused, expired and abandoned turns are counted (`correlation_turns`),
 * users and mappings capped as in one process (`correlation_users`, `correlation_values`).
 */

/** Turns open (waiting or granted) per user. */
export const MAX_TURNS_PER_USER = 64;
/** Turns open in all. */
export const MAX_TURNS = 4096;
/** The longest a worker may hold a user's turn, whatever it asked for. */
const MAX_DEADLINE_MS = 120_000;

interface Open {
  slot: number;
  user: string;
  turn: Turn;
  granted: boolean;
  timer: NodeJS.Timeout | undefined;
}

export type Grant = (slot: number, n: number, state: CorrelationState | undefined) => void;

export class TurnBroker {
  private readonly live: LiveCorrelation;
  private readonly open = new Map<string, Open>();
  private readonly perUser = new Map<string, number>();
  /** Turns refused by the caps, released at their deadline, or dropped with their worker. */
  refused = 0;
  expired = 0;
  abandoned = 0;

  constructor(
    private readonly limits: CorrelationLimits,
    private readonly grant: Grant,
  ) {
    this.live = new LiveCorrelation(limits);
  }

  /** Turns open now (waiting for their user's previous one, or held by a worker). */
  get size(): number {
    return this.open.size;
  }

  begin(slot: number, n: number, user: string, ms: number): void {
    const k = `${slot}:${n}`;
    const mine = this.perUser.get(user) ?? 0;
    if (this.open.has(k) || this.open.size >= MAX_TURNS || mine >= MAX_TURNS_PER_USER) {
      this.refused++;
      this.grant(slot, n, undefined);
      return;
    }
    const o: Open = { slot, user, turn: this.live.open(user, k), granted: false, timer: undefined };
    this.open.set(k, o);
    this.perUser.set(user, mine + 1);
    void o.turn.ready.then(() => {
      if (this.open.get(k) !== o) return;
      o.granted = true;
      const deadline = Math.min(MAX_DEADLINE_MS, Math.max(0, ms));
      o.timer = setTimeout(() => {
        this.expired++;
        this.close(k, undefined);
      }, deadline);
      o.timer.unref();
      this.grant(slot, n, o.turn.exportMaps());
    });
  }

  /** end: the worker is done with turn `n`; its mappings become the user's. A late end (expired) is ignored. */
  end(slot: number, n: number, state: CorrelationState | undefined): void {
    this.close(`${slot}:${n}`, state);
  }

  /** dropWorker releases every turn of a worker that exited. */
  dropWorker(slot: number): void {
    for (const [k, o] of [...this.open])
      if (o.slot === slot) {
        this.abandoned++;
        this.close(k, undefined);
      }
  }

  private close(k: string, state: CorrelationState | undefined): void {
    const o = this.open.get(k);
    if (!o) return;
    this.open.delete(k);
    const left = (this.perUser.get(o.user) ?? 1) - 1;
    if (left > 0) this.perUser.set(o.user, left);
    else this.perUser.delete(o.user);
    clearTimeout(o.timer);
    if (state) o.turn.adoptMaps(state, this.limits.values);
    // A turn still waiting releases the next one only after its own predecessor: order holds.
    if (o.granted) o.turn.cancel();
    else void o.turn.ready.then(() => o.turn.cancel());
  }

  /** The state counts for status: the users and mappings kept here, and the turns. */
  state(): { kind: string; entries: number | null; limit: number; capped: number }[] {
    return [
      ...this.live.state(),
      {
        kind: "correlation_turns",
        entries: this.open.size,
        limit: MAX_TURNS,
        capped: this.refused + this.expired + this.abandoned,
      },
    ];
  }
}
