import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { readQrels, type Qrels } from '../evaluate/index.js';
import type { Lifecycle, Outcome } from '../lifecycle-events.js';
import type { Logger } from '../logger.js';
import { OutageWaitStopped, type OutageGuard } from '../redis/connection-loss.js';
import type { OptionSource } from '../options/resolve-options.js';
import { writeManifest, type Manifest } from '../write/manifest.js';
import { startProgressTicker } from '../collect/progress-ticker.js';
import { writeReport } from '../report/write-report.js';
import type { RunHandle } from './open-run.js';
import { writeOutputs, type OutputSummary } from '../write/write-outputs.js';
import { writeLabellingOutputs, type LabellingInput } from '../write/labelling-outputs.js';
import { writeLabelMetrics } from '../write/metrics.js';
import type { LabellingSettings } from '../options/labelling-settings.js';
import type { OutputSettings } from '../write/output-settings.js';
import { Collector, type CollectProgress } from '../collect/collector.js';
import { Spool } from '../collect/spool.js';
import { checkSpoolInput, recordSpoolInput, spoolPathOf } from '../collect/spool-identity.js';
import type { InputIdentity } from '../state/input-identity.js';
import type { ScoreCache } from '../cache/score-cache.js';
import type { ScoreKeys } from '../cache/score-key.js';

export type { OutputSettings };

export interface CollectReport {
  /** complete: every pair scored; failures: some pairs failed for good; interrupted: partial outputs written. */
  outcome: Outcome;
  summary: OutputSummary;
  complete: boolean;
  /** What manifest.json says. */
  manifest: Manifest;
}

/**
 * Drain a run's results into `<out>/.rerank-batch/<run>.spool` until every batch is done, then write the
 * outputs and manifest from the spool. When `stop` aborts first, writes what is collected so far
 * (marked incomplete in the manifest; outcome 'interrupted'); running again resumes. When `drop`
 * aborts, stops and writes nothing (returns undefined). `sources` says where each output option came from.
 */
