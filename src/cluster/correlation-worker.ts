import { turnFrom, userHash, type CorrelationState, type Turn, type TurnSource } from "../mirror/correlation.js";
import type { TurnFromWorker } from "./protocol.js";

/**
 * Live correlation across cluster workers, a worker's side (the primary's: correlation-primary.ts).
 * A turn asks the primary for the user's mappings; the mirrored copies wait for them (detached from
 * the client, as in one process), are substituted and learned from here with the same Turn, and the
 * mappings go back when the turn ends. Turns waiting here are bounded by the mirror's concurrency
 * cap (each holds a mirrored exchange); if the primary goes away they go uncorrelated.
 */
export class RemoteTurns implements TurnSource {
  private seq = 0;
  private readonly waiting = new Map<number, (s: CorrelationState | undefined) => void>();

  constructor(
    private readonly values: number,
    private readonly send: (m: TurnFromWorker) => void,
  ) {}

  turn(key: string, id: string, deadlineMs = 0): Turn {
    const n = ++this.seq;
    const state = new Promise<CorrelationState | undefined>((resolve) => this.waiting.set(n, resolve));
    const turn = turnFrom(id, this.values, state);
    // Only a granted turn is the primary's to release; a refused one was never opened there.
    void Promise.all([state, turn.ended]).then(([s]) => {
      if (s) this.send({ t: "turn_end", n, state: turn.exportMaps() });
    });
    this.send({ t: "turn_begin", n, user: userHash(key), ms: deadlineMs });
    return turn;
  }

  /** grant: the primary's answer to turn `n`. A grant nobody waits for is handed back at once. */
  grant(n: number, state: CorrelationState | undefined): void {
    const resolve = this.waiting.get(n);
    if (!resolve) {
      if (state) this.send({ t: "turn_end", n, state: undefined });
      return;
    }
    this.waiting.delete(n);
    resolve(state);
  }

  /** Turns waiting for the primary. */
  get size(): number {
    return this.waiting.size;
  }

  /** closeAll: the primary went away; waiting turns go uncorrelated. */
  closeAll(): void {
    for (const resolve of this.waiting.values()) resolve(undefined);
    this.waiting.clear();
  }

  /** The maps and their counts live on the primary. */
  state(): { kind: string; entries: number | null; limit: number; capped: number }[] {
    return [];
  }
}
