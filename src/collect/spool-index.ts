/** Where a batch's latest record is in the spool file. */
export interface RecordRef {
  offset: number;
  length: number;
  type: 'ok' | 'fail';
  queryId: string;
}

/** Batch ids as rerankJobId ("b-") and cachedBatchId ("c-") make them: a prefix and 160 bits in hex. */
const STANDARD_ID = /^[bc]-[0-9a-f]{40}$/;
const PREFIXES = ['b', 'c'] as const;
const WORDS = 5;
const TYPES = { ok: 1, fail: 2 } as const;

/**
 * The spool's index, batch id -> record, in about 46 bytes a batch kept off V8's heap (typed arrays), with
 * query ids stored once each. A Map of strings and objects cost ~180 bytes a batch on the heap, and V8
 * lets its heap grow to a few times what is live, so the run process grew with the input. Ids are kept
 * whole (160 bits), so two batches never share an entry; ids of another shape (none in practice) go to a
 * plain Map.
 */
export class SpoolIndex {
  private capacity = 1 << 12;
  private ids = new Uint32Array(this.capacity * WORDS);
  private offsets = new Float64Array(this.capacity);
  private lengths = new Uint32Array(this.capacity);
  /** 0: empty slot; else TYPES. */
  private types = new Uint8Array(this.capacity);
  /** The id's prefix, as its index in PREFIXES. */
  private prefixes = new Uint8Array(this.capacity);
  private queries = new Uint32Array(this.capacity);
  private used = 0;
  private readonly other = new Map<string, RecordRef>();
  private readonly queryOrdinal = new Map<string, number>();
  private readonly queryNames: string[] = [];
  private readonly counts = { ok: 0, fail: 0 };

  get(jobId: string): RecordRef | undefined {
    if (!STANDARD_ID.test(jobId)) return this.other.get(jobId);
    const slot = this.find(words(jobId), prefixOf(jobId));
    return this.types[slot] === 0 ? undefined : this.refAt(slot);
  }

  set(jobId: string, ref: RecordRef): void {
    this.counts[ref.type] += 1;
    if (!STANDARD_ID.test(jobId)) {
      const before = this.other.get(jobId);
      if (before !== undefined) this.counts[before.type] -= 1;
      this.other.set(jobId, ref);
      return;
    }
    if ((this.used + 1) * 2 > this.capacity) this.grow();
    const key = words(jobId);
    const prefix = prefixOf(jobId);
    const slot = this.find(key, prefix);
    const before = this.types[slot] as number;
    if (before === 0) {
      this.used += 1;
      this.ids.set(key, slot * WORDS);
      this.prefixes[slot] = prefix;
    } else {
      this.counts[before === TYPES.ok ? 'ok' : 'fail'] -= 1;
    }
    this.offsets[slot] = ref.offset;
    this.lengths[slot] = ref.length;
    this.types[slot] = TYPES[ref.type];
    this.queries[slot] = this.ordinalOf(ref.queryId);
  }

  /** Batches by the type of their latest record. */
  get totals(): { ok: number; fail: number } {
    return { ...this.counts };
  }

  /** Every batch's record, without its id (cheaper: ids are rebuilt from their bits). */
  *refs(): IterableIterator<RecordRef> {
    for (let slot = 0; slot < this.capacity; slot++) if (this.types[slot] !== 0) yield this.refAt(slot);
    yield* this.other.values();
  }

  *entries(): IterableIterator<[string, RecordRef]> {
    for (let slot = 0; slot < this.capacity; slot++) {
      if (this.types[slot] === 0) continue;
      let hex = `${PREFIXES[this.prefixes[slot] as number] as string}-`;
      for (let w = 0; w < WORDS; w++) hex += (this.ids[slot * WORDS + w] as number).toString(16).padStart(8, '0');
      yield [hex, this.refAt(slot)];
    }
    yield* this.other;
  }

  private refAt(slot: number): RecordRef {
    return {
      offset: this.offsets[slot] as number,
      length: this.lengths[slot] as number,
      type: this.types[slot] === TYPES.ok ? 'ok' : 'fail',
      queryId: this.queryNames[this.queries[slot] as number] as string,
    };
  }

  private ordinalOf(queryId: string): number {
    let ordinal = this.queryOrdinal.get(queryId);
    if (ordinal === undefined) {
      ordinal = this.queryNames.length;
      this.queryNames.push(queryId);
      this.queryOrdinal.set(queryId, ordinal);
    }
    return ordinal;
  }

  /** The slot holding `key`, or the empty slot where it would go (linear probing). */
  private find(key: Uint32Array, prefix: number): number {
    const mask = this.capacity - 1;
    for (let slot = (key[0] as number) & mask; ; slot = (slot + 1) & mask) {
      if (this.types[slot] === 0) return slot;
      const at = slot * WORDS;
      let same = this.prefixes[slot] === prefix;
      for (let w = 0; w < WORDS && same; w++) same = this.ids[at + w] === key[w];
      if (same) return slot;
    }
  }

  private grow(): void {
    const { ids, offsets, lengths, types, queries, prefixes, capacity } = this;
    this.capacity = capacity * 2;
    this.ids = new Uint32Array(this.capacity * WORDS);
    this.offsets = new Float64Array(this.capacity);
    this.lengths = new Uint32Array(this.capacity);
    this.types = new Uint8Array(this.capacity);
    this.queries = new Uint32Array(this.capacity);
    this.prefixes = new Uint8Array(this.capacity);
    for (let old = 0; old < capacity; old++) {
      if (types[old] === 0) continue;
      const key = ids.subarray(old * WORDS, old * WORDS + WORDS);
      const prefix = prefixes[old] as number;
      const slot = this.find(key, prefix);
      this.prefixes[slot] = prefix;
      this.ids.set(key, slot * WORDS);
      this.offsets[slot] = offsets[old] as number;
      this.lengths[slot] = lengths[old] as number;
      this.types[slot] = types[old] as number;
      this.queries[slot] = queries[old] as number;
    }
  }
}

function prefixOf(jobId: string): number {
  return jobId.startsWith('c') ? 1 : 0;
}

/** The 160 bits of a standard job id as five 32-bit words. */
function words(jobId: string): Uint32Array {
  const key = new Uint32Array(WORDS);
  for (let w = 0; w < WORDS; w++) key[w] = Number.parseInt(jobId.slice(2 + w * 8, 10 + w * 8), 16);
  return key;
}
