import type { Logger } from '../logger.js';
import { planAhead } from '../plan/plan-ahead.js';
import type { PairReject } from '../read/reader-options.js';
import { redactRedisUrl } from '../redis/connect.js';
import type { SubmittedRunHandle } from './open-run.js';
import { pairSourceOf, type OutputOptions, type SubmitSettings } from '../options/run-options.js';
import type { OptionSources } from '../options/resolve-options.js';
import { plannerOptionsOf, requestShapeOf } from '../options/request-shape.js';
import type { Lifecycle } from '../lifecycle-events.js';
import { OutageWaitStopped, type OutageGuard } from '../redis/connection-loss.js';
import { LineWriter } from '../write/line-writer.js';
import { SUBMISSION_VERSION, type Submission } from '../state/submission.js';
import { produce, type ProducerReport } from '../enqueue/producer.js';
import type { ScoreCache } from '../cache/score-cache.js';
import { ScoreKeys } from '../cache/score-key.js';

export interface SubmitReport extends ProducerReport {
  /** Rows skipped as bad (`--on-bad-row skip`), each in the rejects file. */
  rejected: number;
  /** Documents cut to --max-document-bytes. */
  truncated: number;
  /** Repeated (query_id, doc_id) rows dropped (the first is kept). */
  duplicates: number;
  /** Pairs with empty text kept unscored and ranked last (`--on-empty-text score-lowest`), each in the rejects file. */
  emptyText: number;
}

/**
 * Read the run's input and queue its batches; record the submission (options, checksums, counts) in
 * Redis for `collect` and `status`. Bad rows skipped with `--on-bad-row skip` go to `rejectsPath`.
 */
export async function submitInput(
  handle: SubmittedRunHandle,
  options: SubmitSettings & Partial<OutputOptions>,
  sources: Partial<OptionSources<'submit'>> | Partial<OptionSources<'run'>>,
  rejectsPath: string,
  context: {
    logger: Logger;
    events: Lifecycle;
    guard: OutageGuard;
    signal?: AbortSignal | undefined;
    /** The run's score cache (open when the run uses one: handle.config.cache). */
    cache?: ScoreCache | undefined;
    /** A collector runs beside this producer (`run`): cached batches wait for room in the queue like jobs. */
    collecting?: boolean;
  },
): Promise<SubmitReport> {
  const { logger, events, guard, signal } = context;
  const runCache = handle.config.cache;
  const cache = context.cache !== undefined && runCache !== undefined ? { store: context.cache, scoreKeys: new ScoreKeys(runCache.identity) } : undefined;
  await cache?.store.registerIdentity(cache.scoreKeys.tag, cache.scoreKeys.text);
  const sourceFile = options.input ?? options.runFile ?? '';
  let rejected = 0;
  let truncated = 0;
  let duplicates = 0;
  let rejects: LineWriter | undefined;
  const listReject = (reject: PairReject & { action: string }): void => {
    rejects ??= new LineWriter(rejectsPath);
    void rejects.write(`${JSON.stringify(reject)}\n`);
  };
  let emptyText = 0;
  const source = pairSourceOf(options);
  // Parsing, planning and job ids run in a thread of their own, beside the enqueueing and collecting of this one.
  const planner = plannerOptionsOf(requestShapeOf(options));
  const planned = planAhead(handle.runId, source, planner, {
    onReject: (reject) => {
      rejected += 1;
      listReject({ ...reject, action: 'skipped' });
    },
    onNotice: (notice) => {
      if (notice.kind === 'document-truncated') truncated += 1;
      else if (notice.kind === 'duplicate-pairs') duplicates += notice.count;
      logger.warn({ notice: notice.kind }, notice.message);
    },
    onEmptyText: ({ line, field, queryId, docId }) => {
      emptyText += 1;
      listReject({ file: sourceFile, line, field, code: 'ERR_INPUT_EMPTY_TEXT', reason: `empty ${field} text (query ${queryId}, doc ${docId})`, action: 'scored-lowest' });
    },
  }, cache === undefined || runCache === undefined ? undefined : { dir: cache.store.dir, identity: runCache.identity, policy: runCache });
  try {
    const report = await produce(
      planned,
      handle.queue,
      handle.store,
      {
        runId: handle.runId,
        maxPending: options.maxPending,
        attempts: options.attempts,
        guard,
        ...(signal === undefined ? {} : { signal }),
        cachedBackpressure: context.collecting === true,
      },
    );
    await rejects?.commit();
    if (report.shaping !== undefined) await cache?.store.countLookups(report.shaping.cacheHits + report.shaping.cacheMisses, report.shaping.cacheHits);
    const submitReport: SubmitReport = { ...report, rejected, truncated, duplicates, emptyText };
    if (planned.totals !== undefined && signal?.aborted !== true) events.emit('input-queued', { runId: handle.runId, queries: report.queries, pairs: report.pairs, batches: report.batches, enqueued: report.enqueued, alreadySubmitted: report.alreadySubmitted });
    else events.emit('input-stopped', { runId: handle.runId, enqueued: report.enqueued });
    const submission: Submission = {
      v: SUBMISSION_VERSION,
      options: { ...options, redis: options.redis === undefined ? undefined : redactRedisUrl(options.redis) },
      sources,
      inputs: handle.inputs,
      // Flat numbers: the shaping counts (requests, units, tokens, deduplicated, split...) beside the others.
      producer: (({ shaping, ...counts }) => ({ ...counts, ...shaping }))(submitReport),
      submittedAt: new Date().toISOString(),
    };
    // Through outages like every Redis write; a shutdown during one skips it: a resumed run records it.
    await guard.run(() => handle.store.setSubmission(handle.runId, submission), signal).catch((err: unknown) => {
      if (!(err instanceof OutageWaitStopped)) throw err;
    });
    if (rejected > 0) logger.warn({ rejected, file: rejectsPath }, 'bad rows skipped; each is listed with its reason');
    return submitReport;
  } catch (err) {
    await rejects?.discard();
    throw err;
  }
}
