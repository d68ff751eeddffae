/** Multiple-testing corrections of a family of p-values. */

/** The corrections `--correction` takes: Holm, Bonferroni, Benjamini-Hochberg, none. */
export const CORRECTIONS = ['holm', 'bonferroni', 'bh', 'none'] as const;
export type Correction = (typeof CORRECTIONS)[number];

/**
 * Adjusted p-values, in the order given. The family is the p-values that are not NaN (m of them; a NaN,
 * an untestable comparison, stays NaN and is not counted). With p(1) <= ... <= p(m) sorted:
 * - bonferroni: min(1, m p);
 * - holm (step-down): p~(i) = max over j <= i of min(1, (m - j + 1) p(j));
 * - bh (Benjamini-Hochberg, step-up, false discovery rate): p~(i) = min over j >= i of min(1, m p(j) / j);
 * - none: p as given.
 * These are the values of R's p.adjust and statsmodels' multipletests (holm, bonferroni, fdr_bh).
 */
export function adjustPValues(pValues: readonly number[], correction: Correction): number[] {
  const order = pValues.map((_, i) => i).filter((i) => !Number.isNaN(pValues[i] ?? NaN));
  const m = order.length;
  const adjusted = pValues.map((p) => (Number.isNaN(p) ? NaN : p));
  if (correction === 'none' || m === 0) return adjusted;
  if (correction === 'bonferroni') {
    for (const i of order) adjusted[i] = Math.min(1, m * (pValues[i] ?? NaN));
    return adjusted;
  }
  // Stable sort: equal p-values keep their order, so the result never depends on the sort's whims.
  order.sort((x, y) => (pValues[x] ?? 0) - (pValues[y] ?? 0));
  if (correction === 'holm') {
    let running = 0;
    order.forEach((i, rank) => {
      running = Math.max(running, Math.min(1, (m - rank) * (pValues[i] ?? NaN)));
      adjusted[i] = running;
    });
    return adjusted;
  }
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const i = order[rank] ?? 0;
    running = Math.min(running, (m * (pValues[i] ?? NaN)) / (rank + 1));
    adjusted[i] = running;
  }
  return adjusted;
}
