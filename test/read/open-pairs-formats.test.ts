import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { hasSharedData, sharedData } from '../helpers/paths.js';
import { openPairs, type PairReaderOptions, type ReaderNotice, type ReadPair } from '../../src/read/index.js';

const fixtures = fileURLToPath(new URL('../fixtures/', import.meta.url));
const messyCsv = join(fixtures, 'messy-pairs.csv');
const messyJsonl = join(fixtures, 'messy-pairs.jsonl');
const cranfield = join(sharedData, 'cranfield');

const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-read-formats-'));
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

const withoutLine = (pairs: ReadPair[]): Omit<ReadPair, 'line'>[] => pairs.map(({ line: _line, ...rest }) => rest);

/** The pairs of test/fixtures/messy-pairs.{csv,jsonl}, in file order (see test/fixtures/read/make-messy-pairs.mjs). */
const MESSY: Omit<ReadPair, 'line'>[] = [
  { queryId: '007', query: 'what is a wing, really?', docId: '0042', document: 'The "delta" wing,\r\nswept back — très élégant.', score: 12.5, rank: 1 },
  { queryId: '12', query: 'naïve "quoted" query', docId: 'd1', document: '翼の揚力 (lift of wings) 🚀', score: 11, rank: 1 },
  { queryId: '007', query: 'what is a wing, really?', docId: '0043', document: 'multi\nline\n\nwith a blank line inside', score: 10.25, rank: 2 },
  { queryId: '12', query: 'naïve "quoted" query', docId: 'd2', document: 'He said "hi", then left.', score: 9, rank: 2 },
  { queryId: '007', query: 'what is a wing, really?', docId: '0044', document: 'emoji 👩‍🔬 and combining e\u0301 (e + U+0301)', score: 8, rank: 3 },
  { queryId: '3', query: 'plain query', docId: 'x', document: 'plain document', score: -1.5, rank: 1 },
];

describe('openPairs: formats', () => {
  it('reads the messy CSV fixture (BOM, CRLF, quoted line breaks, doubled quotes, unicode, leading zeros)', async () => {
    const bytes = readFileSync(messyCsv);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.includes('\r\n')).toBe(true);
    const pairs = await collect(messyCsv);
    expect(withoutLine(pairs)).toEqual(MESSY);
    // Record start lines: header 1; the first record spans lines 2-3, the third 5-8.
    expect(pairs.map((p) => p.line)).toEqual([2, 4, 5, 9, 10, 11]);
  });

  it('reads the messy JSONL fixture to the same pairs (numeric id 3 becomes "3")', async () => {
    const pairs = await collect(messyJsonl);
    expect(withoutLine(pairs)).toEqual(MESSY);
    expect(pairs.map((p) => p.line)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads gzipped CSV and JSONL', async () => {
    const csvGz = write('messy.csv.gz', gzipSync(readFileSync(messyCsv)));
    const jsonlGz = write('messy.jsonl.gz', gzipSync(readFileSync(messyJsonl)));
    expect(withoutLine(await collect(csvGz))).toEqual(MESSY);
    expect(withoutLine(await collect(jsonlGz))).toEqual(MESSY);
    expect((await collect(csvGz)).map((p) => p.line)).toEqual([2, 4, 5, 9, 10, 11]);
  });

  it('reads TSV (tab delimiter, header, quoted fields) and .ndjson', async () => {
    const tsv = write(
      'pairs.tsv',
      'qid\tquery\tdocno\ttext\tbm25\n' + '1\ta, b\tD1\tsay "hi" there\t1.5\n' + '1\ta, b\tD2\t"tab\tand\nnewline"\t0.5\n' + '2\tq2\tD1\tplain\t-3\n',
    );
    const pairs = await collect(tsv);
    expect(pairs).toEqual([
      { queryId: '1', query: 'a, b', docId: 'D1', document: 'say "hi" there', score: 1.5, line: 2 },
      { queryId: '1', query: 'a, b', docId: 'D2', document: 'tab\tand\nnewline', score: 0.5, line: 3 },
      { queryId: '2', query: 'q2', docId: 'D1', document: 'plain', score: -3, line: 5 },
    ]);
    // A quote that opens a TSV field but is followed by more text, and a quote inside a field, are kept.
    const quotes = write('quotes.tsv', 'qid\tquery\tdocno\ttext\n1\t5" screen\tD1\t"Hello" she said\n');
    expect((await collect(quotes))[0]).toMatchObject({ query: '5" screen', document: '"Hello" she said' });
    const ndjson = write('pairs.ndjson', readFileSync(messyJsonl));
    expect(withoutLine(await collect(ndjson))).toEqual(MESSY);
  });

  it('takes the format from options.format over the file name', async () => {
    const txt = write('pairs.txt', readFileSync(messyJsonl));
    expect(withoutLine(await collect(txt, { format: 'jsonl' }))).toEqual(MESSY);
    expect(() => openPairs(txt)).toThrow(/cannot tell the format/);
    const gz = write('pairs.data.gz', gzipSync(readFileSync(messyCsv)));
    expect(withoutLine(await collect(gz, { format: 'csv' }))).toEqual(MESSY);
  });

  it('handles LF-only CSV, a last record without a line break, and empty lines between records', async () => {
    const file = write('lf.csv', 'query_id,query,doc_id,document\n\n1,q,d1,"a\nb"\n\n\n1,q,d2,c');
    const pairs = await collect(file);
    expect(pairs.map((p) => [p.docId, p.line])).toEqual([
      ['d1', 3],
      ['d2', 7],
    ]);
  });

  it('reads label columns and leaves an empty label out', async () => {
    const file = write('labels.csv', 'query_id,query,doc_id,document,relevance\n1,q,d1,t,2\n1,q,d2,t,\n');
    const pairs = await collect(file);
    expect(pairs).toEqual([
      { queryId: '1', query: 'q', docId: 'd1', document: 't', label: 2, line: 2 },
      { queryId: '1', query: 'q', docId: 'd2', document: 't', line: 3 },
    ]);
  });
});

