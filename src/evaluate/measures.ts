import type { MeasureSelection } from './measure-selection.js';
import type { JudgedRanking } from './ranking.js';

/** Gain of a relevance label: linear (trec_eval) or exponential (2^rel - 1). Labels <= 0 give 0. */
type Gain = (rel: number) => number;
const linearGain: Gain = (rel) => (rel > 0 ? rel : 0);
const exponentialGain: Gain = (rel) => (rel > 0 ? 2 ** rel - 1 : 0);

/**
 * Computes every selected measure for one query, in the order of `selection.names`.
 * The arithmetic follows trec_eval 10.0 step by step (same operations in the same order), so the
 * doubles are identical: e.g. DCG adds gain / log2(rank + 1) in rank order, and a cutoff value is the
 * running sum at that rank.
 * @param relLevel labels >= relLevel are relevant for the binary measures (trec_eval `-l`, default 1).
 */
export function computeQueryMeasures(selection: MeasureSelection, ranking: JudgedRanking, relLevel: number): Float64Array {
  const out = new Float64Array(selection.names.length);
  let at = 0;
  const { rels, numRel } = ranking;
  const numRet = rels.length;
  for (const { family, cutoffs } of selection.families) {
    const ks = cutoffs ?? [];
    switch (family.name) {
      case 'num_q':
        out[at++] = 1;
        break;
      case 'num_ret':
        out[at++] = numRet;
        break;
      case 'num_rel':
        out[at++] = numRel;
        break;
      case 'num_rel_ret':
        // Only judged documents (label >= 0) can count, as in form_res_rels.
        out[at++] = rels.reduce((n, rel) => (rel >= 0 && rel >= relLevel ? n + 1 : n), 0);
        break;
      case 'map':
        out[at++] = averagePrecision(rels, numRel, relLevel, numRet);
        break;
      case 'Rprec':
        out[at++] = rPrecision(rels, numRel, relLevel);
        break;
      case 'recip_rank':
        out[at++] = reciprocalRank(rels, relLevel);
        break;
      case 'P':
        for (const k of ks) out[at++] = relevantInTop(rels, k, relLevel) / k;
        break;
      case 'recall':
        for (const k of ks) out[at++] = numRel === 0 ? 0 : relevantInTop(rels, k, relLevel) / numRel;
        break;
      case 'ndcg':
        out[at++] = ndcgAt(ranking, Infinity, linearGain);
        break;
      case 'ndcg_cut':
        for (const k of ks) out[at++] = ndcgAt(ranking, k, linearGain);
        break;
      case 'map_cut':
        for (const k of ks) out[at++] = numRel === 0 ? 0 : averagePrecision(rels, numRel, relLevel, k);
        break;
      case 'success':
        for (const k of ks) out[at++] = relevantInTop(rels, k, relLevel) > 0 ? 1 : 0;
        break;
      case 'ndcg_exp':
        out[at++] = ndcgAt(ranking, Infinity, exponentialGain);
        break;
      case 'ndcg_exp_cut':
        for (const k of ks) out[at++] = ndcgAt(ranking, k, exponentialGain);
        break;
      case 'judged':
        for (const k of ks) out[at++] = judgedAt(rels, k);
        break;
      default:
        throw new Error(`measure family ${family.name} has no implementation`);
    }
  }
  return out;
}

function relevantInTop(rels: readonly number[], k: number, relLevel: number): number {
  const n = Math.min(k, rels.length);
  let count = 0;
  for (let i = 0; i < n; i++) if ((rels[i] ?? -1) >= relLevel) count++;
  return count;
}

/** trec_eval m_map / m_map_cut: sum of precisions at relevant ranks within the top `depth`, over num_rel. */
function averagePrecision(rels: readonly number[], numRel: number, relLevel: number, depth: number): number {
  const n = Math.min(depth, rels.length);
  let relSoFar = 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if ((rels[i] ?? -1) >= relLevel) {
      relSoFar++;
      sum += relSoFar / (i + 1);
    }
  }
  return relSoFar === 0 ? 0 : sum / numRel;
}

function rPrecision(rels: readonly number[], numRel: number, relLevel: number): number {
  const n = Math.min(rels.length, numRel);
  return n === 0 ? 0 : relevantInTop(rels, n, relLevel) / numRel;
}

function reciprocalRank(rels: readonly number[], relLevel: number): number {
  const i = rels.findIndex((rel) => rel >= relLevel);
  return i < 0 ? 0 : 1 / (i + 1);
}

/**
 * nDCG at k (k = Infinity: whole ranking), trec_eval m_ndcg / m_ndcg_cut: DCG of the top k over the DCG
 * of the ideal top k, the ideal ranking being every judged document of the query by label; 0 when
 * the ideal DCG is 0.
 */
function ndcgAt(ranking: JudgedRanking, k: number, gain: Gain): number {
  const { rels, idealLabels } = ranking;
  let dcg = 0;
  const n = Math.min(k, rels.length);
  for (let i = 0; i < n; i++) {
    const g = gain(rels[i] ?? 0);
    if (g > 0) dcg += g / Math.log2(i + 2);
  }
  let ideal = 0;
  const m = Math.min(k, idealLabels.length);
  for (let i = 0; i < m; i++) ideal += gain(idealLabels[i] ?? 0) / Math.log2(i + 2);
  return ideal > 0 ? dcg / ideal : dcg;
}

/** Judged@k as ir_measures: judged documents (label >= 0) in the top min(k, retrieved), over min(k, retrieved); 0 for an empty ranking. */
function judgedAt(rels: readonly number[], k: number): number {
  const n = Math.min(k, rels.length);
  if (n === 0) return 0;
  let judged = 0;
  for (let i = 0; i < n; i++) if ((rels[i] ?? -1) >= 0) judged++;
  return judged / n;
}
