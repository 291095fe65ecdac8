/**
 * How the rows several replicas write under one key combine. A collection with a merger keeps one
 * row per replica holding that replica's contribution (its counts since it loaded); the view is
 * every contribution merged. Without a merger the newest write wins.
 */
export interface RowMerger {
  /** Combines two contributions for one key (commutative for counts, newest for latest-values). */
  merge(a: unknown, b: unknown): unknown;
  /** This replica's contribution: its full view of the key minus what it loaded (`base`, maybe undefined). */
  minus(full: unknown, base: unknown): unknown;
}

const LATEST: RowMerger = { merge: (_a, b) => b, minus: (full) => full };

/**
 * SharedCollection is one row collection as seen by one replica: the rows of every other replica
 * (and of earlier runs), what this replica loaded, and the full values this replica wrote.
 */
export class SharedCollection {
  /** key → replica → stored value (every replica but this one; and this one's rows from load). */
  private readonly contrib = new Map<string, Map<string, unknown>>();
  /** key → the merged value at load: what this replica's full values started from. */
  private readonly base = new Map<string, unknown>();
  /** key → the full value this replica last wrote. */
  private readonly own = new Map<string, unknown>();
  readonly merger: RowMerger;

  constructor(
    merger: RowMerger | undefined,
    /** This replica's id. Rows it stored in an earlier run (a pinned id) stay part of its contribution. */
    private readonly self = "",
  ) {
    this.merger = merger ?? LATEST;
  }

  /** Sets another replica's row (at load, or when a change arrives). */
  setOther(key: string, replica: string, value: unknown): void {
    let m = this.contrib.get(key);
    if (!m) this.contrib.set(key, (m = new Map<string, unknown>()));
    m.set(replica, value);
  }

  /**
   * Ends loading: what the other replicas stored is the base of this replica's own values. A row
   * this replica stored in an earlier run is not in the base: a later write of the full value
   * stores it again (plus what was added since), so a restart with the same id loses nothing.
   */
  seal(): void {
    for (const key of this.contrib.keys()) this.base.set(key, this.mergedOthers(key, true));
  }

  /** Records this replica's full value; returns the contribution to store under its id. */
  setOwn(key: string, full: unknown): unknown {
    this.own.set(key, full);
    return this.merger.minus(full, this.base.get(key));
  }

  /** Whether this replica wrote the key in this run. */
  hasOwn(key: string): boolean {
    return this.own.has(key);
  }

  delete(key: string): void {
    this.contrib.delete(key);
    this.base.delete(key);
    this.own.delete(key);
  }

  keys(): string[] {
    return [...new Set([...this.contrib.keys(), ...this.own.keys()])].sort();
  }

  /** The merged view of one key. */
  get(key: string): unknown {
    // Not written in this run: every stored row, this replica's earlier one included.
    if (!this.own.has(key)) return this.mergedOthers(key);
    const others = this.mergedOthers(key, true);
    const mine = this.merger.minus(this.own.get(key), this.base.get(key));
    return others === undefined ? mine : this.merger.merge(others, mine);
  }

  /** Every stored contribution for a key merged; `exceptSelf`: without this replica's own earlier row. */
  private mergedOthers(key: string, exceptSelf = false): unknown {
    let out: unknown;
    let first = true;
    for (const [replica, v] of this.contrib.get(key) ?? []) {
      if (exceptSelf && replica === this.self) continue;
      out = first ? v : this.merger.merge(out, v);
      first = false;
    }
    return out;
  }
}
