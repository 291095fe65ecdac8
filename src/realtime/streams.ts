import { movedOff, type Placement } from "../split/decide.js";

interface Open extends Placement {
  routeId: number;
  end: () => void;
}

/**
 * OpenStreams holds the long-lived answers in flight (SSE responses, WebSocket tunnels) with where
 * each was placed, so a weight change ends exactly the streams of users it moves off the
 * candidate, a rollback ends every candidate stream, and shutdown ends them all cleanly. Bounded
 * by the open connections; every entry is removed when its stream finishes.
 */
export class OpenStreams {
  private readonly open = new Set<Open>();

  get size(): number {
    return this.open.size;
  }

  /** add registers a stream; the returned function removes it (call it when the stream finishes). */
  add(routeId: number, placement: Placement, end: () => void): () => void {
    const o: Open = { ...placement, routeId, end };
    this.open.add(o);
    return () => this.open.delete(o);
  }

  /** endMoved ends the streams on a route whose users `weight` moves off the candidate; returns how many. */
  endMoved(routeId: number, weight: number): number {
    let n = 0;
    for (const o of this.open) {
      if (o.routeId !== routeId || !movedOff(o, weight)) continue;
      this.open.delete(o);
      o.end();
      n++;
    }
    return n;
  }

  /** endCandidate ends every candidate stream on these routes (rollback); returns how many. */
  endCandidate(routeIds: ReadonlySet<number>): number {
    let n = 0;
    for (const o of this.open) {
      if (o.target !== "candidate" || !routeIds.has(o.routeId)) continue;
      this.open.delete(o);
      o.end();
      n++;
    }
    return n;
  }

  /** endAll ends every stream (graceful shutdown). */
  endAll(): void {
    const all = [...this.open];
    this.open.clear();
    for (const o of all) o.end();
  }
}
