/** The 11 standard recall points 0.0, 0.1, ..., 1.0. */
export const RECALL_POINTS = Array.from({ length: 11 }, (_, i) => i / 10);

/**
 * Interpolated precision at the 11 recall points of one ranking (trec_eval's iprec_at_recall): at recall
 * r, the best precision at any rank whose recall is at least r. `relevant[i]` says whether the document at
 * rank i+1 is relevant; `numRel` counts the query's relevant documents in the qrels, retrieved or not. A
 * query with no relevant document scores 0 everywhere.
 */
export function interpolatedPrecision(relevant: readonly boolean[], numRel: number): number[] {
  const best = RECALL_POINTS.map(() => 0);
  if (numRel === 0) return best;
  let found = 0;
  relevant.forEach((isRelevant, i) => {
    if (!isRelevant) return;
    found++;
    const precision = found / (i + 1);
    const recall = found / numRel;
    // Precision only changes upwards at a relevant document, so those ranks are the only candidates.
    RECALL_POINTS.forEach((point, p) => {
      if (recall >= point - 1e-12 && precision > (best[p] ?? 0)) best[p] = precision;
    });
  });
  return best;
}

/** Sums of the curves of the queries seen; the mean divides by the queries a curve is over. */
export class MeanCurve {
  private readonly sums = RECALL_POINTS.map(() => 0);

  add(curve: readonly number[]): void {
    curve.forEach((value, p) => (this.sums[p] = (this.sums[p] ?? 0) + value));
  }

  /** The mean over `queries` queries (those not added count as 0). */
  mean(queries: number): number[] {
    return this.sums.map((sum) => (queries === 0 ? 0 : sum / queries));
  }
}
