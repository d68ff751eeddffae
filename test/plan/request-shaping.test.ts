import { describe, expect, it } from 'vitest';
import { splitPassages } from '../../jobs/passages.js';
import { JOB_CONTRACT_VERSION, parseRerankJobPayload, type RerankJobPayload } from '../../jobs/rerank-job.js';
import type { Pair } from '../../src/interfaces.js';
import { plannerOptionsOf, requestShapeOf } from '../../src/options/request-shape.js';
import { resolveOptions } from '../../src/options/resolve-options.js';
import { BatchPlanner, type PlannedBatch, type PlannerOptions } from '../../src/plan/batch-planner.js';
import { DEFAULT_INSTRUCTION, formatQuery, QWEN3_FORMAT, RAW_FORMAT } from '../../src/rerank/prompt.js';
import { batchTexts } from '../../workers/batch-texts.js';

/** The planner options `submit` derives from these options (over the defaults: regolo, qwen3, billed per request). */
function plannerOf(api: Record<string, unknown> = {}): PlannerOptions {
  return plannerOptionsOf(requestShapeOf(resolveOptions('submit', { api: { input: 'x', ...api }, env: {} }).options));
}

const DEFAULT_PLANNER = plannerOf();

function pair(queryId: string, docId: string, document: string, extra: Partial<Pair> = {}): Pair {
  return { queryId, query: `query ${queryId}`, docId, document, line: 1, ...extra };
}

/** A text of `n` distinct words, tagged so that texts of different tags differ. */
function words(n: number, tag = 'w'): string {
  return Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');
}

function plan(pairs: Array<Pair & { emptyText?: boolean }>, options: Partial<PlannerOptions> = {}): { batches: PlannedBatch[]; planner: BatchPlanner } {
  const planner = new BatchPlanner({ ...DEFAULT_PLANNER, maxBufferedBytes: 1 << 30, ...options }, 'in.csv');
  const batches = pairs.flatMap((p) => planner.add(p));
  return { batches: [...batches, ...planner.flush()], planner };
}

/** The job payload of a batch, checked by the job contract's schema as a worker would. */
function payloadOf(batch: PlannedBatch): RerankJobPayload {
  const data: RerankJobPayload = { v: JOB_CONTRACT_VERSION, runId: 'r-test', queryId: batch.queryId, query: batch.query, docs: batch.docs };
  if (batch.unscored === true) data.unscored = true;
  return parseRerankJobPayload(data);
}

describe('planner: identical documents of a query in one request', () => {
  it('sends them once: the copy names its original and carries no text; counted in deduplicated', () => {
    const { batches, planner } = plan([pair('q', 'a', 'alpha'), pair('q', 'b', 'beta'), pair('q', 'c', 'alpha'), pair('q', 'd', 'gamma'), pair('q', 'e', 'alpha', { score: 2, rank: 5 })]);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.docs).toEqual([
      { id: 'a', text: 'alpha' },
      { id: 'b', text: 'beta' },
      { id: 'c', text: '', copyOf: 0 },
      { id: 'd', text: 'gamma' },
      { id: 'e', text: '', copyOf: 0, score: 2, rank: 5 },
    ]);
    // The worker sends three texts and gives the copies their original's score.
    expect(batchTexts(payloadOf(batches[0] as PlannedBatch).docs, undefined).texts).toEqual(['alpha', 'beta', 'gamma']);
    expect(planner.totals).toMatchObject({ pairs: 5, batches: 1, requests: 1, texts: 3, deduplicated: 2 });
  });

  it('does not let copies take room: they do not count towards maxDocsPerRequest', () => {
    const { batches, planner } = plan([pair('q', 'a', 'alpha'), pair('q', 'b', 'alpha'), pair('q', 'c', 'alpha'), pair('q', 'd', 'beta'), pair('q', 'e', 'gamma')], { maxDocsPerRequest: 2 });
    expect(batches.map((b) => b.docs.map((d) => d.id))).toEqual([['a', 'b', 'c', 'd'], ['e']]);
    expect(planner.totals).toMatchObject({ batches: 2, requests: 2, texts: 3, deduplicated: 2 });
  });

  it('sends the same text again in another request, for another query, and in unscored batches', () => {
    const { batches, planner } = plan(
      [
        pair('q', 'a', 'alpha'),
        pair('q', 'b', 'beta'),
        // The first batch of q closed at 2 texts: alpha is sent again in the next one.
        pair('q', 'c', 'alpha'),
        pair('p', 'a', 'alpha'),
        { ...pair('q', 'x', ''), emptyText: true },
        { ...pair('q', 'y', ''), emptyText: true },
      ],
      { maxDocsPerRequest: 2 },
    );
    expect(batches.flatMap((b) => b.docs).some((d) => d.copyOf !== undefined)).toBe(false);
    expect(planner.totals).toMatchObject({ pairs: 6, deduplicated: 0, texts: 4, requests: 3, batches: 4 });
    for (const batch of batches) expect(() => payloadOf(batch)).not.toThrow();
  });
});

