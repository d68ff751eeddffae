import { mulberry32 } from '../mulberry32.js';
import type { LabelledCandidate } from './labelled-candidate.js';

/** Score bands: interior edges ascending; band i holds scores with exactly i edges <= score. */
export interface ScoreBands {
  edges: readonly number[];
}

/**
 * Bands from label thresholds when given (sorted, repeats dropped), else `count` (default 5) equal-width
 * bands over [min, max] (one band when min === max, or when the range is not finite).
 */
export function scoreBands(range: { min: number; max: number }, thresholds?: readonly number[], count = 5): ScoreBands {
  if (thresholds !== undefined && thresholds.length > 0) return { edges: [...new Set(thresholds)].sort((a, b) => a - b) };
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`score bands: count must be a positive integer, got ${count}`);
  const { min, max } = range;
  if (!(Number.isFinite(min) && Number.isFinite(max) && max > min)) return { edges: [] };
  const edges: number[] = [];
  for (let i = 1; i < count; i++) edges.push(min + ((max - min) * i) / count);
  return { edges };
}

/** The band of `score`: how many edges are <= it (a NaN score is in band 0). */
export function bandOf(bands: ScoreBands, score: number): number {
  let low = 0;
  let high = bands.edges.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((bands.edges[mid] ?? Number.POSITIVE_INFINITY) <= score) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The bounds of band `band`: [lower, upper), -Infinity and Infinity at the ends. */
export function bandBounds(bands: ScoreBands, band: number): { lower: number; upper: number } {
  return { lower: bands.edges[band - 1] ?? Number.NEGATIVE_INFINITY, upper: bands.edges[band] ?? Number.POSITIVE_INFINITY };
}

export interface ReviewRow {
  candidate: LabelledCandidate;
  /** input label */
  label?: number;
}

/** A row with its pseudo-random key. */
interface Entry {
  key: number;
  row: ReviewRow;
}

/** One band's rows held for the sample. */
interface BandPool {
  /** The rows with the smallest keys, ascending: at most 3 * size. */
  smallest: Entry[];
  /** The smallest-key row of each of the `size` queries whose smallest key is smallest, ascending. */
  queryFirsts: Entry[];
  /** queryFirsts by query id. */
  firstOf: Map<string, Entry>;
}

/**
 * A stratified sample of rows for human review, by score band, in memory bounded by the sample size:
 * each band holds at most 4 * size rows, however many are added.
 *
 * Every row gets a pseudo-random key from a 32-bit FNV-1a hash of the seed, query id and doc id, mixed
 * through mulberry32, so the sample is the same whatever order rows are added in. A band holds its 3 * size
 * rows of smallest key, and the smallest-key row of each of the `size` queries whose smallest key is
 * smallest: enough to fill the whole sample alone, and to give it `size` distinct queries when the band has
 * that many.
 */
export class ReviewSampler {
  private readonly pools: BandPool[];
  private readonly seed: number;

  constructor(
    private readonly size: number,
    private readonly bands: ScoreBands,
    seed: number,
  ) {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`review sample: size must be a non-negative integer, got ${size}`);
    this.seed = seed >>> 0;
    this.pools = Array.from({ length: bands.edges.length + 1 }, () => ({ smallest: [], queryFirsts: [], firstOf: new Map<string, Entry>() }));
  }

  add(row: ReviewRow): void {
    if (this.size === 0) return;
    const { queryId, docId, score } = row.candidate;
    const pool = this.pools[bandOf(this.bands, score)];
    if (pool === undefined) return;
    const entry: Entry = { key: rowKey(this.seed, queryId, docId), row };
    keepSmallest(pool.smallest, entry, 3 * this.size);

    const first = pool.firstOf.get(queryId);
    if (first !== undefined) {
      if (compareEntries(entry, first) < 0) {
        remove(pool.queryFirsts, first);
        insertSorted(pool.queryFirsts, entry);
        pool.firstOf.set(queryId, entry);
      }
      return;
    }
    const last = pool.queryFirsts[pool.queryFirsts.length - 1];
    if (pool.queryFirsts.length >= this.size) {
      if (last === undefined || compareEntries(entry, last) >= 0) return;
      pool.queryFirsts.pop();
      pool.firstOf.delete(last.row.candidate.queryId);
    }
    insertSorted(pool.queryFirsts, entry);
    pool.firstOf.set(queryId, entry);
  }

  /** Rows held per band (a row held as both one of the smallest and a query's first counted twice). */
  get held(): number[] {
    return this.pools.map((pool) => pool.smallest.length + pool.queryFirsts.length);
  }

  /**
   * The sample: at most `size` rows, stratified, sorted by band, then query id, then rank.
   *
   * `size` is shared over the bands as evenly as possible (a band with fewer rows gives its unused share
   * to the others; a remainder goes to the lowest bands). Within a band rows are picked round-robin over its
   * queries (queries ordered by their smallest key, each query's rows by key), so the sample spreads over
   * queries.
   */
  sample(): { band: number; row: ReviewRow }[] {
    const held = this.pools.map(heldRows);
    const quotas = allocate(
      this.size,
      held.map((rows) => rows.length),
    );
    const out: { band: number; row: ReviewRow }[] = [];
    held.forEach((rows, band) => {
      for (const entry of roundRobin(rows, quotas[band] ?? 0)) out.push({ band, row: entry.row });
    });
    return out.sort((a, b) => a.band - b.band || compareText(a.row.candidate.queryId, b.row.candidate.queryId) || a.row.candidate.rank - b.row.candidate.rank || compareText(a.row.candidate.docId, b.row.candidate.docId));
  }
}

