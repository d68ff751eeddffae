import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { SCORE_KEY_BYTES, type ScoreKeys } from './score-key.js';

/** A cached score: what the API answered for a pair, and when (ms since the epoch). */
export interface CachedScore {
  score: number;
  at: number;
  /** The identity's tag (ScoreKeys.tag). */
  tag: number;
  /** For a document scored as passages: [passages, index of the best one]. */
  passage?: [passages: number, best: number];
}

export interface CacheEntry extends CachedScore {
  key: Buffer;
}

/** A scored document as a batch carries it: its text as sent, or `copyOf` an earlier one (which holds the score). */
interface SentDocument {
  text: string;
  copyOf?: number | undefined;
}

/**
 * The cache entries of a scored batch: one per document sent (copies share their original's entry),
 * `scores[i]` and `passages[i]` being what the batch's result gives `docs[i]`.
 */
export function scoreEntries(
  scoreKeys: ScoreKeys,
  query: string,
  docs: readonly SentDocument[],
  scores: readonly (number | null)[],
  passages: readonly ([number, number] | null)[] | undefined,
  at: number,
): CacheEntry[] {
  const entries: CacheEntry[] = [];
  docs.forEach((doc, i) => {
    const score = scores[i];
    if (doc.copyOf !== undefined || typeof score !== 'number') return;
    const passage = passages?.[i];
    entries.push({ key: scoreKeys.key(query, doc.text), score, at, tag: scoreKeys.tag, ...(passage === undefined || passage === null ? {} : { passage }) });
  });
  return entries;
}

/**
 * Which cached scores a run may use, fixed when the run is first submitted so that a resumed run plans
 * the same batches: scores obtained at or before `asOf` (never the run's own, which are newer), and no
 * older than `maxAgeMs` before it; none with `refresh`.
 */
export interface CachePolicy {
  asOf: number;
  maxAgeMs?: number | undefined;
  refresh: boolean;
}

export function usable(entry: Pick<CachedScore, 'at'>, policy: CachePolicy): boolean {
  if (policy.refresh || entry.at > policy.asOf) return false;
  return policy.maxAgeMs === undefined || entry.at >= policy.asOf - policy.maxAgeMs;
}

/** The cache directory by XDG conventions: $XDG_CACHE_HOME/rerank-batch/scores, else ~/.cache/rerank-batch/scores. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME !== undefined && env.XDG_CACHE_HOME !== '' ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(base, 'rerank-batch', 'scores');
}

/** A value: score (float64), at (float64), tag (uint32), passages (uint16, 0: none), best passage (uint16). */
const VALUE_BYTES = 24;

function encodeValue(entry: CachedScore): Buffer {
  const value = Buffer.allocUnsafe(VALUE_BYTES);
  value.writeDoubleLE(entry.score, 0);
  value.writeDoubleLE(entry.at, 8);
  value.writeUInt32LE(entry.tag, 16);
  value.writeUInt16LE(entry.passage?.[0] ?? 0, 20);
  value.writeUInt16LE(entry.passage?.[1] ?? 0, 22);
  return value;
}

function decodeValue(value: Buffer): CachedScore | undefined {
  // Not one of ours (a newer format, or damage): a miss, scored again, never a wrong score.
  if (value.length !== VALUE_BYTES) return undefined;
  const passages = value.readUInt16LE(20);
  const entry: CachedScore = { score: value.readDoubleLE(0), at: value.readDoubleLE(8), tag: value.readUInt32LE(16) };
  if (passages > 0) entry.passage = [passages, value.readUInt16LE(22)];
  return entry;
}

/**
 * Address space reserved for the store's memory map up front (not disk, not memory: the file grows as
 * scores are added): grown step by step, lmdb-js maps the file anew at each step and the old maps stay
 * resident, a run's memory growing by as much again as the store. Not on Windows, where LMDB makes the
 * file as large as the map.
 */
const MAP_BYTES = process.platform === 'win32' ? undefined : 2 ** 38;

/** What `cache stats` shows. */
export interface CacheStats {
  dir: string;
  entries: number;
  /** Size of the store's data file. */
  bytes: number;
  oldest: number | undefined;
  newest: number | undefined;
  /** Scores per identity (provider, model, templates...), most first. */
  identities: { identity: string; entries: number }[];
  /** Pairs looked up by runs, and how many of them were usable hits. */
  lookups: number;
  hits: number;
}

/** What `cache prune` drops: entries obtained before `before` (ms), or of identities naming `model`; both given: either. */
export interface PruneFilter {
  before?: number | undefined;
  model?: string | undefined;
}

/** Counters kept beside the scores. */
interface Counters {
  lookups: number;
  hits: number;
}

/**
 * The score cache: an LMDB environment (the `lmdb` package) in one directory, with a database of scores
 * keyed by content (ScoreKeys), one of identities by tag, one of counters, and the cache's own id. LMDB lets several
 * processes of one machine read and write it at once (a `run`, its `collect`, `cache stats`) and commits
 * durably; it must not live on a network file system (LMDB's own rule: its locks are not shared there).
 */
export class ScoreCache {
  private constructor(
    readonly dir: string,
    private readonly root: RootDatabase,
    private readonly scores: Database<Buffer, Buffer>,
    private readonly identityTexts: Database<string, number>,
    private readonly counters: Database<Counters, string>,
    /** This cache's own id (random, made with it): says whether a score was stored here or in another machine's cache. */
    readonly id: string,
  ) {}

