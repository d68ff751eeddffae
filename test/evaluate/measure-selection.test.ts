import { describe, expect, it } from 'vitest';
import { selectMeasures, splitMeasureList } from '../../src/evaluate/index.js';

describe('selectMeasures', () => {
  it('defaults to every measure with trec_eval default cutoffs', () => {
    const { names } = selectMeasures();
    expect(names.slice(0, 7)).toEqual(['num_q', 'num_ret', 'num_rel', 'num_rel_ret', 'map', 'Rprec', 'recip_rank']);
    expect(names).toContain('ndcg_cut_1000');
    expect(names).toContain('success_1');
    expect(names).toContain('ndcg_exp_cut_10');
    expect(names).toContain('judged_10');
    expect(names.filter((n) => n.startsWith('P_'))).toEqual(['P_5', 'P_10', 'P_15', 'P_20', 'P_30', 'P_100', 'P_200', 'P_500', 'P_1000']);
  });

  it('accepts -m forms, printed forms and merges cutoffs', () => {
    expect(selectMeasures(['P.20,5', 'P_10', 'ndcg_cut', 'map']).names).toEqual([
      'map', 'P_5', 'P_10', 'P_20', 'ndcg_cut_5', 'ndcg_cut_10', 'ndcg_cut_15', 'ndcg_cut_20', 'ndcg_cut_30', 'ndcg_cut_100',
      'ndcg_cut_200', 'ndcg_cut_500', 'ndcg_cut_1000',
    ]);
  });
});

describe('splitMeasureList', () => {
  it('keeps numeric tokens with the previous measure', () => {
    expect(splitMeasureList('ndcg_cut.10,map,P.5,10 recall_100')).toEqual(['ndcg_cut.10', 'map', 'P.5,10', 'recall_100']);
  });
});
