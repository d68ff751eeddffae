import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import { rerankJobPayloadSchema } from '../../jobs/rerank-job.js';
import type { RerankQueue } from '../../jobs/rerank-queue.js';

/** Where Bull Board is mounted. */
export const BOARD_PATH = '/queues';

/** Bull Board's page of one run's queue, optionally of the jobs in one state. */
export function boardQueuePath(queueName: string, status?: string): string {
  return `${BOARD_PATH}/queue/${encodeURIComponent(queueName)}${status === undefined ? '' : `?status=${status}`}`;
}

/** What Bull Board shows of a batch instead of its payload. */
export type BatchView = { runId: string; queryId: string; batchSize: number; docIds: string[]; unscored?: true } | { unreadable: string };

/**
 * A job's payload carries the query and every document text, kept in Redis so that `retry-failed` can send
 * a failed batch again; failures.jsonl, the run's record of its failures, keeps only the ids. The board
 * shows what failures.jsonl shows and the batch size, never a text.
 */
export function batchView(data: unknown): BatchView {
  const parsed = rerankJobPayloadSchema.safeParse(data);
  if (!parsed.success) return { unreadable: 'the payload does not match the job contract (its texts are not shown)' };
  const { runId, queryId, docs, unscored } = parsed.data;
  return { runId, queryId, batchSize: docs.length, docIds: docs.map((doc) => doc.id), ...(unscored === true ? { unscored: true as const } : {}) };
}

const jobHeadSchema = z.object({ name: z.string(), attemptsMade: z.number(), opts: z.object({ attempts: z.number().optional() }), data: z.unknown() });

/**
 * A job's title in Bull Board: its name, batch and attempts. The board prints a job's attempts only past
 * the first, and a batch that failed at its first attempt (a 422) is worth saying so.
 */
export function jobTitle(job: unknown): string {
  const parsed = jobHeadSchema.safeParse(job);
  if (!parsed.success) return 'rerank';
  const { name, attemptsMade, opts, data } = parsed.data;
  const batch = batchView(data);
  const what = 'batchSize' in batch ? `query ${batch.queryId}, ${batch.batchSize} documents` : 'unreadable payload';
  return `${name}: ${what}, ${attemptsMade} of ${opts.attempts ?? 1} attempts made`;
}

const RETRY_FAILED_JOBS = /^\/api\/queues\/[^/]+\/retry\/failed$/;
const RETRY_JOB = /^\/api\/queues\/([^/]+)\/([^/]+)\/retry$/;

function decoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/**
 * Of Bull Board's actions, only retrying failed jobs is let through: it is what `retry-failed` does, and
 * the collector counts a failed batch queued again as pending. Every other change would break a run:
 * cleaning or removing jobs loses batches the collector has not spooled (the run never completes) or
 * failures it has not listed; adding, editing or emptying changes what the run scores; retrying a finished
 * job pays for it twice; a queue-wide rate limit or concurrency overrides the run's own.
 */
function onlyFailedRetries(queueNamed: (name: string) => RerankQueue | undefined): RequestHandler {
  return async (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (req.method === 'PUT' && RETRY_FAILED_JOBS.test(req.path)) return next();
    const retry = req.method === 'PUT' ? RETRY_JOB.exec(req.path) : null;
    const queue = retry?.[1] === undefined ? undefined : queueNamed(decoded(retry[1]) ?? '');
    const jobId = retry?.[2] === undefined ? undefined : decoded(retry[2]);
    if (queue !== undefined && jobId !== undefined && (await queue.getJobState(jobId)) === 'failed') return next();
    res.status(403).json({ error: 'Forbidden', message: 'rerank-batch dashboard: only failed jobs can be retried here; other changes would break the run (see README, dashboard)' });
  };
}

/** Bull Board over the runs' queues, with its set of queues replaceable as runs come and go. */
export function createBoard(queueNamed: (name: string) => RerankQueue | undefined): { handler: Router; setQueues(queues: RerankQueue[]): void } {
  const serverAdapter = new ExpressAdapter().setBasePath(BOARD_PATH);
  const board = createBullBoard({
    queues: [],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'rerank-batch', hideDocsLink: true, miscLinks: [{ text: 'Runs', url: '/' }] } },
  });
  // `allowCompletedRetries` is read by BaseAdapter though BullMQAdapter's option type leaves it out: it hides
  // the retry button of finished jobs (onlyFailedRetries refuses those anyway).
  const adapterOptions = { readOnlyMode: false, allowRetries: true, allowCompletedRetries: false };
  const handler = Router();
  handler.use(onlyFailedRetries(queueNamed));
  const boardApp: RequestHandler = serverAdapter.getRouter();
  handler.use(boardApp);
  return {
    handler,
    setQueues(queues) {
      board.replaceQueues(
        queues.map((queue) => {
          const adapter = new BullMQAdapter(queue, { ...adapterOptions, description: `run ${queue.name.replace(/^run-/, '')}` });
          adapter.setFormatter('data', batchView);
          adapter.setFormatter('name', jobTitle);
          return adapter;
        }),
      );
    },
  };
}
