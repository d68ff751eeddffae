/**
 * The worker thread of `produceAhead`: plans the jobs of the source given as workerData (planJobs) and
 * adds them to the run's queue (produce) over its own Redis connection, posting rejects, notices,
 * empty-text pairs and log lines as they come, then 'done' with the report, or 'error'.
 */
import { Queue } from 'bullmq';
import { parentPort, workerData } from 'node:worker_threads';
import { EVENTS_MAX_LEN } from '../../jobs/default-job-options.js';
import { runQueueName } from '../../jobs/names.js';
import { serializeError } from '../errors/serialized-error.js';
import { planJobs } from '../plan/plan-jobs.js';
import { openConnection } from '../redis/connect.js';
import { RunStore } from '../run/run-store.js';
import type { ProduceAheadMessage, ProduceAheadStop, ProduceAheadWork } from './produce-ahead.js';
import { produce, type ProducerLog, type RerankQueue } from './producer.js';

const port = parentPort;
if (port === null) throw new Error('produce-ahead-thread runs as a worker thread only');
const post = (message: ProduceAheadMessage): void => port.postMessage(message);

const work = workerData as ProduceAheadWork;
const stopping = new AbortController();
const onStop = (message: ProduceAheadStop): void => {
  if (message.type === 'stop') stopping.abort();
};
port.on('message', onStop);

const log: ProducerLog = {
  info: (fields, message) => post({ type: 'log', level: 'info', fields, message }),
  warn: (fields, message) => post({ type: 'log', level: 'warn', fields, message }),
};

const connection = openConnection(work.redisUrl);
const queue: RerankQueue = new Queue(runQueueName(work.runId), { connection, prefix: work.prefix, streams: { events: { maxLen: EVENTS_MAX_LEN } } });
try {
  const planned = planJobs(work.runId, work.source, work.planner, {
    onReject: (reject) => post({ type: 'reject', reject }),
    onNotice: (notice) => post({ type: 'notice', notice }),
    onEmptyText: (pair) => post({ type: 'empty-text', pair }),
  });
  const report = await produce(planned, queue, new RunStore(connection, work.prefix), { runId: work.runId, maxPending: work.maxPending, attempts: work.attempts, signal: stopping.signal }, log);
  post({ type: 'done', report });
} catch (error) {
  post({ type: 'error', error: serializeError(error) });
} finally {
  await queue.close().catch(() => undefined);
  await connection.quit().catch(() => undefined);
  // The stop listener would keep the thread alive; what was posted is delivered all the same.
  port.off('message', onStop);
}
