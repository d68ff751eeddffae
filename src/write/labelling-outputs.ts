import { join } from 'node:path';
import type { RecordRef, Spool } from '../collect/spool.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { UsageError } from '../errors/usage-error.js';
import type { Qrels } from '../evaluate/index.js';
import { AgreementAccumulator, type Agreement } from '../label/agreement.js';
import { calibrateThresholds, type Calibration } from '../label/calibrate-thresholds.js';
import { labelOf, type LabelRule } from '../label/label-rule.js';
import type { LabelledCandidate } from '../label/labelled-candidate.js';
import { ReviewSampler, scoreBands } from '../label/review-sampler.js';
import { selectTraining, type PositiveSource } from '../label/training-selection.js';
import type { LabellingSettings } from '../options/labelling-settings.js';
import { normalizePairReaderOptions, readSourceRows, resolveColumns, type PairFormat, type PairReaderOptions, type SourceHeader, type SourceRow } from '../read/index.js';
import { sha256File } from '../read/file-checksum.js';
import { LineWriter } from './line-writer.js';
import { firstStageOrder, rankQuery } from './query-ranking.js';
import { writeReviewFile } from './review-file.js';
import { ROW_STATUSES, ScoredFile, type RowStatus, type ScoredCells } from './scored-rows.js';
import { TrainingFiles, TRAINING_FILES } from './training-files.js';

/** File names inside --out. */
export const LABELLING_FILES = { labels: 'labels.qrels', review: 'review.csv' } as const;

/** The run's input, read again for the labelling outputs. */
export interface LabellingInput {
  file: string;
  reader: PairReaderOptions;
  /** The sha256 the run recorded for it: another file is refused (ERR_INPUT_CHANGED). */
  sha256?: string | undefined;
}

export interface LabellingContext {
  outDir: string;
  qrels?: Qrels | undefined;
  relLevel: number;
  /** The lowest and highest API score of the run (review bands without thresholds). */
  scoreRange?: { min: number; max: number } | undefined;
  /** Rows the run's producer read (pairs, rejected and duplicate rows): scored.* must have as many. */
  expectedRows?: number | undefined;
  /** Whether every batch of the run is collected: then no pair may be missing. */
  complete: boolean;
}

/** What the labelling outputs hold: for the manifest, metrics.json and the closing summary. */
export interface LabellingSummary {
  files: string[];
  rows: number;
  byStatus: Record<RowStatus, number>;
  /** The label rule used (thresholds found by calibration included). */
  rule?: LabelRule;
  calibration?: Calibration;
  /** Scores against the input's label column, when it has one. */
  agreement?: Agreement;
  /** Lines of labels.qrels. */
  labelled?: number;
  training?: { files: Record<string, number>; positivesWithTooFewNegatives: number; positiveSource: PositiveSource };
  reviewRows?: number;
  /** JSONL keys a CSV/TSV scored file has no column for (met after the first row). */
  keysLeftOut?: string[];
}

/** A candidate of a query as the rows find it. */
interface DocResult {
  status: 'scored' | 'not_sent' | 'failed';
  score: number | null;
  rank: number | null;
  originalRank: number | null;
  errorCode: string | null;
}

interface QueryResults {
  byDoc: Map<string, DocResult>;
  /** Doc ids already written to labels.qrels (a pair repeated far apart in the input is labelled once). */
  labelled: Set<string>;
}

/** Candidates of recently met queries held for lookups: rows of one query usually come together. */
const HELD_PAIRS = 20_000;
/** The review sample's seed: the same run gives the same sample. */
const REVIEW_SEED = 42;

/**
 * The spooled results of each query, looked up by (query id, doc id) as the input's rows come by. Holds
 * the queries met last (HELD_PAIRS candidates), so memory does not grow with the run; a query met again
 * after being dropped is ranked again from the spool.
 */
class ResultLookup {
  private readonly held = new Map<string, QueryResults>();
  private heldPairs = 0;

  constructor(
    private readonly spool: Spool,
    private readonly groups: ReadonlyMap<string, RecordRef[]>,
  ) {}

  get(queryId: string): QueryResults {
    const known = this.held.get(queryId);
    if (known !== undefined) return known;
    const results = this.load(queryId);
    this.held.set(queryId, results);
    this.heldPairs += results.byDoc.size;
    for (const [oldest, dropped] of this.held) {
      if (this.heldPairs <= HELD_PAIRS || oldest === queryId) break;
      this.held.delete(oldest);
      this.heldPairs -= dropped.byDoc.size;
    }
    return results;
  }

