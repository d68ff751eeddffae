import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { compare, type EvaluationResult, type MeasureComparison } from '../evaluate/index.js';
import { LineWriter, writeFileAtomic } from './line-writer.js';

/** Fixed so that the same run always reports the same intervals. */
export const BOOTSTRAP_SEED = 42;
export const BOOTSTRAP_SAMPLES = 10_000;

function comparisonJson(c: MeasureComparison): Record<string, number | null> {
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

/**
 * metrics.json (means keyed by trec_eval measure names, full precision; with a baseline, a
 * "comparison" section: difference, paired t-test p, 95% bootstrap interval, wins/ties/losses per
 * measure) and, with a baseline, metrics.perquery.csv (query_id, measure, baseline, reranked, delta).
 */
export async function writeMetrics(outDir: string, reranked: EvaluationResult, baseline: EvaluationResult | undefined, relLevel: number): Promise<void> {
  const metrics: Record<string, unknown> = { reranked: reranked.mean };
  let comparisons: MeasureComparison[] = [];
  if (baseline !== undefined) {
    metrics.baseline = baseline.mean;
    comparisons = compare(baseline, reranked, { seed: BOOTSTRAP_SEED, bootstrapSamples: BOOTSTRAP_SAMPLES });
    metrics.comparison = Object.fromEntries(comparisons.map((c) => [c.measure, comparisonJson(c)]));
  }
  metrics.rel_level = relLevel;
  metrics.queries_evaluated = reranked.perQuery.size;
  metrics.run_queries_not_in_qrels = reranked.ignoredRunQueries.length;
  await writeFileAtomic(join(outDir, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  if (baseline === undefined) return;

  const csv = new LineWriter(join(outDir, 'metrics.perquery.csv'));
  try {
    await csv.write(stringify([['query_id', 'measure', 'baseline', 'reranked', 'delta']]));
    for (const [queryId, values] of reranked.perQuery) {
      const before = baseline.perQuery.get(queryId) ?? {};
      const rows = comparisons.map(({ measure }) => {
        const b = before[measure] ?? 0;
        const r = values[measure] ?? 0;
        return [queryId, measure, String(b), String(r), String(r - b)];
      });
      await csv.write(stringify(rows));
    }
    await csv.commit();
  } catch (err) {
    await csv.discard();
    throw err;
  }
}
