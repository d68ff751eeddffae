import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultCacheDir, ScoreCache, scoreEntries, usable, type CachePolicy } from '../../src/cache/score-cache.js';
import { ScoreKeys, SCORE_KEY_BYTES, type ScoreIdentity } from '../../src/cache/score-key.js';
import { RerankBatchError } from '../../src/errors/rerank-batch-error.js';
import { BatchPlanner, type PlannerCache, type PlannerOptions } from '../../src/plan/batch-planner.js';
import { QWEN3_FORMAT } from '../../src/rerank/prompt.js';

const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-score-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const IDENTITY: ScoreIdentity = {
  endpoint: 'https://api.example/v1/rerank',
  provider: 'regolo',
  model: 'Qwen3-Reranker-4B',
  queryTemplate: QWEN3_FORMAT.query,
  documentTemplate: QWEN3_FORMAT.document,
  instruction: 'Given a web search query, retrieve relevant passages that answer the query',
  maxTokensPerDoc: null,
  passages: null,
};

describe('score keys', () => {
  it('are 16 bytes, the same for the same identity and texts, different when anything that decides the score differs', () => {
    const keys = new ScoreKeys(IDENTITY);
    const key = keys.key('what is bm25', 'a ranking function');
    expect(key.length).toBe(SCORE_KEY_BYTES);
    expect(new ScoreKeys({ ...IDENTITY }).key('what is bm25', 'a ranking function').equals(key)).toBe(true);
    const others = [
      keys.key('what is bm25', 'a ranking function '),
      keys.key('what is bm25 ', 'a ranking function'),
      // The boundary between the texts is part of the key.
      keys.key('what is bm25a', ' ranking function'),
      new ScoreKeys({ ...IDENTITY, model: 'Qwen3-Reranker-8B' }).key('what is bm25', 'a ranking function'),
      new ScoreKeys({ ...IDENTITY, instruction: 'Judge relevance' }).key('what is bm25', 'a ranking function'),
      new ScoreKeys({ ...IDENTITY, endpoint: 'builtin' }).key('what is bm25', 'a ranking function'),
      new ScoreKeys({ ...IDENTITY, passages: { length: 100, stride: 50, maxBytes: null, maxPassages: 50 } }).key('what is bm25', 'a ranking function'),
    ];
    for (const other of others) expect(other.equals(key)).toBe(false);
    expect(new Set(others.map((k) => k.toString('hex'))).size).toBe(others.length);
  });
});

describe('the score cache (LMDB)', () => {
  it('keeps scores (bit for bit), their time, identity tag and best passage, across a reopen', async () => {
    const path = join(dir, 'reopen');
    const keys = new ScoreKeys(IDENTITY);
    const cache = ScoreCache.open(path);
    const docs = [{ text: 'alpha' }, { text: 'beta' }, { text: '', copyOf: 0 }, { text: 'gamma delta' }];
    const entries = scoreEntries(keys, 'q', docs, [0.1 + 0.2, 1e-300, 0.1 + 0.2, 0.75], [null, null, null, [3, 2]], 1_700_000_000_123);
    // The copy shares its original's entry.
    expect(entries).toHaveLength(3);
    await cache.put(entries);
    await cache.registerIdentity(keys.tag, keys.text);
    await cache.close();

    const again = ScoreCache.open(path);
    expect(again.get(keys.key('q', 'alpha'))).toEqual({ score: 0.1 + 0.2, at: 1_700_000_000_123, tag: keys.tag });
    expect(again.get(keys.key('q', 'beta'))?.score).toBe(1e-300);
    expect(again.get(keys.key('q', 'gamma delta'))).toEqual({ score: 0.75, at: 1_700_000_000_123, tag: keys.tag, passage: [3, 2] });
    expect(again.get(keys.key('q', 'epsilon'))).toBeUndefined();
    const stats = again.stats();
    expect(stats).toMatchObject({ entries: 3, oldest: 1_700_000_000_123, newest: 1_700_000_000_123, identities: [{ identity: keys.text, entries: 3 }] });
    expect(stats.bytes).toBeGreaterThan(0);
    await again.close();
  });

  it('prunes by age and by model, and counts the lookups runs made', async () => {
    const cache = ScoreCache.open(join(dir, 'prune'));
    const a = new ScoreKeys(IDENTITY);
    const b = new ScoreKeys({ ...IDENTITY, model: 'other-model' });
    await cache.put([
      { key: a.key('q', 'old'), score: 1, at: 1_000, tag: a.tag },
      { key: a.key('q', 'new'), score: 2, at: 5_000, tag: a.tag },
      { key: b.key('q', 'new'), score: 3, at: 5_000, tag: b.tag },
    ]);
    await cache.registerIdentity(a.tag, a.text);
    await cache.registerIdentity(b.tag, b.text);
    expect(await cache.prune({ before: 2_000 })).toBe(1);
    expect(await cache.prune({ model: 'other-model' })).toBe(1);
    expect(cache.get(a.key('q', 'new'))?.score).toBe(2);
    expect(cache.get(b.key('q', 'new'))).toBeUndefined();
    await cache.countLookups(10, 4);
    await cache.countLookups(5, 5);
    expect(cache.stats()).toMatchObject({ entries: 1, lookups: 15, hits: 9 });
    await cache.close();
  });

  it('refuses a directory it cannot use with ERR_CACHE_OPEN naming it', () => {
    const file = join(dir, 'a-file');
    rmSync(file, { force: true });
    writeFileSync(file, 'not a directory');
    const error = (() => {
      try {
        ScoreCache.open(join(file, 'cache'));
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RerankBatchError);
    expect(error).toMatchObject({ code: 'ERR_CACHE_OPEN' });
    expect(String((error as Error).message)).toContain(join(file, 'cache'));
  });

  it('lives under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/me' })).toBe('/var/cache/me/rerank-batch/scores');
    expect(defaultCacheDir({ HOME: '/home/me' }).endsWith(join('.cache', 'rerank-batch', 'scores'))).toBe(true);
  });
});