describe('planner: --passages', () => {
  const windows = { length: 4, stride: 2 };

  it('splits a long document into passages, counts them, and keeps a short one whole', () => {
    // 10 words in windows of 4 every 2: passages at 0, 2, 4, 6 (the last reaching the end).
    const { batches, planner } = plan([pair('q', 'long', words(10)), pair('q', 'short', words(4, 's'))], { passages: windows });
    expect(batches).toHaveLength(1);
    expect(batches[0]?.docs).toEqual([
      { id: 'long', text: words(10), passages: 4 },
      { id: 'short', text: words(4, 's') },
    ]);
    expect(planner.totals).toMatchObject({ split: 1, passages: 4, passagesCut: 0, texts: 5, requests: 1 });
    // What the worker sends is what the planner counted.
    const sent = batchTexts(payloadOf(batches[0] as PlannedBatch).docs, windows).texts;
    expect(sent).toEqual(['w0 w1 w2 w3', 'w2 w3 w4 w5', 'w4 w5 w6 w7', 'w6 w7 w8 w9', words(4, 's')]);
  });

  it('keeps all passages of a document in one batch, never more than maxDocsPerRequest texts', () => {
    // Each document: 10 words -> 4 passages; at most 5 texts a request -> one document a batch.
    const pairs = Array.from({ length: 5 }, (_, i) => pair('q', `d${i}`, words(10, `t${i}-`)));
    const { batches, planner } = plan(pairs, { passages: windows, maxDocsPerRequest: 5 });
    expect(batches.map((b) => b.docs.map((d) => [d.id, d.passages]))).toEqual(pairs.map((p) => [[p.docId, 4]]));
    const sent = batches.map((b) => batchTexts(payloadOf(b).docs, windows).texts.length);
    expect(sent).toEqual([4, 4, 4, 4, 4]);
    expect(planner.totals).toMatchObject({ batches: 5, requests: 5, texts: 20, split: 5, passages: 20, passagesCut: 0 });
  });

  it('fills a batch with passages and whole documents up to maxDocsPerRequest texts', () => {
    const pairs = [pair('q', 'a', words(10, 'a')), pair('q', 'b', 'short one'), pair('q', 'c', 'short two'), pair('q', 'd', words(10, 'd'))];
    const { batches } = plan(pairs, { passages: windows, maxDocsPerRequest: 6 });
    // a (4) + b + c = 6 texts: full, closed; d's 4 passages go to the next.
    expect(batches.map((b) => b.docs.map((d) => d.id))).toEqual([['a', 'b', 'c'], ['d']]);
    for (const batch of batches) expect(batchTexts(batch.docs, windows).texts.length).toBeLessThanOrEqual(6);
  });

  it('caps a document at maxDocsPerRequest passages, counted in passagesCut', () => {
    // 20 words in windows of 4 every 2 would be 9 passages; 5 at most.
    expect(splitPassages(words(20), windows, 100).passages).toHaveLength(9);
    const { batches, planner } = plan([pair('q', 'huge', words(20)), pair('q', 'next', words(10, 'n'))], { passages: windows, maxDocsPerRequest: 5 });
    expect(batches.map((b) => b.docs.map((d) => [d.id, d.passages]))).toEqual([[['huge', 5]], [['next', 4]]]);
    expect(planner.totals).toMatchObject({ split: 2, passages: 9, passagesCut: 1, texts: 9, requests: 2 });
    // The cut document's passages are its first five windows.
    expect(batchTexts(batches[0]?.docs ?? [], windows).texts).toEqual(splitPassages(words(20), windows, 100).passages.slice(0, 5));
  });

  it('deduplicates a long document before splitting it again', () => {
    const { batches, planner } = plan([pair('q', 'a', words(10)), pair('q', 'b', words(10))], { passages: windows });
    expect(batches[0]?.docs).toEqual([
      { id: 'a', text: words(10), passages: 4 },
      { id: 'b', text: '', copyOf: 0 },
    ]);
    expect(planner.totals).toMatchObject({ split: 1, passages: 4, texts: 4, deduplicated: 1 });
  });
});

