import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rerankJobId } from '../../jobs/job-id.js';
import { JOB_CONTRACT_VERSION, type RerankJobPayload } from '../../jobs/rerank-job.js';
import { UsageError } from '../../src/errors/usage-error.js';
import type { PlannerOptions } from '../../src/plan/batch-planner.js';
import { planJobs, type EmptyTextPair, type PlannedJob } from '../../src/plan/plan-jobs.js';

const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-plan-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

const PLANNER: PlannerOptions = { maxDocsPerRequest: 2, maxRequestBytes: 1 << 20, maxBufferedBytes: 1 << 20 };
const RUN = 'r-test';

describe('planJobs', () => {
  it('plans batches into job payloads with their deterministic ids, and knows the totals at the end', async () => {
    const file = write('pairs.csv', 'qid,query,docid,text,score\n1,first,a,alpha,3\n1,first,b,beta,2\n1,first,c,gamma,1\n2,second,a,alpha,9\n');
    const planned = planJobs(RUN, { kind: 'pairs', file, options: {} }, PLANNER);
    const jobs: PlannedJob[] = [];
    for await (const job of planned) {
      expect(planned.totals).toBeUndefined();
      jobs.push(job);
    }
    const doc = (id: string, text: string, score: number) => ({ id, text, score });
    const expected: RerankJobPayload[] = [
      { v: JOB_CONTRACT_VERSION, runId: RUN, queryId: '1', query: 'first', docs: [doc('a', 'alpha', 3), doc('b', 'beta', 2)] },
      { v: JOB_CONTRACT_VERSION, runId: RUN, queryId: '1', query: 'first', docs: [doc('c', 'gamma', 1)] },
      { v: JOB_CONTRACT_VERSION, runId: RUN, queryId: '2', query: 'second', docs: [doc('a', 'alpha', 9)] },
    ];
    expect(jobs.map((job) => job.data)).toEqual(expected);
    expect(jobs.map((job) => job.id)).toEqual(expected.map((payload) => rerankJobId(payload)));
    expect(planned.totals).toEqual({ queries: 2, pairs: 4, batches: 3 });
  });

  it('reports pairs kept with an empty text, and plans them as unscored batches', async () => {
    const file = write('empty.csv', 'qid,query,docid,text\n1,q,a,alpha\n1,q,b,\n1,q,c,gamma\n');
    const empty: EmptyTextPair[] = [];
    const jobs: PlannedJob[] = [];
    for await (const job of planJobs(RUN, { kind: 'pairs', file, options: { onEmptyText: 'score-lowest' } }, PLANNER, { onEmptyText: (pair) => empty.push(pair) })) jobs.push(job);
    expect(empty).toEqual([{ line: 3, queryId: '1', docId: 'b', field: 'document' }]);
    expect(jobs.map(({ data }) => [data.unscored === true, data.docs.map((d) => d.id)])).toEqual([
      [false, ['a', 'c']],
      [true, ['b']],
    ]);
  });

  it('reads a TREC run with its texts', async () => {
    const runFile = write('run.trec', '1 Q0 a 1 3.5 bm25\n1 Q0 b 2 2.5 bm25\n');
    const docsFile = write('docs.tsv', 'a\talpha\nb\tbeta\n');
    const queriesFile = write('queries.tsv', '1\tfirst\n');
    const jobs: PlannedJob[] = [];
    for await (const job of planJobs(RUN, { kind: 'run', options: { runFile, docsFile, queriesFile } }, PLANNER)) jobs.push(job);
    expect(jobs.map((job) => job.data.docs)).toEqual([[{ id: 'a', text: 'alpha', score: 3.5, rank: 1 }, { id: 'b', text: 'beta', score: 2.5, rank: 2 }]]);
  });

  it('checks options at once', () => {
    expect(() => planJobs(RUN, { kind: 'pairs', file: 'pairs.txt', options: {} }, PLANNER)).toThrow(UsageError);
  });
});
