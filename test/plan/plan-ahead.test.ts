import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/input-error.js';
import { UsageError } from '../../src/errors/usage-error.js';
import { BatchPlanner, type PlannedBatch, type PlannerOptions } from '../../src/plan/batch-planner.js';
import { plannerOptionsOf, requestShapeOf } from '../../src/options/request-shape.js';
import { resolveOptions } from '../../src/options/resolve-options.js';
import { rerankJobId } from '../../jobs/job-id.js';
import { JOB_CONTRACT_VERSION, type RerankJobPayload } from '../../jobs/rerank-job.js';
import { planAhead, type EmptyTextPair, type PlainReaderOptions, type PlannedItem, type PlannedJob } from '../../src/plan/plan-ahead.js';
import { openPairs, type PairReject, type ReaderNotice } from '../../src/read/index.js';

// The thread runs the compiled reader and planner (dist/), which `npm test` builds first.

/** A planned job (no cache is given here, so the planner makes no cached batches). */
function plannedJob(item: PlannedItem): PlannedJob {
  if ('cached' in item) throw new Error(`unexpected cached batch ${item.id}`);
  return item;
}

const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-plan-ahead-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

const PLANNER: PlannerOptions = {
  ...plannerOptionsOf(requestShapeOf(resolveOptions('submit', { api: { input: 'x' }, env: {} }).options)),
  maxDocsPerRequest: 7,
  maxRequestBytes: 1 << 20,
  maxBufferedBytes: 1 << 20,
};
const RUN = 'r-test';

type Event = ['job', PlannedJob] | ['reject', PairReject] | ['notice', ReaderNotice['kind']];

/** The job the producer made of a batch before planAhead did it. */
function jobOf(batch: PlannedBatch): PlannedJob {
  const data: RerankJobPayload = { v: JOB_CONTRACT_VERSION, runId: RUN, queryId: batch.queryId, query: batch.query, docs: batch.docs };
  if (batch.unscored === true) data.unscored = true;
  return { id: rerankJobId(data), data };
}

/** Reading and planning in this thread, as the producer did before planAhead. */
async function inThisThread(file: string, options: PlainReaderOptions): Promise<{ events: Event[]; totals: unknown }> {
  const events: Event[] = [];
  const planner = new BatchPlanner(PLANNER, file);
  const pairs = openPairs(file, { ...options, onReject: (reject) => events.push(['reject', reject]), onNotice: (notice) => events.push(['notice', notice.kind]) });
  for await (const pair of pairs) for (const batch of planner.add(pair)) events.push(['job', jobOf(batch)]);
  for (const batch of planner.flush()) events.push(['job', jobOf(batch)]);
  return { events, totals: planner.totals };
}

async function failure(items: AsyncIterable<unknown>): Promise<unknown> {
  try {
    for await (const item of items) void item;
  } catch (error) {
    return error;
  }
  throw new Error('planned without error');
}