  /** Open (creating it when absent) the cache in `dir`. Throws ERR_CACHE_OPEN naming the directory. */
  static open(dir: string): ScoreCache {
    try {
      mkdirSync(dir, { recursive: true });
      const root = open({ path: dir, maxDbs: 4, ...(MAP_BYTES === undefined ? {} : { mapSize: MAP_BYTES }) });
      const scores = root.openDB<Buffer, Buffer>({ name: 'scores', keyEncoding: 'binary', encoding: 'binary' });
      const identities = root.openDB<string, number>({ name: 'identities', keyEncoding: 'uint32', encoding: 'string' });
      const counters = root.openDB<Counters, string>({ name: 'counters', encoding: 'json' });
      const meta = root.openDB<string, string>({ name: 'meta', encoding: 'string' });
      // In a write transaction, which LMDB runs one at a time over all processes: two first opens agree.
      const id = meta.transactionSync(() => {
        const known = meta.get('id');
        if (known !== undefined) return known;
        const made = randomUUID();
        meta.putSync('id', made);
        return made;
      });
      return new ScoreCache(dir, root, scores, identities, counters, id);
    } catch (err) {
      throw new RerankBatchError('ERR_CACHE_OPEN', `cannot open the score cache ${dir}: ${err instanceof Error ? err.message : String(err)}; give another --cache-dir, or --no-cache`, { cause: err });
    }
  }

  /** The cached score of a key, whatever its age (see `usable`). Synchronous: a read of the memory map. */
  get(key: Buffer): CachedScore | undefined {
    const value = this.scores.getBinary(key);
    return value === undefined ? undefined : decodeValue(value);
  }

  /**
   * Store scores in one transaction; resolves once it is committed (it then outlives this process), and
   * with `durable` once it and every earlier commit are flushed to disk (they then outlive a power cut).
   */
  async put(entries: readonly CacheEntry[], durable = true): Promise<void> {
    if (entries.length > 0) {
      await this.scores.transaction(() => {
        for (const entry of entries) void this.scores.put(entry.key, encodeValue(entry));
      });
    }
    // Every commit so far, this one's or earlier ones' (a worker's, not flushed).
    if (durable) await this.root.flushed;
  }

  /** Record an identity's text under its tag, for `cache stats` and `cache prune --model`. */
  async registerIdentity(tag: number, text: string): Promise<void> {
    if (this.identityTexts.get(tag) !== text) await this.identityTexts.put(tag, text);
  }

  /** Add a run's lookups and hits to the cache's counters (`cache stats` shows the hit rate). */
  async countLookups(lookups: number, hits: number): Promise<void> {
    if (lookups === 0) return;
    await this.counters.transaction(() => {
      const now = this.counters.get('lookups') ?? { lookups: 0, hits: 0 };
      void this.counters.put('lookups', { lookups: now.lookups + lookups, hits: now.hits + hits });
    });
  }

  /** Every entry, in key order (a read snapshot: writes meanwhile are not seen). */
  *entries(): Generator<CacheEntry> {
    for (const { key, value } of this.scores.getRange()) {
      const entry = decodeValue(value);
      if (entry !== undefined && key.length === SCORE_KEY_BYTES) yield { key, ...entry };
    }
  }

  /** The identities recorded, by tag. */
  identities(): Map<number, string> {
    const out = new Map<number, string>();
    for (const { key, value } of this.identityTexts.getRange()) out.set(key, value);
    return out;
  }

  /** Entries, size, age range, entries per identity, and the hit rate of the runs that used it. One pass over the entries. */
  stats(): CacheStats {
    let entries = 0;
    let oldest: number | undefined;
    let newest: number | undefined;
    const byTag = new Map<number, number>();
    for (const entry of this.entries()) {
      entries += 1;
      if (oldest === undefined || entry.at < oldest) oldest = entry.at;
      if (newest === undefined || entry.at > newest) newest = entry.at;
      byTag.set(entry.tag, (byTag.get(entry.tag) ?? 0) + 1);
    }
    const texts = this.identities();
    const identities = [...byTag].map(([tag, count]) => ({ identity: texts.get(tag) ?? `unknown identity ${tag.toString(16)}`, entries: count })).sort((a, b) => b.entries - a.entries);
    const { lookups, hits } = this.counters.get('lookups') ?? { lookups: 0, hits: 0 };
    return { dir: this.dir, entries, bytes: statSync(join(this.dir, 'data.mdb')).size, oldest, newest, identities, lookups, hits };
  }

  /** Drop the entries `filter` names; returns how many. */
  async prune(filter: PruneFilter): Promise<number> {
    const tags = new Set<number>();
    if (filter.model !== undefined) {
      for (const [tag, text] of this.identities()) if (modelOf(text) === filter.model) tags.add(tag);
    }
    const doomed: Buffer[] = [];
    let dropped = 0;
    const drop = async (): Promise<void> => {
      const keys = doomed.splice(0);
      await this.scores.transaction(() => {
        for (const key of keys) void this.scores.remove(key);
      });
      dropped += keys.length;
    };
    for (const entry of this.entries()) {
      if ((filter.before !== undefined && entry.at < filter.before) || tags.has(entry.tag)) doomed.push(entry.key);
      if (doomed.length >= 10_000) await drop();
    }
    await drop();
    await this.root.flushed;
    return dropped;
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}

/** The model an identity text names ('' when none). */
export function modelOf(identityText: string): string {
  try {
    const parsed: unknown = JSON.parse(identityText);
    if (typeof parsed === 'object' && parsed !== null && 'model' in parsed && typeof parsed.model === 'string') return parsed.model;
  } catch {
    // An identity written by a later version in another shape names no model we know.
  }
  return '';
}
