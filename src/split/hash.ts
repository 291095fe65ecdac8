/**
 * bucketOf maps (key, salt) to one of 10,000 buckets with MurmurHash3 (x86, 32-bit) over the
 * UTF-8 bytes of `salt + "\0" + key`. Murmur3's finaliser gives full avalanche, so similar keys
 * ("user-1", "user-2") land in unrelated buckets; the result never depends on process or platform,
 * which keeps a user's assignment stable across restarts and replicas.
 */
export const BUCKETS = 10_000;

const encoder = new TextEncoder();

export function murmur3(bytes: Uint8Array, seed = 0): number {
  let h = seed >>> 0;
  const n = bytes.length;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k =
      (bytes[i] as number) |
      ((bytes[i + 1] as number) << 8) |
      ((bytes[i + 2] as number) << 16) |
      ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = n & 3;
  if (tail) {
    let k = 0;
    if (tail === 3) k ^= (bytes[blocks + 2] as number) << 16;
    if (tail >= 2) k ^= (bytes[blocks + 1] as number) << 8;
    k ^= bytes[blocks] as number;
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

// The same users come back request after request: remember their buckets (bounded).
const cache = new Map<string, number>();
let cacheSalt = "";
const CACHE_MAX = 50_000;

export function bucketOf(key: string, salt: string): number {
  if (salt !== cacheSalt) {
    cache.clear();
    cacheSalt = salt;
  }
  let b = cache.get(key);
  if (b === undefined) {
    b = murmur3(encoder.encode(salt + "\0" + key)) % BUCKETS;
    if (cache.size >= CACHE_MAX) cache.clear();
    cache.set(key, b);
  }
  return b;
}

/** weightLine converts a weight in percent (steps of 0.01) to the bucket boundary: candidate iff bucket < line. */
export function weightLine(weightPercent: number): number {
  return Math.round(weightPercent * 100);
}
