import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/input-error.js';
import { evaluate, evaluateRunFile, readQrels, readRankedJsonlRun, readTrecRun } from '../../src/evaluate/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rerank-eval-'));
function file(name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
async function inputError(promise: Promise<unknown>): Promise<InputError> {
  const error: unknown = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('readQrels', () => {
  it('reads 4- and 3-column lines, CRLF, comments, blank lines and negative labels', async () => {
    const qrels = await readQrels(file('q.trec', '# comment\r\n1 0 d1 2\r\n\r\n1 d2 0\n2\t0\td3\t-1\n'));
    expect(qrels).toEqual(new Map([['1', new Map([['d1', 2], ['d2', 0]])], ['2', new Map([['d3', -1]])]]));
  });

  it("reads BEIR's qrels TSV with its header line, and the header only on the first line", async () => {
    const beir = await readQrels(file('test.tsv', 'query-id\tcorpus-id\tscore\nq1\tdoc1\t1\nq1\tdoc2\t0\nq2\tdoc1\t2\n'));
    expect(beir).toEqual(new Map([['q1', new Map([['doc1', 1], ['doc2', 0]])], ['q2', new Map([['doc1', 2]])]]));
    // Evaluated like the same judgments in TREC form.
    const trec = await readQrels(file('test.trec', 'q1 0 doc1 1\nq1 0 doc2 0\nq2 0 doc1 2\n'));
    expect(beir).toEqual(trec);
    const later = await inputError(readQrels(file('late-header.tsv', 'q1\tdoc1\t1\nquery-id\tcorpus-id\tscore\n')));
    expect(later.code).toBe('ERR_QRELS_FORMAT');
    expect(later.line).toBe(2);
  });

  it('names file and line of a malformed line', async () => {
    const path = file('bad.trec', '1 0 d1 1\n1 0 d2\n');
    const error = await inputError(readQrels(path));
    // 3 columns are read as "qid docid rel": "d2" is no integer label.
    expect(error.code).toBe('ERR_QRELS_FORMAT');
    expect(error.message).toContain(`${path}:2:`);
    expect((await inputError(readQrels(file('bad2.trec', '1 0 d1 1 x\n')))).code).toBe('ERR_QRELS_FORMAT');
    expect((await inputError(readQrels(file('bad3.trec', '1 0 d1 0.5\n')))).field).toBe('rel');
  });

  it('rejects a document judged twice and an empty file', async () => {
    expect((await inputError(readQrels(file('dup.trec', '1 0 d1 1\n1 0 d1 0\n')))).code).toBe('ERR_QRELS_DUPLICATE');
    expect((await inputError(readQrels(file('empty.trec', '\n')))).code).toBe('ERR_QRELS_EMPTY');
    expect((await inputError(readQrels(join(dir, 'missing.trec')))).code).toBe('ERR_INPUT_FILE');
  });

  it('splits on C whitespace only, reads gzip, and requires UTF-8', async () => {
    const qrels = await readQrels(file('nbsp.trec.gz', gzipSync('1 0 a\u00A0b 1\n')));
    expect(qrels).toEqual(new Map([['1', new Map([['a\u00A0b', 1]])]]));
    const latin1 = file('latin1.trec', Buffer.from('1 0 caf\xe9 1\n', 'latin1'));
    const error = await inputError(readQrels(latin1));
    expect([error.code, error.line]).toEqual(['ERR_INPUT_ENCODING', 1]);
  });
});

describe('readTrecRun', () => {
  it('reads 6 columns (extra fields ignored), keeps string ids, ignores the rank column', async () => {
    const run = await readTrecRun(file('r.run', '007 Q0 d1 5 1.5 tag\n007 Q0 d2 1 -2e-1 tag extra\n'));
    expect(run).toEqual(new Map([['007', [{ docId: 'd1', score: 1.5, line: 1 }, { docId: 'd2', score: -0.2, line: 2 }]]]));
  });

  it('splits on C whitespace only (a no-break space stays in the id), reads gzip and infinite scores', async () => {
    const run = await readTrecRun(file('nbsp.run.gz', gzipSync('1 Q0 a\u00A0b 1 inf t\n1 Q0 c 2 -Infinity t\n')));
    expect(run).toEqual(new Map([['1', [{ docId: 'a\u00A0b', score: Infinity, line: 1 }, { docId: 'c', score: -Infinity, line: 2 }]]]));
  });

  it('rejects a repeated document naming file, line, query and doc', async () => {
    const path = file('dup.run', '1 Q0 a 1 3 t\n1 Q0 b 2 2 t\n1 Q0 a 3 1 t\n');
    const error = await inputError(readTrecRun(path));
    expect(error.code).toBe('ERR_RUN_DUPLICATE_DOC');
    expect(error.message).toContain(`${path}:3:`);
    expect(error.message).toContain('query "1": document "a"');
  });

  it('rejects short lines and non-numeric scores', async () => {
    expect((await inputError(readTrecRun(file('short.run', '1 Q0 a 1 3\n')))).code).toBe('ERR_RUN_FORMAT');
    const error = await inputError(readTrecRun(file('nan.run', '1 Q0 a 1 abc t\n')));
    expect(error.field).toBe('score');
  });
});

describe('ranked.jsonl runs', () => {
  const jsonl = (queries: unknown[]): string => queries.map((q) => JSON.stringify(q)).join('\n') + '\n';

  it('reads query_id and results[].doc_id/score', async () => {
    const path = file('a.jsonl', jsonl([{ query_id: 'q', query: 'x', results: [{ doc_id: 'd', score: 2, rank: 1, original_rank: 3, original_score: 1 }] }]));
    expect(await readTrecRun(path)).toEqual(new Map([['q', [{ docId: 'd', score: 2 }]]]));
  });

  it('reads a gzipped ranked.jsonl (.jsonl.gz) as the same run, for eval and diff alike', async () => {
    const text = jsonl([{ query_id: 'q', results: [{ doc_id: 'd', score: 2 }, { doc_id: 'e', score: 1 }] }]);
    const plain = await readTrecRun(file('g.jsonl', text));
    expect(await readTrecRun(file('g.jsonl.gz', gzipSync(text)))).toEqual(plain);
    const qrels = await readQrels(file('g.qrels', 'q 0 e 1\n'));
    expect(await evaluateRunFile(qrels, join(dir, 'g.jsonl.gz'))).toEqual(await evaluateRunFile(qrels, join(dir, 'g.jsonl')));
  });

  it('reports bad lines with file, line and field', async () => {
    const path = file('b.jsonl', jsonl([{ query_id: 'q', results: [] }, { query_id: 'r', results: [{ doc_id: 'd', score: 'high' }] }]));
    const error = await inputError(readRankedJsonlRun(path));
    expect(error.message).toContain(`${path}:2:`);
    expect(error.field).toBe('results[0].score');
    const dup = await inputError(readRankedJsonlRun(file('c.jsonl', jsonl([{ query_id: 'q', results: [{ doc_id: 'd', score: 1 }, { doc_id: 'd', score: 0 }] }]))));
    expect(dup.code).toBe('ERR_RUN_DUPLICATE_DOC');
    expect((await inputError(readRankedJsonlRun(file('d.jsonl', '{not json\n')))).code).toBe('ERR_RUN_FORMAT');
    const twice = file('e.jsonl', jsonl([{ query_id: 'q', results: [] }, { query_id: 'q', results: [] }]));
    expect((await inputError(readRankedJsonlRun(twice))).code).toBe('ERR_RUN_DUPLICATE_QUERY');
    expect((await inputError(evaluateRunFile(new Map([['q', new Map([['d', 1]])]]), twice))).code).toBe('ERR_RUN_DUPLICATE_QUERY');
  });

  const DATA = fileURLToPath(new URL('../../../shared/data/dl19/', import.meta.url));
  it.skipIf(!existsSync(`${DATA}bm25.run`))('streams to the same result as the TREC run (dl19)', async () => {
    const trec = await readTrecRun(`${DATA}bm25.run`);
    // Reverse each query so the file order disagrees with the scores.
    const lines = [...trec].map(([query_id, docs]) => ({ query_id, query: '', results: [...docs].reverse().map((d, i) => ({ doc_id: d.docId, score: d.score, rank: i + 1 })) }));
    const path = file('dl19.jsonl', jsonl(lines));
    const qrels = await readQrels(`${DATA}qrels.trec`);
    const streamed = await evaluateRunFile(qrels, path, { relLevel: 2 });
    expect(streamed).toEqual(evaluate(qrels, trec, { relLevel: 2 }));
    expect(readFileSync(path, 'utf8').split('\n').length).toBe(trec.size + 1);
  });
});