export async function collectRun(
  handle: RunHandle,
  settings: OutputSettings & { sources?: Partial<Record<keyof OutputSettings, OptionSource>> },
  context: {
    logger: Logger;
    events: Lifecycle;
    guard: OutageGuard;
    inputs: InputIdentity | undefined;
    /** The score cache the API's scores are stored in before they are spooled (the run's keys). */
    cache?: { store: ScoreCache; scoreKeys: ScoreKeys } | undefined;
    /** The labelling outputs asked for, and the run's input they read again. */
    labelling?: { settings: LabellingSettings; input: LabellingInput } | undefined;
  },
  signals: { stop?: AbortSignal; drop?: AbortSignal } = {},
): Promise<CollectReport | undefined> {
  const { logger, events, guard } = context;
  const startedAt = new Date();
  const qrels: Qrels | undefined = settings.qrels === undefined ? undefined : await readQrels(settings.qrels);
  const spoolPath = spoolPathOf(settings.out, handle.runId);
  // Before the spool is read: one written for another input under the same run id is never merged.
  const recorded = context.inputs !== undefined && checkSpoolInput(spoolPath, handle.runId, context.inputs);
  const spool = await Spool.open(spoolPath);
  if (context.inputs !== undefined && !recorded) {
    await recordSpoolInput(spoolPath, handle.runId, context.inputs, context.cache?.store.dir).catch((err: unknown) => {
      spool.close();
      throw err;
    });
  }
  try {
    const collectedBefore = await guard.run(() => handle.store.collectedCount(handle.runId), signals.stop);
    // Read now, while Redis answers: a shutdown during an outage still writes a manifest from it.
    const stateAtStart = await guard.run(() => handle.store.get(handle.runId), signals.stop);
    if (collectedBefore > spool.counts().scored) {
      throw new RerankBatchError(
        'ERR_RUN_SPOOL_MISSING',
        `run ${handle.runId} has ${collectedBefore} batches collected into another output directory; collect it with the same --out, or start a new run (--run-id)`,
      );
    }
    const collector = new Collector(handle.queue, handle.store, spool, { runId: handle.runId, guard, cache: context.cache }, logger);
    const either = [signals.stop, signals.drop].filter((s): s is AbortSignal => s !== undefined);
    const ticker = events.listenerCount('run-progress') > 0 ? startProgressTicker(handle, (p) => events.emit('run-progress', p)) : undefined;
    let progress: CollectProgress;
    try {
      progress = await collector.collect(either.length === 0 ? undefined : AbortSignal.any(either));
      if (progress.total !== undefined && progress.scored + progress.failed >= progress.total) await ticker?.tick();
    } finally {
      ticker?.stop();
    }
    // Dropped (the input turned out bad): nothing of this run is worth writing.
    if (signals.drop?.aborted === true) return undefined;
    const complete = progress.total !== undefined && progress.scored + progress.failed >= progress.total;
    const summary = await writeOutputs(spool, {
      outDir: settings.out,
      runTag: settings.runTag,
      relLevel: settings.relLevel,
      ...(settings.topN === undefined ? {} : { topN: settings.topN }),
      ...(qrels === undefined ? {} : { qrels }),
    });
    const outcome: Outcome = !complete ? 'interrupted' : summary.failedPairs > 0 ? 'failures' : 'complete';
    const state = await guard.run(() => handle.store.get(handle.runId), signals.stop).catch((err: unknown) => {
      if (err instanceof OutageWaitStopped) return stateAtStart;
      throw err;
    });
    if (state === undefined) throw new RerankBatchError('ERR_RUN_UNKNOWN', `run ${handle.runId} has no state in Redis (cancelled?)`);
    if (context.labelling !== undefined) {
      const producer = state.submission?.producer;
      summary.labelling = await writeLabellingOutputs(spool, context.labelling.input, context.labelling.settings, {
        outDir: settings.out,
        qrels,
        relLevel: settings.relLevel,
        scoreRange: summary.scoreRange,
        // Rows the producer read: its pairs, and the rows it skipped as bad or repeated.
        expectedRows: complete && producer?.pairs !== undefined && producer.rejected !== undefined && producer.duplicates !== undefined ? producer.pairs + producer.rejected + producer.duplicates : undefined,
        complete,
      });
      await writeLabelMetrics(settings.out, summary.labelling);
    }
    const manifest = await writeManifest(settings.out, {
      runId: handle.runId,
      startedAt: state.submission === undefined ? startedAt : new Date(state.submission.submittedAt),
      finishedAt: new Date(),
      complete,
      state,
      settings,
      redis: { url: handle.redis.displayUrl, source: handle.redis.source },
      summary,
      outcome,
    });
    if (summary.metrics !== undefined) {
      // After the manifest, which the report reads. A report that fails leaves the outputs as they are.
      await writeReport(settings.out).catch((err: unknown) => {
        logger.error({ err, out: settings.out }, 'report.html could not be written (the other outputs are): `rerank-batch report --out DIR` writes it again');
      });
    }
    if (complete) await guard.run(() => handle.store.complete(handle.runId));
    if (summary.repeatsDropped !== undefined) {
      logger.warn({ runId: handle.runId, repeatsDropped: summary.repeatsDropped }, 'candidates scored twice (repeated far apart in the input) were written once, with their best score');
    }
    if (summary.queriesWithoutBaseline !== undefined) {
      logger.warn({ runId: handle.runId, queriesWithoutBaseline: summary.queriesWithoutBaseline }, 'queries without a first-stage order (no score or rank) are left out of the baseline metrics and the comparison');
    }
    events.emit('run-finished', {
      runId: handle.runId,
      out: settings.out,
      outcome,
      queries: summary.queries,
      scoredPairs: summary.scoredPairs,
      failedPairs: summary.failedPairs,
      apiRequests: summary.apiRequests,
      cacheHits: summary.cachedPairs,
      requestsSaved: state.submission?.producer.requestsSaved ?? 0,
      ...(summary.queriesWithoutBaseline === undefined ? {} : { queriesWithoutBaseline: summary.queriesWithoutBaseline }),
    });
    return { outcome, summary, complete, manifest };
  } finally {
    spool.close();
  }
}
