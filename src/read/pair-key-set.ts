/**
 * A set of (query_id, doc_id) pairs, for duplicate detection, in 16 bytes a pair: each
 * pair is kept as a 63-bit hash (two 32-bit words) in an open-addressing table at most half full, off
 * V8's heap. A Set of id strings costs ~90 bytes an entry in V8. The price: a false "seen" with
 * probability ~n^2 / 2^64 (1 in 10^7 for 2M entries, 1 in 10^5 for 20M); a pair dropped for it is still
 * reported, with its line, in the duplicates notice.
 */
export class PairKeySet {
  /** Slot i is words 2i (high, low bit forced to 1 so an empty slot is all zeros) and 2i + 1. */
  private table = new Uint32Array(2 << 16);
  private count = 0;

  /** Adds the pair; false when it was there already. */
  add(queryId: string, docId: string): boolean {
    if ((this.count + 1) * 4 > this.table.length) this.grow();
    const [high, low] = pairHash(queryId, docId);
    const added = insert(this.table, high, low);
    if (added) this.count += 1;
    return added;
  }

  has(queryId: string, docId: string): boolean {
    const [high, low] = pairHash(queryId, docId);
    const table = this.table;
    const mask = table.length / 2 - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      const current = table[slot * 2] as number;
      if (current === 0) return false;
      if (current === high && table[slot * 2 + 1] === low) return true;
    }
  }

  get size(): number {
    return this.count;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Uint32Array(old.length * 2);
    for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) insert(this.table, old[i] as number, old[i + 1] as number);
  }
}

/** Linear probing over slots of two words. */
function insert(table: Uint32Array, high: number, low: number): boolean {
  const mask = table.length / 2 - 1;
  let slot = low & mask;
  for (;;) {
    const at = slot * 2;
    const current = table[at] as number;
    if (current === 0) {
      table[at] = high;
      table[at + 1] = low;
      return true;
    }
    if (current === high && table[at + 1] === low) return false;
    slot = (slot + 1) & mask;
  }
}

/** Two independent 32-bit hashes of `queryId, docId` (FNV-1a and a murmur-style mix); high is odd, so never 0. */
export function pairHash(queryId: string, docId: string): [high: number, low: number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x9747b28c;
  const mix = (code: number): void => {
    h1 = Math.imul(h1 ^ code, 0x01000193);
    h2 = Math.imul(h2 ^ code, 0x5bd1e995);
    h2 ^= h2 >>> 13;
  };
  for (let i = 0; i < queryId.length; i++) mix(queryId.charCodeAt(i));
  mix(0x10000); // a separator no UTF-16 unit equals: ("ab", "c") and ("a", "bc") differ
  for (let i = 0; i < docId.length; i++) mix(docId.charCodeAt(i));
  h2 = Math.imul(h2 ^ (h2 >>> 15), 0x2c1b3c6d);
  return [(h1 | 1) >>> 0, (h2 ^ (h2 >>> 12)) >>> 0];
}
