import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSharedData, sharedData } from '../helpers/paths.js';
import { InputError } from '../../src/errors/input-error.js';
import { readTrecRun, sortTrecOrder } from '../../src/evaluate/index.js';
import { openPairs, openRunPairs, type PairReject, type ReadPair } from '../../src/read/index.js';
import { collect, failure } from '../helpers/run-pairs.js';

const cranfield = join(sharedData, 'cranfield');
const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-read-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}


const RUN = [
  'q2 Q0 d3 1 5.0 tag', // 1
  'q1 Q0 d1 1 3.5 tag', // 2
  'q1 Q0 d2 2 3.5 tag', // 3: tie with d1, d2 > d1 so d2 comes first (trec_eval)
  'q1 Q0 d3 3 9.0 tag', // 4: best score despite rank 3 (the rank column is not read)
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
      { queryId: 'q1', query: 'first query', docId: 'd3', document: 'text three', score: 9, rank: 1, line: 4 },
      { queryId: 'q1', query: 'first query', docId: 'd2', document: 'only a title', score: 3.5, rank: 2, line: 3 },
      { queryId: 'q1', query: 'first query', docId: 'd1', document: 'text one', score: 3.5, rank: 3, line: 2 },
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

  it('checks run lines: field count and score; an infinite score cannot be reranked', async () => {
    const docsFile = write('docs3.tsv', 'd1\tone\n');
    const queriesFile = write('queries3.tsv', 'q1\tquery\n');
    const short = write('short.run', 'q1 Q0 d1 1 2 t\nq1 Q0 d1 1\n');
    expect((await failure({ runFile: short, docsFile, queriesFile })).message).toBe(`${short}:2: expected 6 fields "query_id Q0 doc_id rank score tag", found 4`);
    const score = write('score.run', 'q1 Q0 d1 1 high t\n');
    expect((await failure({ runFile: score, docsFile, queriesFile })).message).toBe(`${score}:1: field "score": score "high" is not a number`);
    const inf = write('inf.run', 'q1 Q0 d1 1 -inf t\n');
    const error = await failure({ runFile: inf, docsFile, queriesFile });
    expect([error.code, error.field, error.line]).toEqual(['ERR_INPUT_NUMBER', 'score', 1]);
    const empty = write('empty.run', '\n');
    expect((await failure({ runFile: empty, docsFile, queriesFile })).code).toBe('ERR_INPUT_EMPTY');
    expect(() => openRunPairs({ runFile: empty, docsFile, queriesFile, depth: 0 })).toThrow(/depth must be a positive integer/);
  });

  it('skips bad run lines with onBadRow skip, listing them with their codes', async () => {
    const docsFile = write('docs4.tsv', 'd1\tone\nd2\ttwo\n');
    const queriesFile = write('queries4.tsv', 'q1\tquery\n');
    const runFile = write('skip.run', 'q1 Q0 d1 1 2 t\nq1 Q0 d2 2\nq1 Q0 d1 3 1 t\nq1 Q0 d2 4 x t\nq1 Q0 d2 5 1 t\n');
    const rejects: PairReject[] = [];
    const pairs = await collect(openRunPairs({ runFile, docsFile, queriesFile, onBadRow: 'skip', onReject: (r) => rejects.push(r) }));
    expect(pairs.map((p) => [p.docId, p.rank, p.line])).toEqual([
      ['d1', 1, 1],
      ['d2', 2, 5],
    ]);
    expect(rejects.map((r) => [r.line, r.code, r.raw])).toEqual([
      [2, 'ERR_RUN_FORMAT', 'q1 Q0 d2 2'],
      [3, 'ERR_RUN_DUPLICATE_DOC', 'q1 Q0 d1 3 1 t'],
      [4, 'ERR_RUN_FORMAT', 'q1 Q0 d2 4 x t'],
    ]);
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

/** `--run-file` and `eval` read TREC runs with one reader: what one accepts, rejects or orders, so does the other. */
describe('--run-file reads a run as eval does', () => {
  const docsFile = write('same-docs.tsv', ['a\tA', 'b\tB', '\uFF21\tfull-width A', '😀\temoji', 'z\tZ'].join('\n') + '\n');
  const queriesFile = write('same-queries.tsv', 'q1\tquery one\nq2\tquery two\n');
  const fromRunFile = async (runFile: string): Promise<unknown[]> =>
    (await collect(openRunPairs({ runFile, docsFile, queriesFile }))).map((p) => [p.queryId, p.docId, p.score, p.rank]);
  const fromEval = async (runFile: string): Promise<unknown[]> =>
    [...(await readTrecRun(runFile))].flatMap(([queryId, docs]) => sortTrecOrder(docs).map((d, i) => [queryId, d.docId, d.score, i + 1]));
  async function evalError(runFile: string): Promise<InputError> {
    const error: unknown = await readTrecRun(runFile).then(() => undefined, (e: unknown) => e);
    if (error instanceof InputError) return error;
    throw new Error(`no InputError: ${String(error)}`);
  }

  it('accepts what trec_eval accepts (comments, blank lines, extra fields, any rank column) and breaks ties by UTF-8 bytes', async () => {
    const runFile = write('lenient.run', [
      '# bm25, k1=0.9',
      'q1 Q0 a 0 2.5 tag extra fields',
      '',
      '  q1\tQ0\tb\t-\t2.5e0\ttag',
      'q1 Q0 \uFF21 7 1 tag',
      'q1 Q0 😀 7 1 tag',
      'q2 Q0 z 1 +.5 tag',
    ].join('\n'));
    // Ties by doc id in descending byte order: b before a; the emoji (F0 9F..) before U+FF21 (EF BC A1).
    const expected = [
      ['q1', 'b', 2.5, 1],
      ['q1', 'a', 2.5, 2],
      ['q1', '😀', 1, 3],
      ['q1', '\uFF21', 1, 4],
      ['q2', 'z', 0.5, 1],
    ];
    expect(await fromRunFile(runFile)).toEqual(expected);
    expect(await fromEval(runFile)).toEqual(expected);
  });

  it.each([
    ['five-fields', 'q1 Q0 a 1 2\n', 'ERR_RUN_FORMAT'],
    ['word-score', 'q1 Q0 a 1 high t\n', 'ERR_RUN_FORMAT'],
    ['nan-score', 'q1 Q0 a 1 nan t\n', 'ERR_RUN_FORMAT'],
    ['duplicate-doc', 'q1 Q0 a 1 2 t\nq1 Q0 a 2 1 t\n', 'ERR_RUN_DUPLICATE_DOC'],
    ['only-comments', '# nothing here\n\n', 'ERR_INPUT_EMPTY'],
    ['latin1', Buffer.from('q1 Q0 caf\xe9 1 2 t\n', 'latin1'), 'ERR_INPUT_ENCODING'],
  ])('rejects a %s run with the same error', async (name, content, code) => {
    const runFile = write(`${name}.run`, content);
    const viaEval = await evalError(runFile);
    const viaRunFile = await failure({ runFile, docsFile, queriesFile });
    expect(viaEval.code).toBe(code);
    expect([viaRunFile.code, viaRunFile.message]).toEqual([code, viaEval.message]);
  });

  it('reports a missing run file as ERR_INPUT_FILE', async () => {
    const runFile = join(dir, 'no-such.run');
    expect((await evalError(runFile)).code).toBe('ERR_INPUT_FILE');
    expect((await failure({ runFile, docsFile, queriesFile })).code).toBe('ERR_INPUT_FILE');
  });
});