/** A band's distinct rows held, by key. */
function heldRows(pool: BandPool): Entry[] {
  return [...new Set([...pool.smallest, ...pool.queryFirsts])].sort(compareEntries);
}

/** `size` shared over bands holding `available` rows each: even shares, what a band cannot use passed on. */
function allocate(size: number, available: readonly number[]): number[] {
  const quotas = available.map(() => 0);
  let left = size;
  for (;;) {
    const open = available.flatMap((count, band) => (count > (quotas[band] ?? 0) ? [band] : []));
    if (left === 0 || open.length === 0) return quotas;
    const share = Math.floor(left / open.length);
    if (share === 0) {
      for (const band of open.slice(0, left)) quotas[band] = (quotas[band] ?? 0) + 1;
      return quotas;
    }
    for (const band of open) {
      const quota = quotas[band] ?? 0;
      const add = Math.min(share, (available[band] ?? 0) - quota);
      quotas[band] = quota + add;
      left -= add;
    }
  }
}

/** The first `count` of `entries` (ascending) taken round-robin over their queries. */
function roundRobin(entries: readonly Entry[], count: number): Entry[] {
  // Entries are ascending, so queries come in order of their smallest key and each query's rows by key.
  const byQuery = new Map<string, Entry[]>();
  for (const entry of entries) {
    const queryId = entry.row.candidate.queryId;
    const rows = byQuery.get(queryId);
    if (rows === undefined) byQuery.set(queryId, [entry]);
    else rows.push(entry);
  }
  const queries = [...byQuery.values()];
  const picked: Entry[] = [];
  for (let round = 0; picked.length < count; round++) {
    let any = false;
    for (const rows of queries) {
      const entry = rows[round];
      if (entry === undefined) continue;
      any = true;
      picked.push(entry);
      if (picked.length === count) break;
    }
    if (!any) break;
  }
  return picked;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function fnvByte(hash: number, byte: number): number {
  return Math.imul(hash ^ (byte & 0xff), FNV_PRIME) >>> 0;
}

/** FNV-1a over a 32-bit number's 4 bytes, little-endian. */
function fnvWord(hash: number, word: number): number {
  let h = hash;
  for (let shift = 0; shift < 32; shift += 8) h = fnvByte(h, word >>> shift);
  return h;
}

/** FNV-1a over a string's length then its UTF-16 code units (2 bytes each): "a"+"bc" differs from "ab"+"c". */
function fnvText(hash: number, text: string): number {
  let h = fnvWord(hash, text.length);
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    h = fnvByte(fnvByte(h, unit), unit >>> 8);
  }
  return h;
}

/** A row's key in [0, 1): FNV-1a of (seed, query id, doc id) mixed through mulberry32. */
function rowKey(seed: number, queryId: string, docId: string): number {
  return mulberry32(fnvText(fnvText(fnvWord(FNV_OFFSET, seed), queryId), docId))();
}

/** Code-unit order, not locale order: the same on every machine. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** An order on rows (ties of key broken by ids, then rank), so what is kept never depends on arrival order. */
function compareEntries(a: Entry, b: Entry): number {
  const x = a.row.candidate;
  const y = b.row.candidate;
  return a.key - b.key || compareText(x.queryId, y.queryId) || compareText(x.docId, y.docId) || x.rank - y.rank;
}

/** Where `entry` goes in the ascending `entries`. */
function insertionPoint(entries: readonly Entry[], entry: Entry): number {
  let low = 0;
  let high = entries.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    const at = entries[mid];
    if (at !== undefined && compareEntries(at, entry) < 0) low = mid + 1;
    else high = mid;
  }
  return low;
}

function insertSorted(entries: Entry[], entry: Entry): void {
  entries.splice(insertionPoint(entries, entry), 0, entry);
}

function remove(entries: Entry[], entry: Entry): void {
  const at = entries.indexOf(entry, insertionPoint(entries, entry));
  if (at >= 0) entries.splice(at, 1);
}

/** Keep `entry` among the `capacity` smallest of the ascending `entries`. */
function keepSmallest(entries: Entry[], entry: Entry, capacity: number): void {
  const last = entries[entries.length - 1];
  if (entries.length >= capacity) {
    if (last === undefined || compareEntries(entry, last) >= 0) return;
    entries.pop();
  }
  insertSorted(entries, entry);
}