describe('planAhead: reading and planning in a worker thread', () => {
  it('yields the same jobs, rejects and notices, in the same order, and the same totals', async () => {
    const rows = ['qid,query,docid,text,score'];
    // 3,000 rows, queries of 30 candidates (several batches each): bad rows, a long document and a
    // duplicate spread among them.
    for (let i = 0; i < 3000; i++) {
      const q = Math.floor(i / 30);
      if (i === 700) rows.push(`${q},query ${q},,empty id,1`);
      else if (i === 1800) rows.push(`${q},query ${q},d${i},${'x'.repeat(300)},1`);
      else if (i === 2500) rows.push(`${q},query ${q},d${i - 1},repeated,1`);
      else rows.push(`${q},query ${q},d${i},text of document ${i},${1000 - i}`);
    }
    const file = write('mixed.csv', `${rows.join('\n')}\n`);
    const options: PlainReaderOptions = { onBadRow: 'skip', maxDocumentBytes: 100 };
    const expected = await inThisThread(file, options);
    const events: Event[] = [];
    const planned = planAhead(RUN, { kind: 'pairs', file, options }, PLANNER, {
      onReject: (reject) => events.push(['reject', reject]),
      onNotice: (notice) => events.push(['notice', notice.kind]),
    });
    expect(planned.totals).toBeUndefined();
    for await (const job of planned) events.push(['job', plannedJob(job)]);
    expect(events).toEqual(expected.events);
    expect(planned.totals).toEqual(expected.totals);
    expect(planned.totals).toMatchObject({ queries: 100, pairs: 2998, batches: 500 });
    // Every batch is a request of its documents (no copies, no passages), billed one unit a request.
    expect(planned.totals).toMatchObject({ requests: 500, texts: 2998, units: 500, deduplicated: 0, split: 0, passages: 0, passagesCut: 0 });
    expect(planned.totals?.tokens).toBeGreaterThan(2998);
    expect(events.filter(([kind]) => kind !== 'job').map(([kind]) => kind)).toEqual(['reject', 'notice', 'notice']);
  });

  it('reports pairs kept with an empty text, and plans them as unscored batches', async () => {
    const file = write('empty.csv', 'qid,query,docid,text\n1,q,a,alpha\n1,q,b,\n1,q,c,gamma\n');
    const empty: EmptyTextPair[] = [];
    const batches: RerankJobPayload[] = [];
    for await (const job of planAhead(RUN, { kind: 'pairs', file, options: { onEmptyText: 'score-lowest' } }, PLANNER, { onEmptyText: (pair) => empty.push(pair) })) batches.push(plannedJob(job).data);
    expect(empty).toEqual([{ line: 3, queryId: '1', docId: 'b', field: 'document' }]);
    expect(batches.map((b) => [b.unscored === true, b.docs.map((d) => d.id)])).toEqual([
      [false, ['a', 'c']],
      [true, ['b']],
    ]);
  });

  it('reads a TREC run with its texts', async () => {
    const runFile = write('run.trec', '1 Q0 a 1 3.5 bm25\n1 Q0 b 2 2.5 bm25\n2 Q0 a 1 9 bm25\n');
    const docsFile = write('docs.tsv', 'a\talpha\nb\tbeta\n');
    const queriesFile = write('queries.tsv', '1\tfirst\n2\tsecond\n');
    const jobs: PlannedJob[] = [];
    for await (const job of planAhead(RUN, { kind: 'run', options: { runFile, docsFile, queriesFile } }, PLANNER)) jobs.push(plannedJob(job));
    expect(jobs.map((job) => job.data)).toEqual([
      { v: JOB_CONTRACT_VERSION, runId: RUN, queryId: '1', query: 'first', docs: [{ id: 'a', text: 'alpha', score: 3.5, rank: 1 }, { id: 'b', text: 'beta', score: 2.5, rank: 2 }] },
      { v: JOB_CONTRACT_VERSION, runId: RUN, queryId: '2', query: 'second', docs: [{ id: 'a', text: 'alpha', score: 9, rank: 1 }] },
    ]);
    expect(jobs.map((job) => job.id)).toEqual(jobs.map((job) => rerankJobId(job.data)));
  });

  it('rethrows an InputError with its code, file, line, field and message', async () => {
    const file = write('bad.csv', 'qid,query,docid,text\n1,q,d1,t\n1,q,,t\n');
    const expected = await failure((async function* () {
      for await (const pair of openPairs(file)) void pair;
    })());
    const error = await failure(planAhead(RUN, { kind: 'pairs', file, options: {} }, PLANNER));
    expect(error).toBeInstanceOf(InputError);
    expect(expected).toBeInstanceOf(InputError);
    const fields = (e: InputError): unknown[] => [e.code, e.file, e.line, e.field, e.reason, e.message];
    expect(fields(error as InputError)).toEqual(fields(expected as InputError));
  });

  it("rethrows the planner's own errors too", async () => {
    const file = write('mismatch.csv', 'qid,query,docid,text\n1,first,a,t\n1,second,b,t\n');
    const error = await failure(planAhead(RUN, { kind: 'pairs', file, options: {} }, PLANNER));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'ERR_INPUT_QUERY_MISMATCH', file, line: 3, field: 'query' });
  });

  it('checks options at once, before any thread starts', () => {
    expect(() => planAhead(RUN, { kind: 'pairs', file: 'pairs.txt', options: {} }, PLANNER)).toThrow(UsageError);
  });

  it('stops the thread when the consumer stops early', async () => {
    const rows = ['qid,query,docid,text'];
    for (let i = 0; i < 20_000; i++) rows.push(`${Math.floor(i / 10)},q${Math.floor(i / 10)},d${i},document ${i}`);
    const file = write('long.csv', `${rows.join('\n')}\n`);
    const ports = (): number => process.getActiveResourcesInfo().filter((kind) => kind === 'MessagePort').length;
    const before = ports();
    const jobs = planAhead(RUN, { kind: 'pairs', file, options: {} }, PLANNER)[Symbol.asyncIterator]();
    expect((await jobs.next()).value).toMatchObject({ data: { queryId: '0' } });
    // The running thread holds a port open...
    expect(ports()).toBe(before + 1);
    await jobs.return?.(undefined);
    // ...which is gone once the consumer has stopped.
    expect(ports()).toBe(before);
  });
});