describe('planner: maxTokensPerRequest', () => {
  it('closes a batch before its approximate tokens (query tokens x texts + text tokens) pass the cap', () => {
    // Raw text: the query 'query q' is 7 bytes = 2 tokens; each document 40 bytes = 10 tokens; 12 a text.
    const docs = Array.from({ length: 7 }, (_, i) => pair('q', `d${i}`, `${i}`.padEnd(40, 'x')));
    const { batches, planner } = plan(docs, { format: RAW_FORMAT, maxDocsPerRequest: 100, maxTokensPerRequest: 40 });
    // 3 x 12 = 36 fits under 40; a fourth (48) would not.
    expect(batches.map((b) => b.docs.length)).toEqual([3, 3, 1]);
    expect(planner.totals).toMatchObject({ requests: 3, texts: 7, tokens: 36 + 36 + 12, characters: 7 * 40 + 3 * 'query q'.length });
    // Without the cap, one batch.
    expect(plan(docs, { format: RAW_FORMAT, maxDocsPerRequest: 100 }).batches).toHaveLength(1);
  });

  it('counts the texts as sent: the Qwen3 tags and instruction make fewer documents fit', () => {
    const docs = Array.from({ length: 40 }, (_, i) => pair('q', `d${i}`, `${i}`.padEnd(40, 'x')));
    const queryTokens = Math.ceil(Buffer.byteLength(formatQuery('query q', QWEN3_FORMAT, DEFAULT_INSTRUCTION)) / 4);
    const docTokens = Math.ceil((40 + '<Document>: '.length) / 4);
    const perText = queryTokens + docTokens;
    const limit = 4 * perText + 1;
    const { batches, planner } = plan(docs, { format: QWEN3_FORMAT, instruction: DEFAULT_INSTRUCTION, maxDocsPerRequest: 100, maxTokensPerRequest: limit });
    expect(perText).toBeGreaterThan(12);
    expect(batches.map((b) => b.docs.length)).toEqual(Array(10).fill(4));
    expect(planner.totals.tokens).toBe(40 * perText);
    // The same cap on raw text takes far more of them (2 + 10 tokens a text).
    expect(plan(docs, { format: RAW_FORMAT, maxDocsPerRequest: 100, maxTokensPerRequest: limit }).batches.map((b) => b.docs.length)[0]).toBe(Math.floor(limit / 12));
  });

  it('takes the cap from the provider (voyage: 600K tokens) unless the user sets one', () => {
    expect(plannerOf({ provider: 'voyage' }).maxTokensPerRequest).toBe(600_000);
    expect(plannerOf({ provider: 'voyage', maxTokensPerRequest: 1000 }).maxTokensPerRequest).toBe(1000);
    expect(DEFAULT_PLANNER.maxTokensPerRequest).toBeUndefined();
  });
});

