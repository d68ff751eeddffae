import { gainOf, setupGains, type GainPair } from '../gains.js';
import type { JudgedRanking } from '../ranking.js';

/** The persistence p of rbp and rbp_resid: the `p=` pair, default 0.9 (the last `p=` given wins, as in m_rbp.c). */
export function persistence(pairs: readonly GainPair[]): number {
  let p = 0.9;
  for (const pair of pairs) if (pair.name === 'p') p = pair.value;
  return p;
}

/**
 * rbp (m_rbp.c): (1 - p) × the sum over ranks i (from 0) of gain × p^i. Gains are the levels (or `level=gain`
 * pairs) of the query, rescaled to [0, 1] as (gain - min) / (max - min) when one lies outside it, min and
 * max being taken over the query's gains and 0 (trec_eval leaves them uninitialised; its reference outputs
 * match 0).
 */
export function rankBiasedPrecision(ranking: JudgedRanking, pairs: readonly GainPair[]): number {
  const p = persistence(pairs);
  const gains = setupGains(pairs, ranking);
  let min = 0;
  let max = 0;
  for (const g of gains) {
    if (g.gain < min) min = g.gain;
    if (g.gain > max) max = g.gain;
  }
  if (min < 0 || max > 1) for (const g of gains) g.gain = (g.gain - min) / (max - min);
  let sum = 0.0;
  let weight = 1.0;
  for (const rel of ranking.rels) {
    const gain = gainOf(rel, gains);
    if (gain !== 0) sum += gain * weight;
    weight = weight * p;
  }
  return (1.0 - p) * sum;
}

/**
 * rbp_resid (m_rbp_resid.c): how much rbp could still rise if every retrieved document without a judgment
 * (not in the qrels, or a negative label) were fully relevant, plus the tail past the ranking:
 * p^n + (1 - p) × the sum of p^i over those documents; 0 when every retrieved document is judged.
 */
export function rankBiasedPrecisionResidual(ranking: JudgedRanking, pairs: readonly GainPair[]): number {
  const p = persistence(pairs);
  let unjudged = 0;
  let sum = 0.0;
  let weight = 1.0;
  for (const rel of ranking.rels) {
    if (rel < 0) {
      unjudged++;
      sum += weight;
    }
    weight = weight * p;
  }
  return unjudged > 0 ? weight + (1 - p) * sum : 0;
}
