/**
 * FoldingMap keeps at most `max` keys; a new key beyond that is counted under `other` (the fold
 * row) and in `folded`, so per-endpoint tallies stay bounded whatever the traffic. Pure data.
 */
export class FoldingMap<V> {
  readonly map = new Map<string, V>();
  /** Lookups of new keys that went to `other` because the map was full. */
  folded = 0;

  constructor(
    private readonly max: number,
    private readonly other: string,
  ) {}

  /** The value for `key` (made by `make` when new), or the fold row's once the map is full. */
  at(key: string, make: () => V): V {
    let v = this.map.get(key);
    if (v) return v;
    if (this.map.size >= this.max) {
      this.folded++;
      key = this.other;
      v = this.map.get(key);
      if (v) return v;
    }
    v = make();
    this.map.set(key, v);
    return v;
  }

  clear(): void {
    this.map.clear();
    this.folded = 0;
  }
}
