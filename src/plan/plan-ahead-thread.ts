/**
 * The worker thread of `planAhead`: opens the source given as workerData, plans its pairs into batches,
 * makes each a job (payload and id), and posts them in chunks, with rejects, notices and empty-text pairs
 * in order between them, then 'done' with the totals, or 'error'. Each message costs a credit, which the
 * main thread gives back as it takes the message: at most PLAN_AHEAD_MESSAGES are outstanding.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { rerankJobId } from '../../jobs/job-id.js';
import { JOB_CONTRACT_VERSION } from '../../jobs/contract-version.js';
import type { RerankJobPayload } from '../../jobs/rerank-job.js';
import { cachedBatchId, type CachedBatch } from '../../jobs/cached-batch.js';
import { ScoreCache, usable } from '../cache/score-cache.js';
import { ScoreKeys } from '../cache/score-key.js';
import { BatchPlanner, type PlannedBatch, type PlannerCache } from './batch-planner.js';
import { serializeError } from '../errors/serialized-error.js';
import { openSource, PLAN_AHEAD_MESSAGES, sourceFile, type PlanAheadCredit, type PlanAheadMessage, type PlanAheadWork, type PlannedItem } from './plan-ahead.js';

/** A chunk is sent at this many jobs or this many UTF-16 units of document text, whichever comes first. */
const CHUNK_JOBS = 8;
const CHUNK_CHARS = 1 << 18;

const port = parentPort;
if (port === null) throw new Error('plan-ahead-thread runs as a worker thread only');

let credit = PLAN_AHEAD_MESSAGES;
let creditArrived: (() => void) | undefined;
const onCredit = (message: PlanAheadCredit): void => {
  if (message.type !== 'credit') return;
  credit += 1;
  creditArrived?.();
};
port.on('message', onCredit);

const post = (message: PlanAheadMessage): void => {
  port.postMessage(message);
  credit -= 1;
};

const { runId, source, planner: plannerOptions, cache: cacheSettings } = workerData as PlanAheadWork;

let chunk: PlannedItem[] = [];
let chunkChars = 0;
let pairsRead = 0;
let fractionRead: number | undefined;
/** Sends the pending jobs (if any) before an event, so that the receiver sees everything in reading order. */
const flush = (): void => {
  if (chunk.length === 0) return;
  post({ type: 'jobs', jobs: chunk, ...(fractionRead === undefined ? {} : { read: { pairs: pairsRead, fraction: fractionRead } }) });
  chunk = [];
  chunkChars = 0;
};
const take = (batches: PlannedBatch[]): void => {
  for (const batch of batches) {
    if (batch.cached !== undefined) {
      const hits = batch.cached;
      const items = batch.docs.map((doc, i): CachedBatch['items'][number] => {
        const hit = hits[i];
        if (hit === undefined) throw new Error(`cached batch of query ${batch.queryId} lacks a score for ${doc.id}`);
        return [doc.id, hit.score, doc.score ?? null, doc.rank ?? null, hit.passage ?? null];
      });
      const content = { queryId: batch.queryId, query: batch.query, items };
      const id = cachedBatchId(runId, content);
      chunk.push({ id, cached: { v: JOB_CONTRACT_VERSION, id, ...content } });
      if (chunk.length >= CHUNK_JOBS) flush();
      continue;
    }
    const data: RerankJobPayload = { v: JOB_CONTRACT_VERSION, runId, queryId: batch.queryId, query: batch.query, docs: batch.docs };
    if (batch.unscored === true) data.unscored = true;
    chunk.push({ id: rerankJobId(data), data });
    for (const doc of batch.docs) chunkChars += doc.text.length;
    if (chunk.length >= CHUNK_JOBS || chunkChars >= CHUNK_CHARS) flush();
  }
};

const waitForCredit = async (): Promise<void> => {
  while (credit <= 0) {
    await new Promise<void>((resolve) => (creditArrived = resolve));
    creditArrived = undefined;
  }
};

let cacheStore: ScoreCache | undefined;
/**
 * Closed before the last message: once it has that, the main thread terminates this thread, and a store
 * closing while the thread is torn down is a fatal native error (lmdb-js throws into a dying isolate).
 */
const closeCache = async (): Promise<void> => {
  const store = cacheStore;
  cacheStore = undefined;
  await store?.close();
};
try {
  let plannerCache: PlannerCache | undefined;
  if (cacheSettings !== undefined) {
    const store = ScoreCache.open(cacheSettings.dir);
    cacheStore = store;
    const { policy } = cacheSettings;
    plannerCache = {
      scoreKeys: new ScoreKeys(cacheSettings.identity),
      lookup: (key) => {
        const hit = store.get(key);
        return hit !== undefined && usable(hit, policy) ? hit : undefined;
      },
    };
  }
  const planner = new BatchPlanner(plannerOptions, sourceFile(source), plannerCache);
  const pairs = openSource(source, {
    onReject: (reject) => {
      flush();
      post({ type: 'reject', reject });
    },
    onNotice: (notice) => {
      flush();
      post({ type: 'notice', notice });
    },
    onBytesRead: (bytes, size) => {
      fractionRead = size > 0 ? Math.min(1, bytes / size) : 1;
    },
  });
  for await (const pair of pairs) {
    pairsRead++;
    if (pair.emptyText === true) {
      flush();
      post({ type: 'empty-text', pair: { line: pair.line, queryId: pair.queryId, docId: pair.docId, field: pair.query.trim() === '' ? 'query' : 'document' } });
    }
    take(planner.add(pair));
    // Rejects and notices are posted from inside the reader, where it cannot wait: their credit is
    // made up for here, before the next pair.
    await waitForCredit();
  }
  // The end of the input closes every open batch: with interleaved queries, that can be many.
  for (const batch of planner.flush()) {
    take([batch]);
    await waitForCredit();
  }
  flush();
  await closeCache();
  post({ type: 'done', totals: planner.totals });
} catch (error) {
  flush();
  await closeCache().catch(() => undefined);
  post({ type: 'error', error: serializeError(error) });
}
// The credit listener would keep the thread alive; what was posted is delivered all the same.
port.off('message', onCredit);
