import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSharedData, sharedData } from '../helpers/paths.js';
import { InputError } from '../../src/errors/input-error.js';
import { openPairs, openRunPairs, type PairReject, type ReadPair, type RunPairsOptions } from '../../src/read/index.js';

const cranfield = join(sharedData, 'cranfield');
const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-read-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

async function collect(pairs: AsyncIterable<ReadPair>): Promise<ReadPair[]> {
  const out: ReadPair[] = [];
  for await (const pair of pairs) out.push(pair);
  return out;
}

async function failure(options: RunPairsOptions): Promise<InputError> {
  try {
    await collect(openRunPairs(options));
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('no error');
}

const RUN = [
  'q2 Q0 d3 1 5.0 tag', // 1
  'q1 Q0 d1 1 3.5 tag', // 2
  'q1 Q0 d2 2 3.5 tag', // 3: tie with d1, d2 > d1 so d2 comes first (trec_eval)
  'q1 Q0 d3 3 9.0 tag', // 4: best score despite rank 3
  'q2 Q0 d1 2 1.0 tag', // 5
  '',
].join('\n');

describe('openRunPairs', () => {
  it('joins a run with JSONL documents and TSV queries, queries in run order, candidates in trec_eval order', async () => {
    const runFile = write('small.run', RUN);
    const docsFile = write('docs.jsonl', ['{"docno":"d1","title":"T1","text":"text one"}', '{"docno":"d2","title":"only a title"}', '{"docno":"d3","text":"text three"}', '{"docno":"unused","text":"x"}'].join('\n') + '\n');
    const queriesFile = write('queries.tsv', 'query_id\tquery\nq1\tfirst query\nq2\tsecond\tquery with a tab\n');
    const pairs = await collect(openRunPairs({ runFile, docsFile, queriesFile }));
    expect(pairs).toEqual([
      { queryId: 'q2', query: 'second\tquery with a tab', docId: 'd3', document: 'text three', score: 5, rank: 1, line: 1 },
      { queryId: 'q2', query: 'second\tquery with a tab', docId: 'd1', document: 'text one', score: 1, rank: 2, line: 5 },
      { queryId: 'q1', query: 'first query', docId: 'd3', document: 'text three', score: 9, rank: 3, line: 4 },
      { queryId: 'q1', query: 'first query', docId: 'd2', document: 'only a title', score: 3.5, rank: 2, line: 3 },
      { queryId: 'q1', query: 'first query', docId: 'd1', document: 'text one', score: 3.5, rank: 1, line: 2 },
    ]);
    const top1 = await collect(openRunPairs({ runFile, docsFile, queriesFile, depth: 1 }));
    expect(top1.map((p) => [p.queryId, p.docId])).toEqual([
      ['q2', 'd3'],
      ['q1', 'd3'],
    ]);
  });

  it('reads TSV documents (gzipped) and JSONL queries with numeric ids', async () => {
    const runFile = write('num.run', '7 Q0 10 1 2 t\n7 Q0 11 2 1 t\n');
    const docsFile = write('docs.tsv.gz', gzipSync('docid\ttext\n10\tten\n11\televen\n'));
    const queriesFile = write('queries.jsonl', '{"qid": 7, "text": "seven"}\n');
    const pairs = await collect(openRunPairs({ runFile, docsFile, queriesFile }));
    expect(pairs.map((p) => [p.queryId, p.query, p.docId, p.document])).toEqual([
      ['7', 'seven', '10', 'ten'],
      ['7', 'seven', '11', 'eleven'],
    ]);
  });

  it('ERR_INPUT_MISSING_TEXT names the run file and line of a document or query not in its file', async () => {
    const runFile = write('missing.run', 'q1 Q0 d1 1 2 t\nq1 Q0 zz 2 1 t\n');
    const docsFile = write('docs2.tsv', 'd1\tone\n');
    const queriesFile = write('queries2.tsv', 'q1\tquery\n');
    const error = await failure({ runFile, docsFile, queriesFile });
    expect(error.code).toBe('ERR_INPUT_MISSING_TEXT');
    expect(error.message).toBe(`${runFile}:2: field "doc_id": document zz is not in ${docsFile}`);
    const noQuery = write('noquery.run', 'q9 Q0 d1 1 2 t\n');
    expect((await failure({ runFile: noQuery, docsFile, queriesFile })).message).toBe(`${noQuery}:1: field "query_id": query q9 is not in ${queriesFile}`);
    const rejects: PairReject[] = [];
    const pairs = await collect(openRunPairs({ runFile, docsFile, queriesFile, onBadRow: 'skip', onReject: (r) => rejects.push(r) }));
    expect(pairs.map((p) => p.docId)).toEqual(['d1']);
    expect(rejects.map((r) => [r.line, r.code])).toEqual([[2, 'ERR_INPUT_MISSING_TEXT']]);
  });

  it('checks run lines: field count, rank and score', async () => {
    const docsFile = write('docs3.tsv', 'd1\tone\n');
    const queriesFile = write('queries3.tsv', 'q1\tquery\n');
    const short = write('short.run', 'q1 Q0 d1 1 2 t\nq1 Q0 d1 1\n');
    expect((await failure({ runFile: short, docsFile, queriesFile })).message).toBe(`${short}:2: expected 6 fields "query_id Q0 doc_id rank score tag", found 4`);
    const rank = write('rank.run', 'q1 Q0 d1 0 2 t\n');
    expect((await failure({ runFile: rank, docsFile, queriesFile })).message).toBe(`${rank}:1: field "rank": rank must be a positive integer, got "0"`);
    const score = write('score.run', 'q1 Q0 d1 1 high t\n');
    expect((await failure({ runFile: score, docsFile, queriesFile })).code).toBe('ERR_INPUT_NUMBER');
    const empty = write('empty.run', '\n');
    expect((await failure({ runFile: empty, docsFile, queriesFile })).code).toBe('ERR_INPUT_EMPTY');
    expect(() => openRunPairs({ runFile: empty, docsFile, queriesFile, depth: 0 })).toThrow(/depth must be a positive integer/);
  });

  it.skipIf(!hasSharedData)('builds the same pairs as cranfield pairs.jsonl.gz from bm25.run, docs.jsonl and queries.tsv', async () => {
    const fromRun = await collect(
      openRunPairs({ runFile: join(cranfield, 'bm25.run'), docsFile: join(cranfield, 'docs.jsonl'), queriesFile: join(cranfield, 'queries.tsv') }),
    );
    const fromPairs = await collect(openPairs(join(cranfield, 'pairs.jsonl.gz')));
    expect(fromRun).toHaveLength(22_471);
    const key = (p: ReadPair): string => JSON.stringify([p.queryId, p.docId, p.query, p.document, p.score, p.rank]);
    expect(fromRun.map(key).sort()).toEqual(fromPairs.map(key).sort());
    // Queries come in the same order.
    const order = (pairs: ReadPair[]): string[] => [...new Set(pairs.map((p) => p.queryId))];
    expect(order(fromRun)).toEqual(order(fromPairs));
  });
});
