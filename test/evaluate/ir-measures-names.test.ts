import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/usage-error.js';
import { translateIrMeasure, translateMeasureList } from '../../src/evaluate/ir-measures-names.js';
import { Evaluator } from '../../src/evaluate/evaluator.js';
import { findFamily } from '../../src/evaluate/measure-catalog.js';
import { selectMeasures, splitMeasureList } from '../../src/evaluate/measure-selection.js';

/** ir_measures name -> trec_eval-style item and the relevance level it is computed at (undefined: none). */
const TABLE: [string, string, number | undefined][] = [
  ['nDCG@10', 'ndcg_cut.10', undefined],
  ['nDCG', 'ndcg', undefined],
  ['NDCG@20', 'ndcg_cut.20', undefined],
  ['nDCG(cutoff=5)', 'ndcg_cut.5', undefined],
  ['nDCG @ 10', 'ndcg_cut.10', undefined],
  ["nDCG(dcg='exp-log2')@10", 'ndcg_exp_cut.10', undefined],
  ['nDCG(dcg="exp-log2")', 'ndcg_exp', undefined],
  ["nDCG(dcg='log2', judged_only=False)@10", 'ndcg_cut.10', undefined],
  ['P@5', 'P.5', 1],
  ['Precision@10', 'P.10', 1],
  ['P(rel=2)@5', 'P.5', 2],
  ['P(judged_only=False)@5', 'P.5', 1],
  ['AP', 'map', 1],
  ['MAP', 'map', 1],
  ['AP@100', 'map_cut.100', 1],
  ['AP(rel=2)', 'map', 2],
  ['AP(rel=2)@10', 'map_cut.10', 2],
  ['RR', 'recip_rank', 1],
  ['MRR', 'recip_rank', 1],
  ['RR(rel=2)', 'recip_rank', 2],
  ['R@100', 'recall.100', 1],
  ['Recall@1000', 'recall.1000', 1],
  ['R(rel=2)@100', 'recall.100', 2],
  ['Judged@10', 'judged.10', undefined],
  ['Success@5', 'success.5', 1],
  ['Success(rel=3)@1', 'success.1', 3],
  ['Rprec(rel=2)', 'Rprec', 2],
  ['RPrec', 'Rprec', 1],
  ['NumQ', 'num_q', undefined],
  ['NumRet', 'num_ret', undefined],
  ['NumRet(rel=2)', 'num_rel_ret', 2],
  ['NumRelRet', 'num_rel_ret', 1],
  ['NumRel', 'num_rel', 1],
  ['NumRel(rel=1)', 'num_rel', 1],
  ['Bpref', 'bpref', 1],
  ['BPref(rel=2)', 'bpref', 2],
  ['infAP(rel=2)', 'infAP', 2],
  ['IPrec@0.5', 'iprec_at_recall.0.5', 1],
  ['IPrec@1', 'iprec_at_recall.1', 1],
  ['IPrec@0.0', 'iprec_at_recall.0', 1],
  ['IPrec(recall=0.1)', 'iprec_at_recall.0.1', 1],
  ['SetP', 'set_P', 1],
  ['SetP(relative=True)', 'set_relative_P', 1],
  ['SetRelP', 'set_relative_P', 1],
  ['SetR(rel=2)', 'set_recall', 2],
  ['SetF', 'set_F', 1],
  ['SetF(beta=0.5)', 'set_F.0.5', 1],
  ['SetAP', 'set_map', 1],
];

