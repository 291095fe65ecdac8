/**
 * A bounded, uniform sample of users with their per-user counts — what the judge needs to
 * account for per-user clustering without unbounded memory.
 *
 * Sampling is by hash threshold (adaptive "bottom-k"-style sampling; Duffield, Lund & Thorup
 * 2007, priority sampling; Gibbons 2001, distinct sampling): a user is kept iff
 * hash(user) < threshold. When the table is full the threshold halves and users above it are
 * evicted, so the kept set is always a uniform random sample of the users seen (all of their
 * requests, never a subset of them), and two samples merge by taking the smaller threshold.
 * Totals over *all* requests are kept elsewhere (the window cell); this sample only supplies
 * per-user structure: {n, errors} for every request of a kept user, plus the status and latency
 * of that user's first K requests (for the status-mix and latency-tail guardrails, which cap a
 * user's weight).
 */

const FULL = 2 ** 32;

/** 32-bit hash of a user key: FNV-1a over UTF-16 units, then murmur3's fmix32 for avalanche. */
export function hashUser(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** [hash, n, errors, first-K statuses, first-K latencies in ms] */
export type UserSnapshot = [number, number, number, number[], number[]];

export interface UserSampleSnapshot {
  threshold: number;
  users: UserSnapshot[];
}

export class UserSample {
  /** Users are kept iff hash < threshold; starts at 2³² (everyone). */
  threshold = FULL;
  size = 0;
  private capacity = 0;
  private slots = new Map<number, number>();
  private hashes = new Uint32Array(0);
  private counts = new Float64Array(0);
  private errors = new Float64Array(0);
  private kept = new Uint8Array(0);
  private statuses = new Uint16Array(0);
  private latencies = new Float32Array(0);

  constructor(
    readonly maxUsers: number,
    readonly firstK: number,
  ) {}

  /** Fraction of all users the sample represents. */
  get fraction(): number {
    return this.threshold / FULL;
  }

  record(hash: number, status: number, latencyMs: number, error: boolean): void {
    if (hash >= this.threshold) return;
    let slot = this.slots.get(hash);
    if (slot === undefined) {
      slot = this.insert(hash);
      if (slot < 0) return;
    }
    this.counts[slot] = (this.counts[slot] ?? 0) + 1;
    if (error) this.errors[slot] = (this.errors[slot] ?? 0) + 1;
    const k = this.kept[slot] ?? 0;
    if (k < this.firstK) {
      this.statuses[slot * this.firstK + k] = status;
      this.latencies[slot * this.firstK + k] = latencyMs;
      this.kept[slot] = k + 1;
    }
  }

  // --- read access for the judge (no allocation) ---
  hashAt(slot: number): number {
    return this.hashes[slot] ?? 0;
  }
  nAt(slot: number): number {
    return this.counts[slot] ?? 0;
  }
  errorsAt(slot: number): number {
    return this.errors[slot] ?? 0;
  }
  keptAt(slot: number): number {
    return this.kept[slot] ?? 0;
  }
  statusAt(slot: number, j: number): number {
    return this.statuses[slot * this.firstK + j] ?? 0;
  }
  latencyAt(slot: number, j: number): number {
    return this.latencies[slot * this.firstK + j] ?? 0;
  }

  /** Merge another sample (e.g. another gateway instance's window) into this one. */
  merge(other: UserSample): void {
    this.lowerThreshold(Math.min(this.threshold, other.threshold));
    for (let s = 0; s < other.size; s++) {
      const h = other.hashAt(s);
      if (h >= this.threshold) continue;
      let slot = this.slots.get(h);
      if (slot === undefined) {
        slot = this.insert(h);
        if (slot < 0) continue;
      }
      this.counts[slot] = (this.counts[slot] ?? 0) + other.nAt(s);
      this.errors[slot] = (this.errors[slot] ?? 0) + other.errorsAt(s);
      for (let j = 0; j < other.keptAt(s); j++) {
        const k = this.kept[slot] ?? 0;
        if (k >= this.firstK) break;
        this.statuses[slot * this.firstK + k] = other.statusAt(s, j);
        this.latencies[slot * this.firstK + k] = other.latencyAt(s, j);
        this.kept[slot] = k + 1;
      }
    }
  }

  snapshot(): UserSampleSnapshot {
    const users: UserSnapshot[] = [];
    for (let s = 0; s < this.size; s++) {
      const k = this.keptAt(s);
      const st: number[] = [];
      const lat: number[] = [];
      for (let j = 0; j < k; j++) {
        st.push(this.statusAt(s, j));
        lat.push(this.latencyAt(s, j));
      }
      users.push([this.hashAt(s), this.nAt(s), this.errorsAt(s), st, lat]);
    }
    return { threshold: this.threshold, users };
  }

  static fromSnapshot(snap: UserSampleSnapshot, maxUsers: number, firstK: number): UserSample {
    const u = new UserSample(maxUsers, firstK);
    u.threshold = Math.min(FULL, Math.max(0, snap.threshold));
    for (const [h, n, e, st, lat] of snap.users) {
      if (h >= u.threshold) continue;
      const slot = u.slots.get(h) ?? u.insert(h);
      if (slot < 0) continue;
      u.counts[slot] = (u.counts[slot] ?? 0) + n;
      u.errors[slot] = (u.errors[slot] ?? 0) + e;
      const k = Math.min(firstK, st.length, lat.length);
      for (let j = 0; j < k; j++) {
        u.statuses[slot * firstK + j] = st[j] ?? 0;
        u.latencies[slot * firstK + j] = lat[j] ?? 0;
      }
      u.kept[slot] = k;
    }
    return u;
  }

  /** Adds a user (hash below the threshold); returns its slot, or −1 if it got evicted. */
  private insert(hash: number): number {
    while (this.size >= this.maxUsers) {
      this.lowerThreshold(Math.floor(this.threshold / 2));
      if (hash >= this.threshold) return -1;
    }
    if (this.size >= this.capacity) this.grow();
    const slot = this.size++;
    this.hashes[slot] = hash;
    this.counts[slot] = 0;
    this.errors[slot] = 0;
    this.kept[slot] = 0;
    this.slots.set(hash, slot);
    return slot;
  }

  private grow(): void {
    const cap = Math.min(this.maxUsers, Math.max(16, this.capacity * 2));
    const k = this.firstK;
    const hashes = new Uint32Array(cap);
    hashes.set(this.hashes);
    this.hashes = hashes;
    const counts = new Float64Array(cap);
    counts.set(this.counts);
    this.counts = counts;
    const errors = new Float64Array(cap);
    errors.set(this.errors);
    this.errors = errors;
    const kept = new Uint8Array(cap);
    kept.set(this.kept);
    this.kept = kept;
    const statuses = new Uint16Array(cap * k);
    statuses.set(this.statuses);
    this.statuses = statuses;
    const latencies = new Float32Array(cap * k);
    latencies.set(this.latencies);
    this.latencies = latencies;
    this.capacity = cap;
  }

  /** Lowers the threshold and compacts away users at or above it. */
  private lowerThreshold(threshold: number): void {
    if (threshold >= this.threshold) return;
    this.threshold = threshold;
    const k = this.firstK;
    let w = 0;
    this.slots.clear();
    for (let r = 0; r < this.size; r++) {
      const h = this.hashes[r] ?? 0;
      if (h >= threshold) continue;
      if (w !== r) {
        this.hashes[w] = h;
        this.counts[w] = this.counts[r] ?? 0;
        this.errors[w] = this.errors[r] ?? 0;
        this.kept[w] = this.kept[r] ?? 0;
        this.statuses.copyWithin(w * k, r * k, r * k + k);
        this.latencies.copyWithin(w * k, r * k, r * k + k);
      }
      this.slots.set(h, w);
      w++;
    }
    this.size = w;
  }
}
