import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { outputError } from '../collect/durable-file.js';
import type { Agreement } from '../label/agreement.js';
import type { LabellingSummary } from './labelling-outputs.js';
import { stringify } from 'csv-stringify/sync';
import { compare, type EvaluationResult, type MeasureComparison } from '../evaluate/index.js';
import { LineWriter, writeFileAtomic } from './line-writer.js';

/** Fixed so that the same run always reports the same intervals. */
export const BOOTSTRAP_SEED = 42;
export const BOOTSTRAP_SAMPLES = 10_000;

/** One measure's comparison as metrics.json writes it (NaN as null). */
export interface ComparisonJson {
  baseline: number;
  reranked: number;
  delta: number;
  p_value: number | null;
  ci95_low: number | null;
  ci95_high: number | null;
  wins: number;
  ties: number;
  losses: number;
}

export function comparisonJson(c: MeasureComparison): ComparisonJson {
  const finite = (v: number): number | null => (Number.isFinite(v) ? v : null);
  return {
    baseline: c.a,
    reranked: c.b,
    delta: c.delta,
    p_value: finite(c.pValue),
    ci95_low: finite(c.ciLow),
    ci95_high: finite(c.ciHigh),
    wins: c.wins,
    ties: c.ties,
    losses: c.losses,
  };
}

/** The first stage against the reranking, over the queries that have a first-stage order. */
export interface BaselinePair {
  /** The first-stage order evaluated over the qrels queries, less those without a first-stage order. */
  baseline: EvaluationResult;
  /** The reranked evaluation over the same queries (all of them when every query has a first-stage order). */
  reranked: EvaluationResult;
}

/**
 * Returns the comparisons (none without a baseline).
 * metrics.json (means keyed by trec_eval measure names, full precision; with a baseline, a
 * "comparison" section: difference, paired t-test p, 95% bootstrap interval, wins/ties/losses per
 * measure, over `baseline_queries` queries) and, with a baseline, metrics.perquery.csv (query_id,
 * measure, baseline, reranked, delta; baseline and delta empty for a query without a first-stage order).
 * @param queriesWithoutBaseline qrels queries left out of the baseline and the comparison, having no first-stage order.
 */
export async function writeMetrics(outDir: string, reranked: EvaluationResult, pair: BaselinePair | undefined, relLevel: number, queriesWithoutBaseline = 0): Promise<MeasureComparison[]> {
  const metrics: Record<string, unknown> = { reranked: reranked.mean };
  let comparisons: MeasureComparison[] = [];
  if (pair !== undefined) {
    metrics.baseline = pair.baseline.mean;
    comparisons = compare(pair.baseline, pair.reranked, { seed: BOOTSTRAP_SEED, bootstrapSamples: BOOTSTRAP_SAMPLES });
    metrics.comparison = Object.fromEntries(comparisons.map((c) => [c.measure, comparisonJson(c)]));
    metrics.baseline_queries = pair.baseline.perQuery.size;
  }
  metrics.queries_without_baseline = queriesWithoutBaseline;
  metrics.rel_level = relLevel;
  metrics.queries_evaluated = reranked.perQuery.size;
  metrics.run_queries_not_in_qrels = reranked.ignoredRunQueries.length;
  await writeFileAtomic(join(outDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  if (pair === undefined) return comparisons;

  const csv = new LineWriter(join(outDir, 'metrics.perquery.csv'));
  try {
    await csv.write(stringify([['query_id', 'measure', 'baseline', 'reranked', 'delta']]));
    for (const [queryId, values] of reranked.perQuery) {
      const before = pair.baseline.perQuery.get(queryId);
      const rows = comparisons.map(({ measure }) => {
        const r = values[measure] ?? 0;
        if (before === undefined) return [queryId, measure, '', String(r), ''];
        const b = before[measure] ?? 0;
        return [queryId, measure, String(b), String(r), String(r - b)];
      });
      await csv.write(stringify(rows));
    }
    await csv.commit();
  } catch (err) {
    await csv.discard();
    throw err;
  }
  return comparisons;
}

/**
 * metrics.json's `labels` section: the label rule (calibrated thresholds with the kappa they reach) and
 * the agreement of the scores with the input's labels. Added to the IR metrics when there are some, else
 * metrics.json holds only this section.
 */
export async function writeLabelMetrics(outDir: string, labelling: LabellingSummary): Promise<void> {
  if (labelling.rule === undefined && labelling.agreement === undefined) return;
  const file = join(outDir, 'metrics.json');
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw outputError(err, file);
  });
  const parsed: unknown = text === undefined ? {} : JSON.parse(text);
  const metrics = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? parsed : {};
  const labels = {
    rule: labelling.rule ?? null,
    calibration: labelling.calibration ?? null,
    labelled_pairs: labelling.labelled ?? 0,
    agreement: labelling.agreement === undefined ? null : agreementJson(labelling.agreement),
  };
  await writeFileAtomic(file, `${JSON.stringify({ ...metrics, labels }, null, 2)}\n`);
}

/** The agreement figures as metrics.json names them. */
function agreementJson(a: Agreement): Record<string, unknown> {
  return {
    pairs: a.pairs,
    by_label: a.byLabel,
    spearman: a.spearman,
    kendall_tau_b: a.kendallTauB,
    auc: a.auc,
    cohen_kappa: a.kappa,
    weighted_kappa: a.weightedKappa,
    ...(a.confusion === undefined ? {} : { confusion: a.confusion }),
  };
}