describe('planner: billing units and requests', () => {
  const candidates = (n: number, queryId = 'q'): Pair[] => Array.from({ length: n }, (_, i) => pair(queryId, `d${i}`, `document ${queryId} ${i}`));

  it.each([
    [100, 1, 1],
    [1000, 1, 1],
    [50, 2, 2],
    [30, 4, 4],
  ])('cohere: a query of 100 candidates at maxDocsPerRequest %i is %i request(s) and %i search unit(s)', (maxDocsPerRequest, requests, units) => {
    const options = plannerOf({ provider: 'cohere', maxDocsPerRequest });
    expect(options.billing).toEqual({ unit: 'search-unit', documentsPerUnit: 100 });
    const { planner } = plan(candidates(100), options);
    expect(planner.totals).toMatchObject({ requests, units, texts: 100 });
  });

  it('cohere: 101 candidates in one request are 2 search units; two queries of 100 are 2', () => {
    expect(plan(candidates(101), plannerOf({ provider: 'cohere' })).planner.totals).toMatchObject({ requests: 1, units: 2 });
    expect(plan([...candidates(100, 'a'), ...candidates(100, 'b')], plannerOf({ provider: 'cohere' })).planner.totals).toMatchObject({ requests: 2, units: 2 });
  });

  it('cohere: passages are billed as the documents they are sent as', () => {
    const long = Array.from({ length: 30 }, (_, i) => pair('q', `d${i}`, words(10, `t${i}-`)));
    const { planner } = plan(long, { ...plannerOf({ provider: 'cohere' }), passages: { length: 4, stride: 2 } });
    // 30 documents x 4 passages = 120 texts in one request of at most 1000: 2 units.
    expect(planner.totals).toMatchObject({ requests: 1, texts: 120, units: 2 });
  });

  it('regolo (the default): one unit per request', () => {
    expect(DEFAULT_PLANNER.billing).toEqual({ unit: 'request' });
    const { planner } = plan([...candidates(120), ...candidates(7, 'b')]);
    // 120 at 50 a request: 3 requests; 7: 1.
    expect(planner.totals).toMatchObject({ requests: 4, units: 4, texts: 127 });
  });

  it('token billing (jina): the units are the approximate tokens', () => {
    const options = plannerOf({ provider: 'jina' });
    expect(options.billing).toEqual({ unit: 'token' });
    const docs = Array.from({ length: 3 }, (_, i) => pair('q', `d${i}`, `${i}`.padEnd(40, 'x')));
    const { planner } = plan(docs, options);
    // jina-reranker-v2 is no Qwen3 reranker: raw text, 2 query tokens + 10 per document.
    expect(options.format).toEqual(RAW_FORMAT);
    expect(planner.totals).toMatchObject({ requests: 1, tokens: 36, units: 36 });
  });

  it('counts a request per batch that is sent: unscored batches are none', () => {
    const pairs: Array<Pair & { emptyText?: boolean }> = [];
    for (let i = 0; i < 9; i++) pairs.push(pair(`q${i % 3}`, `d${i}`, `text ${i}`));
    for (let i = 0; i < 4; i++) pairs.push({ ...pair(`q${i % 2}`, `e${i}`, ''), emptyText: true });
    const { batches, planner } = plan(pairs, { maxDocsPerRequest: 2 });
    const scored = batches.filter((b) => b.unscored !== true);
    expect(batches.length - scored.length).toBe(2);
    expect(planner.totals.batches).toBe(batches.length);
    expect(planner.totals.requests).toBe(scored.length);
    expect(planner.totals.units).toBe(scored.length);
    expect(planner.totals.texts).toBe(9);
  });
});
