import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { runQueueName } from '../../jobs/names.js';
import type { RerankJobPayload } from '../../jobs/rerank-job.js';
import { produceAhead, type ProduceAheadWork } from '../../src/enqueue/produce-ahead.js';
import { InputError } from '../../src/errors/input-error.js';
import { UsageError } from '../../src/errors/usage-error.js';
import { createLogger } from '../../src/logger.js';
import { planJobs, type PairSource, type PlannedJob } from '../../src/plan/plan-jobs.js';
import { openPairs, type PairReject, type ReaderNotice } from '../../src/read/index.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

// The thread runs the compiled producer (dist/), which `npm test` builds first.
const cleanups = cleanupAfterAll();
const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-produce-ahead-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const logger = createLogger({ level: 'silent', format: 'json' });

function write(name: string, content: string): string {
  const file = join(dir, name);
  writeFileSync(file, content);
  return file;
}

function work(source: PairSource, prefix: string, runId = 'r-test'): ProduceAheadWork {
  cleanups.push(() => deletePrefix(redisUrl(), prefix));
  return { runId, source, planner: { maxDocsPerRequest: 7, maxRequestBytes: 1 << 20, maxBufferedBytes: 1 << 20 }, redisUrl: redisUrl(), prefix, maxPending: 1000, attempts: 5 };
}

/** Every job of the run's queue: id and payload. */
async function queued(prefix: string, runId = 'r-test'): Promise<PlannedJob[]> {
  const connection = new Redis(redisUrl(), { maxRetriesPerRequest: null });
  const queue = new Queue<RerankJobPayload>(runQueueName(runId), { connection, prefix });
  try {
    const jobs = await queue.getJobs(['waiting'], 0, -1, true);
    return jobs.map((job) => ({ id: job.id as string, data: job.data }));
  } finally {
    await queue.close();
    await connection.quit();
  }
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('produced without error');
}

describe('produceAhead: the producer in a worker thread', () => {
  it('queues the jobs planJobs makes, and reports rejects and notices in reading order', async () => {
    const rows = ['qid,query,docid,text,score'];
    // 3,000 rows, queries of 30 candidates: bad rows, a long document and a duplicate among them.
    for (let i = 0; i < 3000; i++) {
      const q = Math.floor(i / 30);
      if (i === 700) rows.push(`${q},query ${q},,empty id,1`);
      else if (i === 1800) rows.push(`${q},query ${q},d${i},${'x'.repeat(300)},1`);
      else if (i === 2500) rows.push(`${q},query ${q},d${i - 1},repeated,1`);
      else rows.push(`${q},query ${q},d${i},text of document ${i},${1000 - i}`);
    }
    const file = write('mixed.csv', `${rows.join('\n')}\n`);
    const source: PairSource = { kind: 'pairs', file, options: { onBadRow: 'skip', maxDocumentBytes: 100 } };
    const prefix = uniquePrefix('produce-ahead');
    const task = work(source, prefix);

    const expected: PlannedJob[] = [];
    for await (const job of planJobs(task.runId, source, task.planner, { onReject: () => undefined, onNotice: () => undefined })) expected.push(job);
    const expectedEvents: string[] = [];
    for await (const pair of openPairs(file, { ...source.options, onReject: (r) => expectedEvents.push(`reject ${r.line}`), onNotice: (n) => expectedEvents.push(`notice ${n.kind}`) })) void pair;

    const events: string[] = [];
    const report = await produceAhead(task, { onReject: (r: PairReject) => events.push(`reject ${r.line}`), onNotice: (n: ReaderNotice) => events.push(`notice ${n.kind}`) }, logger);
    expect(report).toEqual({ queries: 100, pairs: 2998, batches: 500, enqueued: 500, alreadySubmitted: 0 });
    expect(events).toEqual(expectedEvents);
    const jobs = await queued(prefix);
    expect(jobs.map((job) => job.id).sort()).toEqual(expected.map((job) => job.id).sort());
    const byId = new Map(jobs.map((job) => [job.id, job.data]));
    for (const job of expected) expect(byId.get(job.id)).toEqual(job.data);
  });

  it('adds nothing the second time: job ids are deterministic', async () => {
    const file = write('small.csv', 'qid,query,docid,text\n1,q,a,alpha\n1,q,b,beta\n');
    const prefix = uniquePrefix('produce-ahead-again');
    const task = work({ kind: 'pairs', file, options: {} }, prefix);
    await produceAhead(task, {}, logger);
    await produceAhead(task, {}, logger);
    expect(await queued(prefix)).toHaveLength(1);
  });

  it('rethrows an InputError with its code, file, line and field', async () => {
    const file = write('bad.csv', 'qid,query,docid,text\n1,q,d1,t\n1,q,,t\n');
    const error = await failure(produceAhead(work({ kind: 'pairs', file, options: {} }, uniquePrefix('produce-ahead-bad')), {}, logger));
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'ERR_INPUT_EMPTY_ID', file, line: 3, field: 'docid' });
  });

  it("rethrows the planner's own errors too", async () => {
    const file = write('mismatch.csv', 'qid,query,docid,text\n1,first,a,t\n1,second,b,t\n');
    const error = await failure(produceAhead(work({ kind: 'pairs', file, options: {} }, uniquePrefix('produce-ahead-mismatch')), {}, logger));
    expect(error).toMatchObject({ code: 'ERR_INPUT_QUERY_MISMATCH', file, line: 3, field: 'query' });
  });

  it('checks options at once, before any thread starts', () => {
    expect(() => produceAhead(work({ kind: 'pairs', file: 'pairs.txt', options: {} }, uniquePrefix('produce-ahead-usage')), {}, logger)).toThrow(UsageError);
  });

  it('stops reading when the signal aborts, keeping what it queued, with no totals', async () => {
    const rows = ['qid,query,docid,text'];
    for (let i = 0; i < 20_000; i++) rows.push(`${Math.floor(i / 10)},q${Math.floor(i / 10)},d${i},document ${i}`);
    const file = write('long.csv', `${rows.join('\n')}\n`);
    const prefix = uniquePrefix('produce-ahead-stop');
    const task = { ...work({ kind: 'pairs', file, options: {} }, prefix), maxPending: 100 };
    const stop = new AbortController();
    // With room for 100 jobs and no worker, the producer waits for room until told to stop.
    const producing = produceAhead(task, {}, logger, stop.signal);
    setTimeout(() => stop.abort(), 500);
    const report = await producing;
    expect(report.enqueued).toBeGreaterThan(0);
    expect(report.enqueued).toBeLessThanOrEqual(100);
    expect(report.batches).toBe(0);
    expect(await queued(prefix)).toHaveLength(report.enqueued);
  });
});