  private load(queryId: string): QueryResults {
    const records = (this.groups.get(queryId) ?? []).map((ref) => this.spool.read(ref));
    const { ranked, all, failed } = rankQuery(records);
    const needOrder = all.some((item) => item.originalRank === null);
    const order = needOrder ? firstStageOrder(all) : undefined;
    const originalRanks = new Map(order?.map((item, i) => [item.docId, i + 1]));
    const byDoc = new Map<string, DocResult>();
    ranked.forEach((item, i) => {
      byDoc.set(item.docId, {
        status: item.unscored === true ? 'not_sent' : 'scored',
        score: item.unscored === true ? null : item.score,
        rank: i + 1,
        originalRank: item.originalRank ?? originalRanks.get(item.docId) ?? null,
        errorCode: null,
      });
    });
    for (const record of failed) {
      for (const [docId, , originalRank] of record.docs) {
        if (!byDoc.has(docId)) byDoc.set(docId, { status: 'failed', score: null, rank: null, originalRank: originalRank ?? originalRanks.get(docId) ?? null, errorCode: record.code });
      }
    }
    return { byDoc, labelled: new Set() };
  }
}

/** The scored.* files a setting asks for, given the input's format. */
function scoredFormats(setting: LabellingSettings['scored'], input: PairFormat): PairFormat[] {
  if (setting === 'auto') return [input];
  if (setting === 'both') return [input === 'tsv' ? 'tsv' : 'csv', 'jsonl'];
  return [setting];
}

/** Whether the input has a label column: the header's (CSV/TSV) or the first row's keys (JSONL). */
function labelColumnOf(header: SourceHeader | undefined, row: SourceRow, columns: PairReaderOptions['columns']): boolean {
  const names = header?.names ?? (row.source.fields !== undefined && !Array.isArray(row.source.fields) ? Object.keys(row.source.fields) : []);
  const resolved = resolveColumns(names, columns ?? {});
  return !('code' in resolved) && resolved.label !== undefined;
}

/**
 * Read the run's input again, row by row, and write the labelling outputs: scored.* (every row, in
 * order, passed through), labels.qrels, the training files and review.csv; measure agreement with the
 * input's labels. With calibration, a first pass over the input finds the thresholds. Memory holds the
 * queries met last, one block of training candidates and the review sample; agreement keeps 16 bytes
 * per labelled pair. Checks that scored.* has a row for every row the run read (ERR_OUTPUT_VERIFY).
 */
