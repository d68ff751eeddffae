import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { beirDocumentText, pythonStrip } from '../../src/read/beir-corpus.js';
import { openRunPairs } from '../../src/read/index.js';
import { readQrels } from '../../src/read/qrels-file.js';
import { collect, failure } from '../helpers/run-pairs.js';

const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-read-beir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

const lines = (...objects: unknown[]): string => objects.map((o) => (typeof o === 'string' ? o : JSON.stringify(o))).join('\n') + '\n';


describe('beirDocumentText', () => {
  it('is (title + " " + text).strip(), as BEIR reranks', () => {
    expect(beirDocumentText('Panel flutter', 'at supersonic speed')).toBe('Panel flutter at supersonic speed');
    expect(beirDocumentText('', 'only text')).toBe('only text');
    expect(beirDocumentText('only title', '')).toBe('only title');
    expect(beirDocumentText('  ', ' padded\n')).toBe('padded');
    expect(beirDocumentText('', '')).toBe('');
  });

  it('strips what Python str.strip() strips, not what String.trim() strips', () => {
    expect(pythonStrip('\x1c\x1d\x1e\x1f\x85 a b \u3000\u2029')).toBe('a b');
    expect(pythonStrip('\uFEFFa\uFEFF')).toBe('\uFEFFa\uFEFF');
    expect(pythonStrip('\t\n\x0b\x0c\r a \xa0\u1680\u2000\u200a\u2028\u202f\u205f')).toBe('a');
    expect(pythonStrip('\u200b a')).toBe('\u200b a');
  });
});

