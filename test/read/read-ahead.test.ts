import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/input-error.js';
import { UsageError } from '../../src/errors/usage-error.js';
import { openPairs, type PairReject, type ReaderNotice, type ReadPair } from '../../src/read/index.js';
import { readAhead, type PlainReaderOptions } from '../../src/read/read-ahead.js';

// The thread runs the compiled reader (dist/), which `npm test` builds first.
const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-read-ahead-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

type Event = ['pair', ReadPair] | ['reject', PairReject] | ['notice', ReaderNotice];

/** Everything a reader yields and reports, in the order the consumer sees it. */
async function events(read: (callbacks: { onReject: (r: PairReject) => void; onNotice: (n: ReaderNotice) => void }) => AsyncIterable<ReadPair>): Promise<Event[]> {
  const seen: Event[] = [];
  const pairs = read({ onReject: (reject) => seen.push(['reject', reject]), onNotice: (notice) => seen.push(['notice', notice]) });
  for await (const pair of pairs) seen.push(['pair', pair]);
  return seen;
}

async function failure(pairs: AsyncIterable<ReadPair>): Promise<unknown> {
  try {
    for await (const pair of pairs) void pair;
  } catch (error) {
    return error;
  }
  throw new Error('read without error');
}

describe('readAhead: the reader in a worker thread', () => {
  it('yields the same pairs, rejects and notices, in the same order, as openPairs', async () => {
    const rows = ['qid,query,docid,text,score'];
    // 3,000 rows: several chunks; bad rows, a long document and a duplicate spread among them.
    for (let i = 0; i < 3000; i++) {
      const q = Math.floor(i / 30);
      if (i === 700) rows.push(`${q},query ${q},,empty id,1`);
      else if (i === 1800) rows.push(`${q},query ${q},d${i},${'x'.repeat(300)},1`);
      else if (i === 2500) rows.push(`${q},query ${q},d${i - 1},repeated,1`);
      else rows.push(`${q},query ${q},d${i},text of document ${i},${1000 - i}`);
    }
    const file = write('mixed.csv', `${rows.join('\n')}\n`);
    const options: PlainReaderOptions = { onBadRow: 'skip', maxDocumentBytes: 100 };
    const direct = await events((callbacks) => openPairs(file, { ...options, ...callbacks }));
    const threaded = await events((callbacks) => readAhead({ kind: 'pairs', file, options }, callbacks));
    expect(threaded).toEqual(direct);
    const kinds = threaded.map(([kind]) => kind);
    expect(kinds.filter((k) => k === 'pair')).toHaveLength(2998);
    expect(kinds.filter((k) => k === 'reject')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'notice')).toHaveLength(2);
    // The reject arrives between the pairs around it, not before or after all of them.
    expect(kinds.indexOf('reject')).toBe(700);
  });

  it('reads a TREC run with its texts like openRunPairs', async () => {
    const runFile = write('run.trec', '1 Q0 a 1 3.5 bm25\n1 Q0 b 2 2.5 bm25\n2 Q0 a 1 9 bm25\n');
    const docsFile = write('docs.tsv', 'a\talpha\nb\tbeta\n');
    const queriesFile = write('queries.tsv', '1\tfirst\n2\tsecond\n');
    const pairs: ReadPair[] = [];
    for await (const pair of readAhead({ kind: 'run', options: { runFile, docsFile, queriesFile } })) pairs.push(pair);
    expect(pairs.map((p) => [p.queryId, p.docId, p.document, p.score])).toEqual([
      ['1', 'a', 'alpha', 3.5],
      ['1', 'b', 'beta', 2.5],
      ['2', 'a', 'alpha', 9],
    ]);
  });

  it('rethrows an InputError with its code, file, line, field and message', async () => {
    const file = write('bad.csv', 'qid,query,docid,text\n1,q,d1,t\n1,q,,t\n');
    const expected = await failure(openPairs(file));
    const error = await failure(readAhead({ kind: 'pairs', file, options: {} }));
    expect(error).toBeInstanceOf(InputError);
    expect(expected).toBeInstanceOf(InputError);
    const fields = (e: InputError): unknown[] => [e.code, e.file, e.line, e.field, e.reason, e.message];
    expect(fields(error as InputError)).toEqual(fields(expected as InputError));
  });

  it('checks options at once, before any thread starts', () => {
    expect(() => readAhead({ kind: 'pairs', file: 'pairs.txt', options: {} })).toThrow(UsageError);
  });

  it('stops the thread when the consumer stops early', async () => {
    const rows = ['qid,query,docid,text'];
    for (let i = 0; i < 20_000; i++) rows.push(`${Math.floor(i / 10)},q,d${i},document ${i}`);
    const file = write('long.csv', `${rows.join('\n')}\n`);
    const ports = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'MessagePort').length;
    const before = ports();
    const pairs = readAhead({ kind: 'pairs', file, options: {} })[Symbol.asyncIterator]();
    expect((await pairs.next()).value).toMatchObject({ queryId: '0', docId: 'd0' });
    // The running thread holds a port open...
    expect(ports()).toBe(before + 1);
    await pairs.return?.(undefined);
    // ...which is gone once the consumer has stopped.
    expect(ports()).toBe(before);
  });
});