describe('translateIrMeasure', () => {
  it.each(TABLE)('%s -> %s', (name, item, relLevel) => {
    expect(translateIrMeasure(name)).toEqual({ items: [item], relLevel });
  });

  it('gives items selectMeasures takes (for the families it knows)', () => {
    for (const [name, item] of TABLE) {
      if (findFamily(item.split('.')[0] ?? '') === undefined) continue;
      expect(() => selectMeasures([item]), name).not.toThrow();
    }
    expect(selectMeasures(translateMeasureList(['nDCG@10', 'AP@100', 'P@5', 'RR', 'Judged@10']).items).names).toEqual(['recip_rank', 'P_5', 'ndcg_cut_10', 'map_cut_100', 'judged_10']);
  });

  it.each(['ndcg_cut.10', 'ndcg_cut_10', 'ndcg', 'map', 'P.5,10', 'P_5', 'recip_rank', 'judged.10', 'bpref', 'num_q', 'all', '', 'P', 'Rprec', 'infAP'])(
    'leaves the trec_eval-style item %j alone (undefined)',
    (name) => {
      expect(translateIrMeasure(name)).toBeUndefined();
    },
  );

  it.each<[string, RegExp]>([
    ['ERR@10', /^measure "ERR@10": ir_measures' ERR has no trec_eval counterpart \(ir_measures computes it with gdeval\)/],
    ['RBP(p=0.8)', /RBP has no trec_eval counterpart/],
    ['alpha_nDCG@20', /alpha_nDCG has no trec_eval counterpart \(ir_measures computes it with pyndeval\)/],
    ['α_nDCG@20', /α_nDCG has no trec_eval counterpart/],
    ['INST', /INST has no trec_eval counterpart \(ir_measures computes it with cwl_eval\)/],
    ['SDCG@10', /SDCG has no trec_eval counterpart/],
    ['Compat', /Compat has no trec_eval counterpart/],
    ['rND', /rND has no trec_eval counterpart/],
    ['RR@10', /recip_rank takes no cutoff, so RR@k .* has no trec_eval counterpart; use RR/],
    ['MRR@10', /recip_rank takes no cutoff/],
    ['nDCG(gains={0:0, 1:1, 2:3})@10', /custom nDCG gains/],
    ['P(judged_only=True)@5', /judged_only=True .* is not supported/],
    ['nDCG(judged_only=True)@10', /judged_only=True/],
    ['NumRel(rel=2)', /only NumRel\(rel=1\) has a trec_eval counterpart/],
    ['P(rel=2)', /needs a cutoff/],
    ['R', /needs a cutoff/],
    ['Judged', /needs a cutoff/],
    ['Success(rel=2)', /needs a cutoff/],
    ['IPrec', /needs a recall level/],
    ['IPrec@1.5', /recall level must be from 0 to 1/],
    ['P@5.0', /cutoff must be an integer, got 5\.0/],
    ['P@0', /cutoff must be a positive integer/],
    ['P@x', /cannot read the value "x"/],
    ['P(rel=-1)@5', /rel \(the relevance level\) must be a non-negative integer/],
    ['P(rel=2.5)@5', /rel must be an integer, got 2\.5/],
    ['P(rel=1, rel=2)@5', /parameter rel is given twice/],
    ['P(foo=1)@5', /P has no parameter foo; it takes cutoff, rel, judged_only/],
    ['NumQ(rel=1)', /NumQ has no parameter rel; it takes none/],
    ["nDCG(dcg='exp')@10", /dcg must be 'log2' or 'exp-log2'/],
    ['SetF(beta=0)', /beta must be a positive number/],
    ['SetP(relative=1)', /relative must be True or False, got 1/],
    ['ndcg@10', /ndcg is not an ir_measures measure \(did you mean nDCG\?\)/],
    ['map@10', /map is not an ir_measures measure \(did you mean MAP\?\)/],
    ['P(rel=2', /cannot read it as an ir_measures name/],
    ['P(2)@5', /parameters are written param=value/],
  ])('refuses %s', (name, message) => {
    let error: unknown;
    try {
      translateIrMeasure(name);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('ERR_USAGE');
    expect((error as UsageError).message).toMatch(message);
  });
});

describe('translateMeasureList', () => {
  it('translates the ir_measures names in place and keeps trec_eval items', () => {
    expect(translateMeasureList(splitMeasureList('nDCG@10,P(rel=2)@5,map,Success(rel=2)@1,ndcg_cut.5,20'))).toEqual({
      items: ['ndcg_cut.10', 'P.5', 'map', 'success.1', 'ndcg_cut.5,20'],
      relLevel: 2,
    });
  });

  it('needs no level when no name has one, and rel=1 when names keep ir_measures default', () => {
    expect(translateMeasureList(['nDCG@10', 'Judged@10', 'NumQ', 'ndcg_cut.5'])).toEqual({ items: ['ndcg_cut.10', 'judged.10', 'num_q', 'ndcg_cut.5'], relLevel: undefined });
    expect(translateMeasureList(['AP', 'RR', 'nDCG@10']).relLevel).toBe(1);
    expect(translateMeasureList([]).relLevel).toBeUndefined();
  });

  it('refuses names that need different relevance levels, naming both', () => {
    expect(() => translateMeasureList(['P(rel=2)@5', 'nDCG@10', 'P@10'])).toThrow(
      /^measures "P\(rel=2\)@5" and "P@10" need relevance levels 2 and 1 \(ir_measures' rel=, default 1\), but one evaluation has one relevance level: evaluate them separately$/,
    );
    expect(() => translateMeasureList(['AP(rel=3)', 'NumRel'])).toThrow(UsageError);
  });
});

describe('ir_measures names wherever a measure is named', () => {
  // q1 judges a (2), b (1), c (0); the run ranks b, c, a.
  const qrels = new Map([['q1', new Map([['a', 2], ['b', 1], ['c', 0]])]]);
  const ranking = [
    { docId: 'b', score: 3 },
    { docId: 'c', score: 2 },
    { docId: 'a', score: 1 },
  ];
  const evaluate = (measures: string[], relLevel?: number): Record<string, number> => {
    const evaluator = new Evaluator(qrels, { measures, ...(relLevel === undefined ? {} : { relLevel }) });
    evaluator.addQuery('q1', ranking);
    return evaluator.result().mean;
  };

  it('compute what the trec_eval names they stand for compute', () => {
    expect(evaluate(['nDCG@10', 'P@5', 'AP', 'RR', 'R@2'])).toEqual(evaluate(['ndcg_cut.10', 'P.5', 'map', 'recip_rank', 'recall.2']));
  });

  it("take their relevance level from rel=, and refuse one the evaluation does not have", () => {
    // At level 2 only a is relevant, at rank 3: P@5 = 1/5, AP = 1/3.
    expect(evaluate(['P(rel=2)@5', 'AP(rel=2)'])).toEqual({ P_5: 0.2, map: 1 / 3 });
    expect(evaluate(['P(rel=2)@5'], 2)).toEqual({ P_5: 0.2 });
    expect(() => evaluate(['P(rel=2)@5'], 1)).toThrow(/--rel-level 2/);
  });
});
