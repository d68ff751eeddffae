import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/input-error.js';
import { UsageError } from '../../src/errors/usage-error.js';
import { openPairs, type PairReaderOptions, type PairReject, type ReadPair } from '../../src/read/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-read-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

async function collect(file: string, options?: PairReaderOptions): Promise<ReadPair[]> {
  const out: ReadPair[] = [];
  for await (const pair of openPairs(file, options)) out.push(pair);
  return out;
}

/** The InputError reading `file` throws. */
async function failure(file: string, options?: PairReaderOptions): Promise<InputError> {
  try {
    await collect(file, options);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error(`${file} was read without error`);
}

const HEADER = 'qid,query,docid,text,score,rank\n';

describe('openPairs: errors name file, line and field', () => {
  it('ERR_INPUT_MISSING_COLUMN lists the header and the accepted names', async () => {
    const file = write('missing.csv', 'qid,query,text\n1,q,t\n');
    const error = await failure(file);
    expect(error.code).toBe('ERR_INPUT_MISSING_COLUMN');
    expect(error.message).toBe(
      `${file}:1: field "doc_id": required column doc_id not found; found: "qid", "query", "text"; ` +
        'accepted names: doc_id, docid, docno, pid, passage_id, document_id (or pass columns.docId)',
    );
    expect([error.file, error.line, error.field]).toEqual([file, 1, 'doc_id']);
  });

  it('ERR_INPUT_MISSING_COLUMN for an explicit mapping to a column that is not there', async () => {
    const file = write('missing2.csv', HEADER + '1,q,d,t,1,1\n');
    const error = await failure(file, { columns: { document: 'body' } });
    expect(error.message).toBe(`${file}:1: field "body": column "body" (given for document) is not in the header; found: "qid", "query", "docid", "text", "score", "rank"`);
  });

  it('ERR_INPUT_MISSING_COLUMN for a JSONL object without a required key', async () => {
    const file = write('missing.jsonl', '{"qid":"1","query":"q","docid":"d","text":"t"}\n{"qid":"1","query":"q","text":"t"}\n');
    const error = await failure(file);
    expect(error.code).toBe('ERR_INPUT_MISSING_COLUMN');
    expect(error.message).toMatch(new RegExp(`^${escape(file)}:2: field "doc_id": required column doc_id not found; found: "qid", "query", "text"`));
  });

  it('ERR_INPUT_AMBIGUOUS_COLUMN names both columns', async () => {
    const file = write('ambiguous.csv', 'qid,query,docid,docno,text\n1,q,a,b,t\n');
    const error = await failure(file);
    expect(error.code).toBe('ERR_INPUT_AMBIGUOUS_COLUMN');
    expect(error.message).toBe(`${file}:1: field "docno": two columns could be doc_id: "docid" (column 3) and "docno" (column 4); pass the columns option to choose`);
    // An explicit mapping settles it.
    expect(await collect(file, { columns: { docId: 'docno' } })).toEqual([{ queryId: '1', query: 'q', docId: 'b', document: 't', line: 2 }]);
  });

  it('ERR_INPUT_CSV for an unclosed quote, at the line where the record starts (CRLF file)', async () => {
    const file = write('unclosed.csv', 'qid,query,docid,text\r\n1,q,d1,ok\r\n1,q,d2,"never\r\nclosed\r\n');
    const error = await failure(file);
    expect(error.code).toBe('ERR_INPUT_CSV');
    expect(error.line).toBe(3);
    expect(error.message).toMatch(new RegExp(`^${escape(file)}:3: field "text": CSV_QUOTE_NOT_CLOSED: .*record starting at line 3`));
  });

  it('ERR_INPUT_CSV for a row with the wrong number of fields', async () => {
    const file = write('fields.csv', HEADER + '1,q,d1,t,1,1\n1,q,d2,t,1\n');
    const error = await failure(file);
    expect(error.message).toBe(`${file}:3: expected 6 fields as in the header, found 5`);
  });

  it('ERR_INPUT_JSON for a bad JSON line and a line that is not an object', async () => {
    const file = write('bad.jsonl', '{"qid":"1","query":"q","docid":"d","text":"t"}\n{"qid": "1", oops}\n');
    const error = await failure(file);
    expect(error.code).toBe('ERR_INPUT_JSON');
    expect(error.message).toMatch(new RegExp(`^${escape(file)}:2: invalid JSON \\(`));
    const array = write('array.jsonl', '\n[1,2]\n');
    expect((await failure(array)).message).toBe(`${array}:2: expected a JSON object, got an array`);
  });

  it('ERR_INPUT_ENCODING for bytes 0xff 0xfe in a CSV field, naming the field', async () => {
    const file = write(
      'latin.csv',
      Buffer.concat([Buffer.from(HEADER + '1,q,d1,fine é,1,1\n1,q,d2,"ab'), Buffer.from([0xff, 0xfe]), Buffer.from('",2,2\n')]),
    );
    const error = await failure(file);
    expect(error.code).toBe('ERR_INPUT_ENCODING');
    expect(error.message).toBe(`${file}:3: field "text": invalid UTF-8: byte 0xff at byte 3 of the field`);
  });

  it('ERR_INPUT_ENCODING in gzipped CSV and in JSONL (naming the key)', async () => {
    const gz = write('latin.csv.gz', gzipSync(Buffer.concat([Buffer.from(HEADER + '1,q,d1,x'), Buffer.from([0xff, 0xfe]), Buffer.from(',1,1\n')])));
    expect((await failure(gz)).message).toBe(`${gz}:2: field "text": invalid UTF-8: byte 0xff at byte 2 of the field`);
    const jsonl = write('latin.jsonl', Buffer.concat([Buffer.from('{"qid":"1","query":"q","docid":"d","text":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]));
    const error = await failure(jsonl);
    expect(error.message).toBe(`${jsonl}:1: field "text": invalid UTF-8: byte 0xff at byte 45 of the line`);
  });

  it('ERR_INPUT_ENCODING for a UTF-8 character split across read chunks stays valid; a truncated sequence does not', async () => {
    // 300 KiB of 3-byte characters: chunk boundaries (256 KiB) fall inside characters.
    const text = '€'.repeat(100_000);
    const ok = write('big-euro.csv', `qid,query,docid,text\n1,q,d,${text}\n`);
    expect((await collect(ok, { maxDocumentBytes: 400_000 }))[0]?.document).toBe(text);
    const bad = write('cut.csv', Buffer.concat([Buffer.from('qid,query,docid,text\n1,q,d,ab'), Buffer.from([0xe2, 0x82]), Buffer.from('\n')]));
    expect((await failure(bad)).message).toBe(`${bad}:2: field "text": invalid UTF-8: byte 0xe2 at byte 3 of the field`);
  });

  it('ERR_INPUT_ENCODING for corrupt gzip data', async () => {
    const file = write('corrupt.csv.gz', Buffer.concat([gzipSync(Buffer.from(HEADER + '1,q,d,t,1,1\n')).subarray(0, 12), Buffer.from('garbage')]));
    const error = await failure(file);
    expect(error.code).toBe('ERR_INPUT_ENCODING');
    expect(error.message).toMatch(new RegExp(`^${escape(file)}: not valid gzip data`));
  });

  it('ERR_INPUT_EMPTY_ID and ERR_INPUT_ID_WHITESPACE', async () => {
    const empty = write('emptyid.csv', HEADER + '1,q,d1,t,1,1\n1,q,,t,1,2\n');
    expect((await failure(empty)).message).toBe(`${empty}:3: field "docid": empty value`);
    expect((await failure(empty)).code).toBe('ERR_INPUT_EMPTY_ID');
    const spaced = write('spaceid.csv', HEADER + '"q 1",q,d1,t,1,1\n');
    const error = await failure(spaced);
    expect(error.code).toBe('ERR_INPUT_ID_WHITESPACE');
    expect(error.message).toBe(`${spaced}:2: field "qid": id "q 1" contains whitespace (TREC files split on whitespace)`);
    const jsonl = write('nullid.jsonl', '{"qid":null,"query":"q","docid":"d","text":"t"}\n');
    expect((await failure(jsonl)).message).toBe(`${jsonl}:1: field "qid": empty value`);
  });

  it('ERR_INPUT_EMPTY_TEXT for empty or whitespace-only texts', async () => {
    const file = write('emptytext.csv', HEADER + '1,q,d1,"  \n ",1,1\n');
    const error = await failure(file);
    expect(error.code).toBe('ERR_INPUT_EMPTY_TEXT');
    expect(error.message).toBe(`${file}:2: field "text": empty document text`);
    const query = write('emptyquery.jsonl', '{"qid":"1","query":"","docid":"d","text":"t"}\n');
    expect((await failure(query)).message).toBe(`${query}:1: field "query": empty query text`);
  });

  it('onEmptyText "score-lowest" yields the pair flagged emptyText', async () => {
    const file = write('emptytext2.csv', HEADER + '1,q,d1,,1,1\n1,q,d2,t,0,2\n');
    const pairs = await collect(file, { onEmptyText: 'score-lowest' });
    expect(pairs).toEqual([
      { queryId: '1', query: 'q', docId: 'd1', document: '', score: 1, rank: 1, line: 2, emptyText: true },
      { queryId: '1', query: 'q', docId: 'd2', document: 't', score: 0, rank: 2, line: 3 },
    ]);
  });

  it('ERR_INPUT_NUMBER for non-numeric, non-finite and empty scores, and ranks that are not positive integers', async () => {
    const cases: [string, string, string][] = [
      ['abc', '1', 'field "score": not a number: "abc"'],
      ['1e999', '1', 'field "score": not a finite number: "1e999"'],
      ['NaN', '1', 'field "score": not a number: "NaN"'],
      ['0x10', '1', 'field "score": not a number: "0x10"'],
      ['', '1', 'field "score": empty value (a number is required once the column exists)'],
      ['1', '0', 'field "rank": rank must be a positive integer, got "0"'],
      ['1', '1.5', 'field "rank": rank must be a positive integer, got "1.5"'],
    ];
    for (const [i, [score, rank, message]] of cases.entries()) {
      const file = write(`number${i}.csv`, `${HEADER}1,q,d,t,${score},${rank}\n`);
      const error = await failure(file);
      expect(error.code).toBe('ERR_INPUT_NUMBER');
      expect(error.message).toBe(`${file}:2: ${message}`);
    }
    const label = write('label.jsonl', '{"qid":"1","query":"q","docid":"d","text":"t","rel":"high"}\n');
    expect((await failure(label)).message).toBe(`${label}:1: field "rel": not a number: "high"`);
    const jsonScore = write('jsonscore.jsonl', '{"qid":"1","query":"q","docid":"d","text":"t","score":true}\n');
    expect((await failure(jsonScore)).message).toBe(`${jsonScore}:1: field "score": not a number: true`);
  });

  it('ERR_INPUT_EMPTY for an empty file, a BOM-only file, a header without rows and blank JSONL', async () => {
    const empty = write('empty.csv', '');
    expect((await failure(empty)).message).toBe(`${empty}: empty file: no header and no rows`);
    const bom = write('bom.csv', Buffer.from([0xef, 0xbb, 0xbf]));
    expect((await failure(bom)).code).toBe('ERR_INPUT_EMPTY');
    const header = write('header.csv', '\ufeff' + HEADER.replace('\n', '\r\n') + '\r\n');
    const error = await failure(header);
    expect(error.code).toBe('ERR_INPUT_EMPTY');
    expect(error.message).toBe(`${header}:1: header but no rows`);
    const blank = write('blank.jsonl', '\n  \n');
    expect((await failure(blank)).message).toBe(`${blank}: empty file: no JSON lines`);
    const emptyGz = write('empty.jsonl.gz', gzipSync(Buffer.alloc(0)));
    expect((await failure(emptyGz)).code).toBe('ERR_INPUT_EMPTY');
  });

  it('ERR_INPUT_DOC_TOO_LONG with onLongDocument "reject"', async () => {
    const file = write('toolong.csv', HEADER + '1,q,d1,' + 'x'.repeat(20) + ',1,1\n');
    const error = await failure(file, { maxDocumentBytes: 10, onLongDocument: 'reject' });
    expect(error.code).toBe('ERR_INPUT_DOC_TOO_LONG');
    expect(error.message).toBe(`${file}:2: field "text": document is 20 UTF-8 bytes, over maxDocumentBytes (10)`);
  });

  it('ERR_INPUT_FILE for a file that does not exist', async () => {
    const file = join(dir, 'nope.csv');
    const error = await failure(file);
    expect(error.code).toBe('ERR_INPUT_FILE');
    expect(error.message).toMatch(new RegExp(`^${escape(file)}: cannot read the file \\(ENOENT`));
  });

  it('rejects bad options with UsageError', () => {
    expect(() => openPairs('x.csv', { maxDocumentBytes: 0 })).toThrow(UsageError);
    expect(() => openPairs('x.csv', { onBadRow: 'ignore' as 'skip' })).toThrow(/onBadRow must be one of "fail", "skip"/);
    expect(() => openPairs('x.csv', { columns: { doc: 'x' } as Record<string, string> })).toThrow(/unknown role "doc"/);
    expect(() => openPairs('x.parquet')).toThrow(/cannot tell the format/);
  });
});

describe('openPairs: onBadRow "skip"', () => {
  it('reports every bad row through onReject and yields the good ones', async () => {
    const file = write(
      'mixed.csv',
      Buffer.concat([
        Buffer.from(HEADER),
        Buffer.from('1,q,d1,good,3,1\n'), // 2
        Buffer.from('1,q,,no id,2,2\n'), // 3
        Buffer.from('1,q,d3,"multi\nline",x,3\n'), // 4-5
        Buffer.from('1,q,d4,short row\n'), // 6
        Buffer.from('1,q,d5,bad '),
        Buffer.from([0xff]),
        Buffer.from(',1,5\n'), // 7
        Buffer.from('1,q,d6,   ,1,6\n'), // 8
        Buffer.from('1,q,d1,dup,1,7\n'), // 9 (duplicate: a notice, not a reject)
        Buffer.from('1,q,d8,good too,0,8'), // 10
      ]),
    );
    const rejects: PairReject[] = [];
    const notices: string[] = [];
    const pairs = await collect(file, { onBadRow: 'skip', onReject: (r) => rejects.push(r), onNotice: (n) => notices.push(n.kind) });
    expect(pairs.map((p) => [p.docId, p.line])).toEqual([
      ['d1', 2],
      ['d8', 10],
    ]);
    expect(rejects).toEqual([
      { file, line: 3, field: 'docid', code: 'ERR_INPUT_EMPTY_ID', reason: 'empty value', raw: '1,q,,no id,2,2' },
      { file, line: 4, field: 'score', code: 'ERR_INPUT_NUMBER', reason: 'not a number: "x"', raw: '1,q,d3,"multi\nline",x,3' },
      { file, line: 6, code: 'ERR_INPUT_CSV', reason: 'expected 6 fields as in the header, found 4', raw: '1,q,d4,short row' },
      { file, line: 7, field: 'text', code: 'ERR_INPUT_ENCODING', reason: 'invalid UTF-8: byte 0xff at byte 5 of the field', raw: '1,q,d5,bad \ufffd,1,5' },
      { file, line: 8, field: 'text', code: 'ERR_INPUT_EMPTY_TEXT', reason: 'empty document text', raw: '1,q,d6,   ,1,6' },
    ]);
    expect(notices).toEqual(['duplicate-pairs']);
  });

  it('skips bad JSONL lines too', async () => {
    const file = write('mixed.jsonl', '{"qid":"1","query":"q","docid":"a","text":"t"}\nnot json\n{"qid":"1","query":"q","text":"t"}\n{"qid":"1","query":"q","docid":"b","text":"t"}\n');
    const rejects: PairReject[] = [];
    const pairs = await collect(file, { onBadRow: 'skip', onReject: (r) => rejects.push(r) });
    expect(pairs.map((p) => p.docId)).toEqual(['a', 'b']);
    expect(rejects.map((r) => [r.line, r.code, r.field])).toEqual([
      [2, 'ERR_INPUT_JSON', undefined],
      [3, 'ERR_INPUT_MISSING_COLUMN', 'doc_id'],
    ]);
  });

  it('still fails on problems of the whole file (header, CSV syntax)', async () => {
    const file = write('skipheader.csv', 'a,b\n1,2\n');
    expect((await failure(file, { onBadRow: 'skip', onReject: () => undefined })).code).toBe('ERR_INPUT_MISSING_COLUMN');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
