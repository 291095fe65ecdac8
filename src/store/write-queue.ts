/** One write waiting to be made durable. `key` set: a later write with the same key replaces it. */
export interface QueuedWrite<T> {
  key?: string;
  op: T;
}

interface Slot<T> extends QueuedWrite<T> {
  /** The oldest write this slot stands for (coalescing keeps it: that write is not durable yet). */
  seq: number;
}

export interface WriteQueueOptions<T> {
  /** Applies a batch in one transaction, in order; throws to have the whole batch retried. */
  commit(batch: readonly T[]): Promise<void>;
  onError(err: Error, attempt: number): void;
  onRecovered(): void;
  /** Most writes waiting at once; beyond it new unkeyed writes are dropped (and counted). */
  maxPending: number;
  maxBatch: number;
}

/**
 * WriteQueue makes synchronous writes durable in the background, in the order they were made:
 * one batch at a time, each batch one transaction, a failed batch retried (backoff 50 ms → 5 s)
 * before anything after it. Keyed writes (a weight, a document) coalesce while they wait, so
 * their count is bounded by the number of keys; `flush()` resolves once every write made before
 * it has committed.
 */
export class WriteQueue<T> {
  private pending: Slot<T>[] = [];
  private readonly byKey = new Map<string, Slot<T>>();
  private written = 0;
  private committed = 0;
  private running: Promise<void> | undefined;
  private waiters: { upTo: number; resolve(): void; reject(e: Error): void }[] = [];
  private closed = false;
  private gaveUp = false;
  dropped = 0;
  lastError: string | null = null;

  constructor(private readonly o: WriteQueueOptions<T>) {}

  get size(): number {
    return this.pending.length;
  }

  push(w: QueuedWrite<T>): void {
    if (this.closed) throw new Error("store is closed");
    const seq = ++this.written;
    const same = w.key === undefined ? undefined : this.byKey.get(w.key);
    if (same) same.op = w.op;
    else if (this.pending.length >= this.o.maxPending && w.key === undefined) {
      this.dropped++;
      this.written--;
      return;
    } else {
      const slot: Slot<T> = { ...w, seq };
      this.pending.push(slot);
      if (w.key !== undefined) this.byKey.set(w.key, slot);
    }
    this.running ??= this.drain();
  }

  /** The writes not yet committed (those in flight too), oldest first. */
  ops(): T[] {
    return this.pending.map((w) => w.op);
  }

  /** Resolves when everything pushed so far is committed. */
  flush(): Promise<void> {
    if (this.committed >= this.written) return Promise.resolve();
    return new Promise((resolve, reject) => this.waiters.push({ upTo: this.written, resolve, reject }));
  }

  /** Stops accepting writes; waits up to `ms` for the pending ones. Returns how many were left. */
  async close(ms: number): Promise<number> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((r) => (timer = setTimeout(r, ms)));
    await Promise.race([this.flush().catch(() => undefined), timeout]);
    clearTimeout(timer);
    this.gaveUp = true;
    const left = this.pending.length;
    for (const w of this.waiters.splice(0)) w.reject(new Error(`store closed with ${left} writes not durable`));
    return left;
  }

  private async drain(): Promise<void> {
    let attempt = 0;
    while (this.pending.length > 0) {
      const batch = this.pending.slice(0, this.o.maxBatch);
      // Coalescing stops for the writes in flight: a newer value for the key queues behind them.
      for (const w of batch) if (w.key !== undefined && this.byKey.get(w.key) === w) this.byKey.delete(w.key);
      try {
        await this.o.commit(batch.map((w) => w.op));
      } catch (err) {
        attempt++;
        // The batch stays at the front; keyed writes that arrived meanwhile are already behind it.
        this.lastError = (err as Error).message;
        this.o.onError(err as Error, attempt);
        if (this.gaveUp) break;
        // Not unref: a process with writes still to make stays up until they are made or close() gives up.
        await new Promise((r) => setTimeout(r, Math.min(5000, 50 * 2 ** attempt)));
        continue;
      }
      if (attempt > 0) this.o.onRecovered();
      attempt = 0;
      this.lastError = null;
      this.pending.splice(0, batch.length);
      // Every write older than the oldest one still waiting is durable.
      const oldest = this.pending.reduce((m, w) => Math.min(m, w.seq), this.written + 1);
      this.committed = Math.max(this.committed, oldest - 1);
      this.waiters = this.waiters.filter((w) => (w.upTo <= this.committed ? (w.resolve(), false) : true));
    }
    this.running = undefined;
    if (this.pending.length > 0 && !this.closed) this.running = this.drain();
  }
}