describe('openPairs: columns', () => {
  it('accepts aliases case-insensitively (spaces and dashes count as underscores)', async () => {
    const file = write('aliases.csv', 'Topic-ID,Question,PASSAGE ID,Contents,Retrieval_Score,Rank,Rel,extra\n7,q,p1,text one,3.5,1,0,ignored\n');
    expect(await collect(file)).toEqual([{ queryId: '7', query: 'q', docId: 'p1', document: 'text one', score: 3.5, rank: 1, label: 0, line: 2 }]);
  });

  it('lets an explicit mapping win over aliases, and frees the mapped column from alias matching', async () => {
    // "text" would be the document by alias; mapped to the query, "body" becomes the document.
    const file = write('explicit.csv', 'topic,text,docid,body,score,bm25\n1,the query,d1,the doc,9,100\n');
    const pairs = await collect(file, { columns: { query: 'text', score: 'BM25' } });
    expect(pairs).toEqual([{ queryId: '1', query: 'the query', docId: 'd1', document: 'the doc', score: 100, line: 2 }]);
  });

  it('applies explicit mappings to JSONL keys', async () => {
    const file = write('explicit.jsonl', '{"q":"1","qt":"query","d":"7","body":"doc","s":2}\n');
    const pairs = await collect(file, { columns: { queryId: 'q', query: 'qt', docId: 'd', score: 's' } });
    expect(pairs).toEqual([{ queryId: '1', query: 'query', docId: '7', document: 'doc', score: 2, line: 1 }]);
  });

  it('keeps JSON number ids exactly as written and string ids as they are', async () => {
    const file = write('ids.jsonl', '{"qid": 7, "query": "q", "docid": 12345678901234567890, "text": "t"}\n{"qid": "007", "query": "q", "docid": 1.50, "text": "t"}\n');
    const pairs = await collect(file);
    expect(pairs.map((p) => [p.queryId, p.docId])).toEqual([
      ['7', '12345678901234567890'],
      ['007', '1.50'],
    ]);
  });
});

