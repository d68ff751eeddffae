import { rerankJobId } from '../../jobs/job-id.js';
import { JOB_CONTRACT_VERSION, type RerankJobPayload } from '../../jobs/rerank-job.js';
import { openPairs } from '../read/open-pairs.js';
import type { PairReaderOptions, PairReject, ReaderNotice, ReadPair } from '../read/reader-options.js';
import { openRunPairs, type RunPairsOptions } from '../read/run-pairs.js';
import type { ProducerTotals } from '../run/run-store.js';
import { BatchPlanner, type PlannedBatch, type PlannerOptions } from './batch-planner.js';

/** Reader options that can cross to a thread: everything but the callbacks. */
export type PlainReaderOptions = Omit<PairReaderOptions, 'onReject' | 'onNotice'>;

/** What to read, described in data so that a thread can open it: a pairs file, or a TREC run with its texts. */
export type PairSource =
  | { kind: 'pairs'; file: string; options: PlainReaderOptions }
  | { kind: 'run'; options: Omit<RunPairsOptions, 'onReject' | 'onNotice'> };

/** A pair kept with an empty text (`onEmptyText: 'score-lowest'`): it is never sent, and is listed. */
export interface EmptyTextPair {
  line: number;
  queryId: string;
  docId: string;
  field: 'query' | 'document';
}

export interface PlanCallbacks {
  onReject?: (reject: PairReject) => void;
  onNotice?: (notice: ReaderNotice) => void;
  onEmptyText?: (pair: EmptyTextPair) => void;
}

/** A planned batch as the job that carries it: its payload and its deterministic id (rerankJobId). */
export interface PlannedJob {
  id: string;
  data: RerankJobPayload;
}

/** The jobs of an input, and its totals once every job has been taken. */
export interface PlannedInput extends AsyncIterable<PlannedJob> {
  /** Queries, pairs and batches of the whole input; undefined until the last job has been taken. */
  readonly totals: ProducerTotals | undefined;
}

/** The file errors are reported against. */
export function sourceFile(source: PairSource): string {
  return source.kind === 'pairs' ? source.file : source.options.runFile;
}

function openSource(source: PairSource, callbacks: PlanCallbacks): AsyncIterable<ReadPair> {
  const reader = { ...(callbacks.onReject === undefined ? {} : { onReject: callbacks.onReject }), ...(callbacks.onNotice === undefined ? {} : { onNotice: callbacks.onNotice }) };
  return source.kind === 'pairs' ? openPairs(source.file, { ...source.options, ...reader }) : openRunPairs({ ...source.options, ...reader });
}

function jobOf(runId: string, batch: PlannedBatch): PlannedJob {
  const data: RerankJobPayload = { v: JOB_CONTRACT_VERSION, runId, queryId: batch.queryId, query: batch.query, docs: batch.docs };
  if (batch.unscored === true) data.unscored = true;
  return { id: rerankJobId(data), data };
}

/**
 * The jobs of run `runId` for `source`: its pairs read and validated, planned into batches
 * (BatchPlanner), each made a job payload with its id. Options are checked at once (UsageError); the
 * input is opened on the first iteration. The planner closes its open batches only at the true end of
 * the input, so a consumer that stops early never gets a partial batch.
 */
export function planJobs(runId: string, source: PairSource, planner: PlannerOptions, callbacks: PlanCallbacks = {}): PlannedInput {
  const pairs = openSource(source, callbacks);
  let totals: ProducerTotals | undefined;
  return {
    get totals() {
      return totals;
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<PlannedJob, void, undefined> {
      const batches = new BatchPlanner(planner, sourceFile(source));
      for await (const pair of pairs) {
        if (pair.emptyText === true) {
          callbacks.onEmptyText?.({ line: pair.line, queryId: pair.queryId, docId: pair.docId, field: pair.query.trim() === '' ? 'query' : 'document' });
        }
        for (const batch of batches.add(pair)) yield jobOf(runId, batch);
      }
      for (const batch of batches.flush()) yield jobOf(runId, batch);
      totals = batches.totals;
    },
  };
}