describe('--run-file with BEIR corpus.jsonl and queries.jsonl', () => {
  const corpus = write(
    'corpus.jsonl',
    lines(
      { _id: '007', title: 'Panel flutter', text: 'flutter of panels at supersonic speed', metadata: { url: 'x' } },
      { _id: 'd2', title: '', text: 'heat transfer in slabs' },
      { _id: 'd3', text: ' no title key at all ' },
      '{"_id": 42, "title": "Numbered", "text": "a numeric id"}',
      '{"_id": 1.50, "title": "T", "text": "decimal id"}',
      '{"_id": 5, "title": "", "text": "nested ids", "metadata": {"_id": 9}}',
      { _id: 'title-only', title: 'Only a title' },
      { _id: 'unused', title: 'Not in the run', text: 'never kept' },
    ),
  );
  const queries = write('queries.jsonl', lines({ _id: 'q1', text: 'panel flutter', metadata: { answer: 'x' } }, '{"_id": 2, "text": "heat"}'));

  it('reads _id, joins a non-empty title to the text, keeps the digits of numeric ids', async () => {
    const runFile = write('beir.run', ['q1 Q0 007 1 9 bm25', 'q1 Q0 d2 2 8 bm25', 'q1 Q0 d3 3 7 bm25', '2 Q0 42 1 6 bm25', '2 Q0 1.50 2 5 bm25', '2 Q0 5 3 4 bm25', '2 Q0 title-only 4 3 bm25', ''].join('\n'));
    const pairs = await collect(openRunPairs({ runFile, docsFile: corpus, queriesFile: queries }));
    expect(pairs.map((p) => [p.queryId, p.query, p.docId, p.document])).toEqual([
      ['q1', 'panel flutter', '007', 'Panel flutter flutter of panels at supersonic speed'],
      ['q1', 'panel flutter', 'd2', 'heat transfer in slabs'],
      ['q1', 'panel flutter', 'd3', 'no title key at all'],
      ['2', 'heat', '42', 'Numbered a numeric id'],
      ['2', 'heat', '1.50', 'T decimal id'],
      ['2', 'heat', '5', 'nested ids'],
      ['2', 'heat', 'title-only', 'Only a title'],
    ]);
  });

  it('reads gzipped BEIR files', async () => {
    const runFile = write('gz.run', 'q1 Q0 007 1 1 t\n');
    const pairs = await collect(openRunPairs({ runFile, docsFile: write('corpus.jsonl.gz', gzipSync(lines({ _id: '007', title: 'A', text: 'b' }))), queriesFile: write('queries.jsonl.gz', gzipSync(lines({ _id: 'q1', text: 'q' }))) }));
    expect(pairs.map((p) => [p.docId, p.document])).toEqual([['007', 'A b']]);
  });

  it('leaves documents with another id key as they were: text alone, not joined to the title', async () => {
    const runFile = write('other.run', 'q1 Q0 c1 1 2 t\nq1 Q0 m1 2 1 t\n');
    const docsFile = write(
      'docs-other.jsonl',
      lines({ docno: 'c1', title: 'cranfield title', text: 'cranfield title . body' }, { _id: { $oid: '65f0' }, docno: 'm1', title: 'T', text: 'database export' }),
    );
    const pairs = await collect(openRunPairs({ runFile, docsFile, queriesFile: queries }));
    expect(pairs.map((p) => [p.docId, p.document])).toEqual([
      ['c1', 'cranfield title . body'],
      ['m1', 'database export'],
    ]);
  });

  it('an empty document after stripping is an empty text (ERR_INPUT_EMPTY_TEXT on the run line)', async () => {
    const runFile = write('empty.run', 'q1 Q0 e 1 1 t\n');
    const error = await failure({ runFile, docsFile: write('empty.jsonl', lines({ _id: 'e', title: ' ', text: '\n' })), queriesFile: queries });
    expect([error.code, error.file, error.line, error.field]).toEqual(['ERR_INPUT_EMPTY_TEXT', runFile, 1, 'document']);
  });

  it.each<[string, string, string, string | undefined, string]>([
    ['an _id that is an object', '{"_id": {"a": 1}, "title": "", "text": "x"}', 'ERR_INPUT_JSON', '_id', 'expected a string or a number, got {"a":1}'],
    ['a title that is not a string', '{"_id": "d", "title": 7, "text": "x"}', 'ERR_INPUT_JSON', 'title', 'expected a string, got 7'],
    ['a null text', '{"_id": "d", "title": "t", "text": null}', 'ERR_INPUT_JSON', 'text', 'expected a string, got null'],
    ['no text and no title', '{"_id": "d", "metadata": {}}', 'ERR_INPUT_MISSING_COLUMN', 'document', 'no document text key'],
    ['no id key', '{"title": "t", "text": "x"}', 'ERR_INPUT_MISSING_COLUMN', 'doc_id', 'no document id key'],
    ['invalid JSON', '{"_id": "d", "text": "x"', 'ERR_INPUT_JSON', undefined, 'invalid JSON'],
  ])('a corpus line with %s is an InputError naming file, line and field', async (name, bad, code, field, reason) => {
    const docsFile = write(`bad-${name.replace(/\W+/g, '-')}.jsonl`, lines({ _id: 'ok', title: 'fine', text: 'fine' }, '', bad));
    const error = await failure({ runFile: write('bad.run', 'q1 Q0 ok 1 1 t\n'), docsFile, queriesFile: queries });
    expect([error.code, error.file, error.line, error.field]).toEqual([code, docsFile, 3, field]);
    expect(error.reason).toContain(reason);
    expect(error.message.startsWith(field === undefined ? `${docsFile}:3: ` : `${docsFile}:3: field "${field}": `)).toBe(true);
  });

  it('a queries.jsonl line without a usable id or text names its file, line and field', async () => {
    const runFile = write('q.run', 'q1 Q0 007 1 1 t\n');
    const noText = write('queries-bad.jsonl', lines({ _id: 'q1', text: 'fine' }, { _id: 'q2', metadata: {} }));
    const error = await failure({ runFile, docsFile: corpus, queriesFile: noText });
    expect([error.code, error.file, error.line, error.field]).toEqual(['ERR_INPUT_MISSING_COLUMN', noText, 2, 'query']);
    const badId = write('queries-bad-id.jsonl', lines({ _id: true, text: 'x' }));
    const idError = await failure({ runFile, docsFile: corpus, queriesFile: badId });
    expect([idError.code, idError.line, idError.field]).toEqual(['ERR_INPUT_JSON', 1, '_id']);
  });
});

describe('BEIR qrels/test.tsv', () => {
  it('reads the header and the query-id, corpus-id, score rows', async () => {
    const qrels = await readQrels(write('test.tsv', 'query-id\tcorpus-id\tscore\nq1\t007\t2\nq1\td2\t0\n2\t42\t1\n'));
    expect([...qrels].map(([q, docs]) => [q, [...docs]])).toEqual([
      ['q1', [['007', 2], ['d2', 0]]],
      ['2', [['42', 1]]],
    ]);
  });
});
