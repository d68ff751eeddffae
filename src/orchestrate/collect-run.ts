import { join } from 'node:path';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { readQrels, type Qrels } from '../evaluate/index.js';
import type { Logger } from '../logger.js';
import { writeManifest } from '../write/manifest.js';
import type { RunHandle } from './open-run.js';
import { writeOutputs, type OutputSummary } from '../write/write-outputs.js';
import { STATE_DIR, type OutputSettings } from '../write/output-settings.js';
import { Collector } from '../collect/collector.js';
import { Spool } from '../collect/spool.js';

export type { OutputSettings };

export interface CollectReport {
  /** 0: every pair scored; 1: some pairs failed; 130: interrupted (partial outputs written). */
  exitCode: 0 | 1 | 130;
  summary: OutputSummary;
  complete: boolean;
}

/**
 * Drain a run's results into `<out>/.rerank-batch/<run>.spool` until every batch is done, then write the
 * outputs and manifest from the spool. When `stop` aborts first, writes what is collected so far
 * (marked incomplete in the manifest) and returns exit code 130; running again resumes. When `drop`
 * aborts, stops and writes nothing (returns undefined).
 */
export async function collectRun(
  handle: RunHandle,
  settings: OutputSettings,
  logger: Logger,
  signals: { stop?: AbortSignal; drop?: AbortSignal } = {},
): Promise<CollectReport | undefined> {
  const startedAt = new Date();
  const qrels: Qrels | undefined = settings.qrels === undefined ? undefined : await readQrels(settings.qrels);
  const spool = await Spool.open(join(settings.outDir, STATE_DIR, `${handle.runId}.spool`));
  try {
    const collectedBefore = await handle.store.collectedCount(handle.runId);
    if (collectedBefore > spool.counts().scored) {
      throw new RerankBatchError(
        'ERR_RUN_SPOOL_MISSING',
        `run ${handle.runId} has ${collectedBefore} batches collected into another output directory; collect it with the same --out, or start a new run (--run-id)`,
      );
    }
    const collector = new Collector(handle.queue, handle.connection, handle.store, spool, { runId: handle.runId }, logger);
    const either = [signals.stop, signals.drop].filter((s): s is AbortSignal => s !== undefined);
    const progress = await collector.collect(either.length === 0 ? undefined : AbortSignal.any(either));
    // Dropped (the input turned out bad): nothing of this run is worth writing.
    if (signals.drop?.aborted === true) return undefined;
    const complete = progress.total !== undefined && progress.scored + progress.failed >= progress.total;
    const summary = await writeOutputs(spool, {
      outDir: settings.outDir,
      runTag: settings.runTag,
      relLevel: settings.relLevel,
      ...(settings.topN === undefined ? {} : { topN: settings.topN }),
      ...(qrels === undefined ? {} : { qrels }),
    });
    const exitCode = !complete ? 130 : summary.failedPairs > 0 ? 1 : 0;
    const state = await handle.store.get(handle.runId);
    if (state === undefined) throw new RerankBatchError('ERR_RUN_UNKNOWN', `run ${handle.runId} has no state in Redis (cancelled?)`);
    await writeManifest(settings.outDir, {
      runId: handle.runId,
      startedAt: state.submission === undefined ? startedAt : new Date(state.submission.submittedAt),
      finishedAt: new Date(),
      complete,
      state,
      settings,
      redis: { url: handle.redis.displayUrl, source: handle.redis.source },
      summary,
      exitCode,
    });
    if (complete) await handle.store.complete(handle.runId);
    if (summary.repeatsDropped !== undefined) {
      logger.warn({ runId: handle.runId, repeatsDropped: summary.repeatsDropped }, 'candidates scored twice (repeated far apart in the input) were written once, with their best score');
    }
    logger.info({ runId: handle.runId, out: settings.outDir, complete, queries: summary.queries, scoredPairs: summary.scoredPairs, failedPairs: summary.failedPairs }, complete ? 'run finished' : 'run interrupted: partial outputs written; run the same command again to resume');
    return { exitCode, summary, complete };
  } finally {
    spool.close();
  }
}