export async function writeLabellingOutputs(spool: Spool, input: LabellingInput, settings: LabellingSettings, context: LabellingContext): Promise<LabellingSummary> {
  if (input.sha256 !== undefined) {
    const { sha256 } = await sha256File(input.file);
    if (sha256 !== input.sha256) {
      throw new UsageError(`${input.file} is not the run's input (sha256 ${sha256}, the run read ${input.sha256}): give the input the run read with --input`, 'ERR_INPUT_CHANGED');
    }
  }
  const normalized = normalizePairReaderOptions(input.file, input.reader);
  const groups = spool.groupByQuery();
  let rule = settings.rule;
  let calibration: Calibration | undefined;
  if (settings.calibrate) {
    const acc = new AgreementAccumulator();
    const lookup = new ResultLookup(spool, groups);
    for await (const row of readSourceRows(input.file, input.reader)) {
      if (row.outcome.kind !== 'pair' || row.outcome.pair.label === undefined) continue;
      const result = lookup.get(row.outcome.pair.queryId).byDoc.get(row.outcome.pair.docId);
      if (result?.status === 'scored' && result.score !== null) acc.add(result.score, row.outcome.pair.label);
    }
    if (acc.labels().length < 2) throw new UsageError(`--calibrate-thresholds needs the input's label column with at least two distinct labels on scored rows; ${input.file} has ${acc.size === 0 ? 'none' : `only label ${String(acc.labels()[0])}`}`, 'ERR_LABELS_MISSING');
    calibration = calibrateThresholds(acc);
    rule = { kind: 'thresholds', thresholds: calibration.thresholds, labels: calibration.labels };
  }

  const { outDir } = context;
  const gzip = normalized.gzip;
  const scored = scoredFormats(settings.scored, normalized.format).map(
    (format) => new ScoredFile(join(outDir, `scored.${format}${gzip ? '.gz' : ''}`), format, normalized.format, gzip, rule !== undefined),
  );
  const labels = rule === undefined ? undefined : new LineWriter(join(outDir, LABELLING_FILES.labels));
  const training = settings.training === undefined ? undefined : new TrainingFiles(outDir, settings.training.formats, settings.training.options.negatives);
  const bands = scoreBands(context.scoreRange ?? { min: 0, max: 0 }, rule?.kind === 'thresholds' ? rule.thresholds : undefined);
  const review = settings.reviewSample === undefined ? undefined : new ReviewSampler(settings.reviewSample, bands, REVIEW_SEED);
  const agreement = new AgreementAccumulator();
  const byStatus = Object.fromEntries(ROW_STATUSES.map((status) => [status, 0])) as Record<RowStatus, number>;
  const lookup = new ResultLookup(spool, groups);
  let header: SourceHeader | undefined;
  let labelled = 0;
  let rows = 0;
  let hasLabelColumn: boolean | undefined;
  let positiveSource: PositiveSource = context.qrels !== undefined ? 'relevance' : rule !== undefined ? 'predicted' : 'top';
  /** The current block of one query's consecutive rows, for the training files. */
  let block: { queryId: string; candidates: LabelledCandidate[] } | undefined;
  const flushBlock = async (): Promise<void> => {
    if (block === undefined || training === undefined || settings.training === undefined) return;
    const candidates = block.candidates.sort((a, b) => a.rank - b.rank);
    block = undefined;
    if (candidates.length === 0) return;
    await training.addQuery(candidates, selectTraining(candidates, positiveSource, { ...settings.training.options, relLevel: context.relLevel }));
  };

  const writers = [...scored.map((file) => ({ commit: () => file.commit(), discard: () => file.discard() })), ...(labels === undefined ? [] : [labels]), ...(training === undefined ? [] : [training])];
  try {
    for await (const row of readSourceRows(input.file, input.reader, (h) => {
      header = h;
    })) {
      rows += 1;
      let cells: ScoredCells;
      const { outcome } = row;
      if (outcome.kind === 'pair') {
        const { pair } = outcome;
        if (hasLabelColumn === undefined) {
          hasLabelColumn = labelColumnOf(header, row, input.reader.columns);
          if (hasLabelColumn && context.qrels === undefined) positiveSource = 'relevance';
        }
        const results = lookup.get(pair.queryId);
        const result = results.byDoc.get(pair.docId);
        const status: RowStatus = result?.status ?? 'missing';
        const score = result?.score ?? null;
        const rank = result?.rank ?? null;
        const labelPred = rule !== undefined && status === 'scored' && score !== null && rank !== null ? labelOf(rule, score, rank) : null;
        cells = { score, rank, originalRank: result?.originalRank ?? pair.rank ?? null, labelPred, status, errorCode: result?.errorCode ?? null };
        if (status === 'scored' && score !== null && rank !== null) {
          if (pair.label !== undefined) agreement.add(score, pair.label);
          if (labels !== undefined && labelPred !== null && !results.labelled.has(pair.docId)) {
            results.labelled.add(pair.docId);
            labelled += 1;
            await labels.write(`${pair.queryId} 0 ${pair.docId} ${labelPred}\n`);
          }
          const relevance = context.qrels !== undefined ? context.qrels.get(pair.queryId)?.get(pair.docId) : pair.label;
          const candidate: LabelledCandidate = { queryId: pair.queryId, query: pair.query, docId: pair.docId, document: pair.document, score, rank, originalRank: cells.originalRank };
          if (relevance !== undefined) candidate.relevance = relevance;
          if (labelPred !== null) candidate.predicted = labelPred;
          if (training !== undefined) {
            if (block?.queryId !== pair.queryId) {
              await flushBlock();
              block = { queryId: pair.queryId, candidates: [] };
            }
            block.candidates.push(candidate);
          }
          review?.add({ candidate, ...(pair.label === undefined ? {} : { label: pair.label }) });
        }
      } else {
        cells = { score: null, rank: null, originalRank: null, labelPred: null, status: outcome.kind, errorCode: outcome.kind === 'rejected' ? outcome.code : null };
      }
      byStatus[cells.status] += 1;
      for (const file of scored) await file.write(row, cells, header);
    }
    await flushBlock();
    verify(rows, byStatus, context, input.file);
    for (const writer of writers) await writer.commit();
  } catch (err) {
    await Promise.all(writers.map((writer) => writer.discard()));
    throw err;
  }

  const files = [...scored.map((file) => file.path), ...(labels === undefined ? [] : [labels.path])].map((path) => path.slice(outDir.length + 1));
  const summary: LabellingSummary = { files, rows, byStatus };
  if (rule !== undefined) {
    summary.rule = rule;
    summary.labelled = labelled;
  }
  if (calibration !== undefined) summary.calibration = calibration;
  if (agreement.size > 0) summary.agreement = agreement.result(rule);
  if (training !== undefined && settings.training !== undefined) {
    summary.training = { ...training.counts(), positiveSource };
    for (const format of settings.training.formats) for (const file of TRAINING_FILES[format]) files.push(file.data, file.ids);
  }
  if (review !== undefined) {
    const sample = review.sample();
    await writeReviewFile(join(outDir, LABELLING_FILES.review), sample, bands, { hasLabel: hasLabelColumn === true, hasPredicted: rule !== undefined });
    summary.reviewRows = sample.length;
    files.push(LABELLING_FILES.review);
  }
  const leftOut = new Set(scored.flatMap((file) => [...file.keysLeftOut]));
  if (leftOut.size > 0) summary.keysLeftOut = [...leftOut];
  return summary;
}

/**
 * The run's own check of scored.*: one row for every row the producer read, and, once the run is
 * complete, none whose pair is missing from the collected results.
 */
function verify(rows: number, byStatus: Record<RowStatus, number>, context: LabellingContext, file: string): void {
  const problems: string[] = [];
  if (context.expectedRows !== undefined && rows !== context.expectedRows) problems.push(`${rows} rows read again where the run read ${context.expectedRows}`);
  if (context.complete && byStatus.missing > 0) problems.push(`${byStatus.missing} pairs of a complete run have no result`);
  if (problems.length > 0) throw new RerankBatchError('ERR_OUTPUT_VERIFY', `scored rows do not match ${file}: ${problems.join('; ')}; the labelling outputs were not written`);
}