describe('which cached scores a run may use', () => {
  const policy: CachePolicy = { asOf: 100_000, refresh: false };
  it('those obtained before the run started, within the max age, none with refresh', () => {
    expect(usable({ at: 100_000 }, policy)).toBe(true);
    // Newer than the run: its own scores, never hits of the run that stored them (a resumed run plans the same batches).
    expect(usable({ at: 100_001 }, policy)).toBe(false);
    expect(usable({ at: 40_000 }, { ...policy, maxAgeMs: 60_000 })).toBe(true);
    expect(usable({ at: 39_999 }, { ...policy, maxAgeMs: 60_000 })).toBe(false);
    expect(usable({ at: 1 }, { ...policy, refresh: true })).toBe(false);
  });
});

describe('the planner with a score cache', () => {
  const options: PlannerOptions = {
    maxDocsPerRequest: 3,
    maxRequestBytes: 1 << 20,
    maxBufferedBytes: 1 << 20,
    format: QWEN3_FORMAT,
    instruction: IDENTITY.instruction,
    billing: { unit: 'request' },
  };
  const scoreKeys = new ScoreKeys(IDENTITY);
  const cached = new Map<string, number>([
    ['q1 d1', 0.9],
    ['q1 d2', 0.8],
    ['q1 d4', 0.6],
    ['q1 d5', 0.5],
  ]);
  const cache: PlannerCache = {
    scoreKeys,
    lookup: (key) => {
      for (const [pair, score] of cached) if (scoreKeys.key('query one', `text of ${pair.split(' ')[1] ?? ''}`).equals(key)) return { score, at: 1, tag: scoreKeys.tag };
      return undefined;
    },
  };

  it('packs the misses of a query into full requests and the hits into cached batches that count the requests saved', () => {
    const planner = new BatchPlanner(options, 'pairs.csv', cache);
    const batches = [];
    for (let i = 1; i <= 7; i++) batches.push(...planner.add({ line: i + 1, queryId: 'q1', query: 'query one', docId: `d${i}`, document: `text of d${i}` }));
    batches.push(...planner.flush());
    const sent = batches.filter((batch) => batch.cached === undefined);
    const fromCache = batches.filter((batch) => batch.cached !== undefined);
    // d3, d6, d7 missed: one full request of 3, not three partial ones.
    expect(sent.map((batch) => batch.docs.map((doc) => doc.id))).toEqual([['d3', 'd6', 'd7']]);
    expect(fromCache.map((batch) => batch.docs.map((doc) => doc.id))).toEqual([['d1', 'd2', 'd4'], ['d5']]);
    expect(fromCache.flatMap((batch) => batch.cached?.map((hit) => hit.score))).toEqual([0.9, 0.8, 0.6, 0.5]);
    // Cached batches carry no text.
    expect(fromCache.flatMap((batch) => batch.docs.map((doc) => doc.text))).toEqual(['', '', '', '']);
    expect(planner.totals).toMatchObject({ pairs: 7, batches: 3, requests: 1, texts: 3, cacheHits: 4, cacheMisses: 3, requestsSaved: 2 });
  });
});
