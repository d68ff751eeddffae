import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { run as runPipeline, type RunReport } from '../../src/orchestrate/run-pipeline.js';
import type { RunOptions } from '../../src/options/run-options.js';
import { PROVIDERS, PROVIDER_NAMES, type ProviderName } from '../../src/rerank/providers/index.js';
import { scoreDocuments, stripDocumentTags, stripQueryTags } from '../../src/serve/bm25-scorer.js';
import { startRerankServer, type RecordedRequest, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { captureLogs } from '../helpers/log-capture.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cleanups = cleanupAfterAll();

/**
 * test/fixtures/shaping-pairs.csv, 4 queries and 18 pairs, rows of the queries interleaved:
 * - q1 (7 pairs): d1 short; d2 empty; d3 three spaces; d4 = d1; d5 short; d6 60 words, 345 bytes (the
 *   query's words in its last 20 only, no word repeated in its first 40); d7 = d6.
 * - q2 (5 pairs): e1 short; e2 45 three-letter words, 182 bytes; e3 tab-space-tab; e4 14 words, 215 bytes,
 *   a two-byte "ü" on bytes 200-201; e5 = e1.
 * - q3 (2 pairs): the query is three spaces: both pairs have an empty text.
 * - q4 (4 pairs): f1 = f2 = f3 (the same text as d1, another query: not a copy of it); f4 short.
 */
const FIXTURE = join(repoRoot, 'test', 'fixtures', 'shaping-pairs.csv');
/** 50 approximate tokens: 200 UTF-8 bytes. */
const MAX_TOKENS_PER_DOC = 50;
const MAX_DOC_BYTES = MAX_TOKENS_PER_DOC * 4;
const PASSAGES = { length: 20, stride: 10 };

interface Row {
  query_id: string;
  query: string;
  doc_id: string;
  document: string;
}
const ROWS = parse(await readFile(FIXTURE), { columns: true }) as Row[];
const ROW = new Map(ROWS.map((row) => [row.doc_id, row]));
const row = (docId: string): Row => {
  const found = ROW.get(docId);
  if (found === undefined) throw new Error(`no row ${docId} in the fixture`);
  return found;
};

/** What the fixture's rows are, by hand. */
const EMPTY_TEXT = ['d2', 'd3', 'e3', 'x1', 'x2'];
const COPIES: Record<string, string> = { d4: 'd1', d7: 'd6', e5: 'e1', f2: 'f1', f3: 'f1' };
const OVER_TOKEN_CAP = ['d6', 'd7', 'e4'];
/** With --passages 20,10: 60 words -> windows at 0, 10, 20, 30, 40; 45 words -> at 0, 10, 20, 30. */
const SPLIT: Record<string, number> = { d6: 5, d7: 5, e2: 4 };

/** The fixture's own facts, so that the figures below are about the fixture they claim to be about. */
describe('the shaping fixture', () => {
  it('holds what the hand counts assume', () => {
    expect(ROWS).toHaveLength(18);
    for (const id of EMPTY_TEXT) expect(`${row(id).query}|${row(id).document}`.split('|').some((text) => text.trim() === ''), id).toBe(true);
    for (const [copy, of] of Object.entries(COPIES)) {
      expect(row(copy).document, copy).toBe(row(of).document);
      expect(row(copy).query_id, copy).toBe(row(of).query_id);
    }
    expect(row('f1').document).toBe(row('d1').document);
    expect(ROWS.filter((r) => Buffer.byteLength(r.document) > MAX_DOC_BYTES).map((r) => r.doc_id).sort()).toEqual(OVER_TOKEN_CAP.slice().sort());
    expect(words(row('d6').document)).toHaveLength(60);
    expect(words(row('e2').document)).toHaveLength(45);
    expect(words(row('e4').document).length).toBeLessThanOrEqual(PASSAGES.length);
    expect(Buffer.byteLength(row('e2').document)).toBeLessThanOrEqual(MAX_DOC_BYTES);
    // The cut falls inside the "ü": 199 bytes are kept.
    expect(Buffer.from(row('e4').document).subarray(199, 201).toString()).toBe('ü');
    expect(Buffer.byteLength(truncated(row('e4').document))).toBe(199);
  });
});

function words(text: string): string[] {
  return text.split(/\s+/).filter((word) => word !== '');
}

/** The longest prefix of whole characters within MAX_DOC_BYTES. */
function truncated(text: string): string {
  let out = '';
  for (const ch of text) {
    if (Buffer.byteLength(out + ch) > MAX_DOC_BYTES) break;
    out += ch;
  }
  return out;
}

/** Windows of `length` words every `stride`, the last one reaching the end (PyTerrier's sliding window). */
function passagesOf(text: string): string[] {
  const all = words(text);
  if (all.length <= PASSAGES.length) return [text];
  const out: string[] = [];
  for (let start = 0; ; start += PASSAGES.stride) {
    out.push(all.slice(start, start + PASSAGES.length).join(' '));
    if (start + PASSAGES.length >= all.length) return out;
  }
}

interface RankedLine {
  query_id: string;
  results: { doc_id: string; score: number | null; rank: number; passages?: number; best_passage?: number }[];
}

interface Manifest {
  counts: Record<string, number>;
  planned: { requests: number; texts: number };
}

interface Outcome {
  report: RunReport;
  server: RunningRerankServer;
  log: RecordedRequest[];
  trec: string;
  ranked: RankedLine[];
  manifest: Manifest;
}

async function runFixture(dialect: ProviderName, options: Partial<RunOptions>): Promise<Outcome> {
  const server = await startRerankServer({ dialect, recordRequests: true });
  cleanups.push(() => server.close());
  const dir = await tempDir(`shaping-${dialect}`);
  const prefix = uniquePrefix(`shaping-${dialect}`);
  cleanups.push(dir.remove, () => deletePrefix(redisUrl(), prefix));
  const out = join(dir.dir, 'out');
  const { logger } = captureLogs('error');
  const report = await runPipeline(
    { input: FIXTURE, out, redis: redisUrl(), prefix, apiUrl: server.url, provider: dialect, onEmptyText: 'score-lowest', concurrency: 8, ...options },
    { logger, env: { ...process.env, RERANK_API_URL: '', RERANK_API_KEY: '' } },
  );
  const trec = await readFile(join(out, 'ranked.trec'), 'utf8');
  const ranked = (await readFile(join(out, 'ranked.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as RankedLine);
  const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as Manifest;
  return { report, server, log: server.stats.requestLog ?? [], trec, ranked, manifest };
}

/** A request as the scorer reads it: the query and documents without template tags. */
function plain(request: RecordedRequest): { query: string; documents: string[] } {
  return { query: stripQueryTags(request.query), documents: request.documents.map(stripDocumentTags) };
}

/** Checks every run of the fixture passes, whatever the dialect and shaping. */
function expectCleanRun(o: Outcome): void {
  expect(o.report.outcome).toBe('complete');
  expect(o.report.summary.failedPairs).toBe(0);
  expect(o.report.summary.failedBatches).toBe(0);
  // Nothing was refused: no empty document, no copy, nothing over a limit reached the server.
  expect(o.server.stats.byStatus).toEqual({ 200: o.server.stats.requests });
  expect(o.server.stats.requests).toBe(3);
  expect(o.log).toHaveLength(3);

  const emptyTexts = new Set(['some text about wings', 'more text about flow']);
  const queries = new Set<string>();
  for (const request of o.log) {
    const { query, documents } = plain(request);
    expect(query.trim(), 'an empty query was sent').not.toBe('');
    queries.add(query);
    for (const document of documents) {
      expect(document.trim(), `an empty document was sent for "${query}"`).not.toBe('');
      // q3's documents are fine, but their query is empty: never sent.
      expect(emptyTexts.has(document), document).toBe(false);
    }
    // Identical documents of the query are sent once.
    expect(new Set(documents).size, `repeated documents in one request for "${query}"`).toBe(documents.length);
  }
  // One request per query with a text to score; the same text under two queries is sent under each.
  expect([...queries].sort()).toEqual([row('d1').query, row('e1').query, row('f1').query].sort());
  const f1Requests = o.log.filter((r) => plain(r).documents.includes(row('f1').document));
  expect(f1Requests).toHaveLength(2);

  // Every pair in ranked.trec once.
  const lines = o.trec.trim().split('\n');
  expect(lines).toHaveLength(ROWS.length);
  expect(new Set(lines.map((line) => line.split(' ').slice(0, 3).join(' ')))).toEqual(new Set(ROWS.map((r) => `${r.query_id} Q0 ${r.doc_id}`)));

  // ranked.jsonl: every pair once; the empty texts ranked after every scored pair of their query.
  expect(o.ranked.map((q) => q.query_id).sort()).toEqual(['q1', 'q2', 'q3', 'q4']);
  for (const q of o.ranked) {
    const ids = q.results.map((r) => r.doc_id);
    expect(ids.slice().sort()).toEqual(ROWS.filter((r) => r.query_id === q.query_id).map((r) => r.doc_id).sort());
    const firstEmpty = ids.findIndex((id) => EMPTY_TEXT.includes(id));
    if (firstEmpty !== -1) expect(ids.slice(firstEmpty).every((id) => EMPTY_TEXT.includes(id)), `${q.query_id}: ${ids.join(' ')}`).toBe(true);
  }
}

function resultOf(o: Outcome, docId: string): RankedLine['results'][number] {
  const { query_id: queryId } = row(docId);
  const found = o.ranked.find((q) => q.query_id === queryId)?.results.find((r) => r.doc_id === docId);
  if (found === undefined) throw new Error(`${docId} is not in ranked.jsonl`);
  return found;
}

/**
 * Each scored document's score is the best of the scores the server gave its texts as sent (its one
 * text, or its passages: MaxP), recomputed here with the server's BM25 over the request as received.
 * Returns the best passage's index of each document.
 */
function expectScoresFromRequests(o: Outcome, sentTexts: (docId: string) => string[]): Map<string, number> {
  const best = new Map<string, number>();
  for (const r of ROWS) {
    if (EMPTY_TEXT.includes(r.doc_id)) continue;
    const request = o.log.find((entry) => plain(entry).query === r.query);
    expect(request, r.doc_id).toBeDefined();
    const { query, documents } = plain(request as RecordedRequest);
    const texts = sentTexts(r.doc_id);
    const start = documents.indexOf(texts[0] as string);
    expect(start, `${r.doc_id}: its first text was not sent`).toBeGreaterThanOrEqual(0);
    expect(documents.slice(start, start + texts.length), `${r.doc_id}: its texts were not sent together`).toEqual(texts);
    const scores = scoreDocuments(query, documents).slice(start, start + texts.length);
    const max = Math.max(...scores);
    const result = resultOf(o, r.doc_id);
    expect(result.score, r.doc_id).toBe(max);
    best.set(r.doc_id, scores.indexOf(max));
  }
  return best;
}

const trecByDialect = new Map<ProviderName, string>();

describe('a messy corpus through every dialect (--on-empty-text score-lowest, --max-tokens-per-doc 50)', () => {
  it.each(PROVIDER_NAMES)('%s', async (dialect) => {
    const o = await runFixture(dialect, { maxTokensPerDoc: MAX_TOKENS_PER_DOC });
    expectCleanRun(o);

    // Documents over the cap are sent cut to 200 bytes on a character boundary; the others whole.
    for (const request of o.log) for (const document of plain(request).documents) expect(Buffer.byteLength(document)).toBeLessThanOrEqual(MAX_DOC_BYTES);
    const sent = (docId: string): string[] => [truncated(row(COPIES[docId] ?? docId).document)];
    expectScoresFromRequests(o, sent);
    const sentAll = o.log.flatMap((request) => plain(request).documents);
    for (const id of ['d6', 'e4']) {
      expect(sentAll).toContain(truncated(row(id).document));
      expect(sentAll).not.toContain(row(id).document);
    }
    // A copy gets its original's score, and no passages.
    for (const [copy, of] of Object.entries(COPIES)) {
      expect(resultOf(o, copy).score, copy).toBe(resultOf(o, of).score);
      expect(resultOf(o, copy).passages, copy).toBeUndefined();
    }

    // By hand: q1 sends d1 d5 d6, q2 e1 e2 e4, q4 f1 f4.
    expect(o.manifest.counts).toMatchObject({
      queries: 4,
      pairs: 18,
      failed_pairs: 0,
      empty_text_not_sent: EMPTY_TEXT.length,
      identical_documents_sent_once: Object.keys(COPIES).length,
      truncated_documents: OVER_TOKEN_CAP.length,
      documents_split: 0,
      passages: 0,
      documents_passages_cut: 0,
      api_requests: 3,
    });
    expect(o.manifest.planned).toMatchObject({ requests: 3, texts: 8 });
    expect(o.log.reduce((sum, request) => sum + request.documents.length, 0)).toBe(8);
    expect(o.ranked.flatMap((q) => q.results).some((r) => r.passages !== undefined || r.best_passage !== undefined)).toBe(false);

    // The same BM25 in every dialect: the same ranking.
    trecByDialect.set(dialect, o.trec);
    const first = trecByDialect.values().next().value as string;
    expect(o.trec === first, `ranked.trec of ${dialect} differs from ${[...trecByDialect.keys()][0]}'s`).toBe(true);
    console.info(`[shaping ${dialect}] ${PROVIDERS[dialect].path} requests=${o.server.stats.requests} texts=${o.manifest.planned.texts}`);
  });
});

describe('the messy corpus with --passages 20,10 (MaxP)', () => {
  it.each(['regolo', 'tei'] as const)('%s: long documents as passages, each scored by its best one', async (dialect) => {
    const o = await runFixture(dialect, { passages: `${PASSAGES.length},${PASSAGES.stride}` });
    expectCleanRun(o);

    // Sent: the passages of d6 (5) and e2 (4), e4 whole (14 words: one passage, itself), the rest whole.
    const sent = (docId: string): string[] => passagesOf(row(COPIES[docId] ?? docId).document);
    expect(sent('d6')).toHaveLength(5);
    expect(sent('e2')).toHaveLength(4);
    expect(sent('e4')).toEqual([row('e4').document]);
    const best = expectScoresFromRequests(o, sent);

    for (const [docId, count] of Object.entries(SPLIT)) {
      const result = resultOf(o, docId);
      expect(result.passages, docId).toBe(count);
      expect(result.best_passage, docId).toBe(best.get(COPIES[docId] ?? docId));
      expect(result.best_passage, docId).toBeGreaterThanOrEqual(0);
      expect(result.best_passage, docId).toBeLessThan(count);
    }
    // The query words of d6 are in its last 20 words only: its best passage is not its first.
    expect(resultOf(o, 'd6').best_passage).toBe(4);
    // Documents not split carry no passage fields.
    for (const q of o.ranked) for (const r of q.results) if (!(r.doc_id in SPLIT)) expect(r.passages, r.doc_id).toBeUndefined();

    expect(o.manifest.counts).toMatchObject({
      queries: 4,
      pairs: 18,
      failed_pairs: 0,
      empty_text_not_sent: EMPTY_TEXT.length,
      identical_documents_sent_once: Object.keys(COPIES).length,
      truncated_documents: 0,
      // d6 and e2; d7 is d6's copy, sent once as d6's passages.
      documents_split: 2,
      passages: 9,
      documents_passages_cut: 0,
      api_requests: 3,
    });
    // q1: d1 d5 + 5 passages; q2: e1 + 4 passages + e4; q4: f1 f4.
    expect(o.manifest.planned).toMatchObject({ requests: 3, texts: 15 });
    expect(o.log.reduce((sum, request) => sum + request.documents.length, 0)).toBe(15);
  });
});

describe('counts and caps around empty texts and passages', () => {
  // Batches of empty texts are never sent: they make no request, so none is a retry.
  it('manifest counts.retries is 0 when no request was retried, batches of empty texts included', async () => {
    const o = await runFixture('regolo', { maxTokensPerDoc: MAX_TOKENS_PER_DOC });
    expect(o.server.stats.requests).toBe(o.manifest.planned.requests);
    expect(o.manifest.counts.retries).toBe(0);
  });

  // With --passages the reader does not cut documents (they are split instead); each passage, and a document
  // short enough to be one, is cut to --max-tokens-per-doc: e4 (14 words, 215 bytes) to 200 bytes.
  it('with --passages, no text over --max-tokens-per-doc is sent', async () => {
    const o = await runFixture('tei', { passages: `${PASSAGES.length},${PASSAGES.stride}`, maxTokensPerDoc: MAX_TOKENS_PER_DOC });
    expect(o.report.outcome).toBe('complete');
    const over = o.log.flatMap((request) => plain(request).documents).filter((text) => Buffer.byteLength(text) > MAX_DOC_BYTES);
    expect(over).toEqual([]);
    // e4 is the one text over the cap: cut, counted, and not counted as read-time truncation.
    expect(o.manifest.counts).toMatchObject({ passages_cut_to_token_cap: 1, truncated_documents: 0 });
  });
});