describe('openPairs: notices', () => {
  it('drops repeated (query_id, doc_id) pairs, keeps the first and reports them once at the end', async () => {
    const file = write('dups.csv', 'qid,query,docid,text\n1,q,a,first\n2,q,a,other query\n1,q,a,second\n1,q,b,x\n1,q,a,third\n');
    const notices: ReaderNotice[] = [];
    const pairs = await collect(file, { onNotice: (n) => notices.push(n) });
    expect(pairs.map((p) => [p.queryId, p.docId, p.document])).toEqual([
      ['1', 'a', 'first'],
      ['2', 'a', 'other query'],
      ['1', 'b', 'x'],
    ]);
    expect(notices).toHaveLength(1);
    const [notice] = notices;
    expect(notice).toMatchObject({
      kind: 'duplicate-pairs',
      file,
      count: 2,
      examples: [
        { queryId: '1', docId: 'a', line: 4 },
        { queryId: '1', docId: 'a', line: 6 },
      ],
    });
    expect(notice?.message).toContain('dropped 2 repeated');
  });

  it('keeps duplicates with detectDuplicates: false', async () => {
    const file = write('dups2.csv', 'qid,query,docid,text\n1,q,a,first\n1,q,a,second\n');
    expect(await collect(file, { detectDuplicates: false, onNotice: () => undefined })).toHaveLength(2);
  });

  it('truncates a long document at a UTF-8 character boundary and reports it', async () => {
    // "é" is 2 bytes, "🚀" 4: 9 bytes of ASCII + 2 + 4 = 15; a 12-byte limit cuts before the rocket.
    const file = write('long.csv', 'qid,query,docid,text\n1,q,d1,123456789é🚀tail\n1,q,d2,short\n');
    const notices: ReaderNotice[] = [];
    const pairs = await collect(file, { maxDocumentBytes: 12, onNotice: (n) => notices.push(n) });
    expect(pairs.map((p) => p.document)).toEqual(['123456789é', 'short']);
    expect(Buffer.byteLength(pairs[0]?.document ?? '')).toBe(11);
    expect(notices).toEqual([
      expect.objectContaining({ kind: 'document-truncated', file, line: 2, field: 'text', docId: 'd1', originalBytes: 19, keptBytes: 11 }),
    ]);
    expect(notices[0]?.message).toBe(`${file}:2: field "text": document d1 of 19 UTF-8 bytes truncated to 11 (maxDocumentBytes 12)`);
  });

  it('keeps the default 32768-byte limit', async () => {
    const file = write('long2.jsonl', JSON.stringify({ qid: '1', query: 'q', docid: 'd', text: 'ü'.repeat(20_000) }) + '\n');
    const notices: ReaderNotice[] = [];
    const [pair] = await collect(file, { onNotice: (n) => notices.push(n) });
    expect(Buffer.byteLength(pair?.document ?? '')).toBe(32_768);
    expect(notices).toHaveLength(1);
  });
});

describe.skipIf(!hasSharedData)('openPairs: cranfield (shared data)', () => {
  it('stops reading when the consumer breaks out', async () => {
    let n = 0;
    for await (const _pair of openPairs(join(cranfield, 'pairs.csv.gz'))) if (++n === 3) break;
    for await (const _pair of openPairs(join(cranfield, 'pairs.jsonl.gz'))) if (++n === 6) break;
    expect(n).toBe(6);
  });

  it('yields identical pair sequences from pairs.csv.gz and pairs.jsonl.gz (22,471 pairs)', async () => {
    const fromCsv = await collect(join(cranfield, 'pairs.csv.gz'));
    const fromJsonl = await collect(join(cranfield, 'pairs.jsonl.gz'));
    expect(fromCsv).toHaveLength(22_471);
    expect(fromJsonl).toHaveLength(22_471);
    expect(withoutLine(fromCsv)).toEqual(withoutLine(fromJsonl));
    expect(fromJsonl[22_470]?.line).toBe(22_471);
    expect(fromCsv[0]).toMatchObject({ queryId: '1', docId: '486', score: 21.018631, rank: 1, line: 2 });
  });
});
