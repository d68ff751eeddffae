import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/usage-error.js';
import { atof, atol, lround } from '../../src/evaluate/c-numbers.js';
import { selectTrecEvalMeasures } from '../../src/evaluate/measure-selection.js';
import { trecEval, type TrecEvalOptions } from '../../src/evaluate/trec-eval.js';
import type { Qrels } from '../../src/read/qrels-file.js';
import type { ScoredDoc } from '../../src/read/trec-order.js';

function qrelsOf(entries: Record<string, Record<string, number>>): Qrels {
  return new Map(Object.entries(entries).map(([q, docs]) => [q, new Map(Object.entries(docs))]));
}

/** Documents in rank order (scores descending from the first). */
function ranked(...docIds: string[]): ScoredDoc[] {
  return docIds.map((docId, i) => ({ docId, score: 100 - i }));
}

/*
 * Query A, labels: a1=2, a2=1, a3=0, a4=1, a5=4 (never retrieved), a6=-1 (in the pool, unjudged).
 * Ranking: 1 a1 (2), 2 a3 (0), 3 x1 (not in the qrels), 4 a2 (1), 5 a6 (unjudged), 6 x2, 7 x3, 8 a4 (1).
 *   relevance codes [2, 0, -1, 1, -2, -1, -1, 1]; num_ret 8, num_rel 4 (a1 a2 a4 a5), num_rel_ret 3 (ranks 1, 4, 8).
 * Query B, labels b1=1, b2=0. Ranking: 1 b2 (0), 2 y1, 3 y2, 4 b1 (1): num_ret 4, num_rel 1, num_rel_ret 1.
 * Query C, labels c1=1: not in the run.
 */
const qrels = qrelsOf({ A: { a1: 2, a2: 1, a3: 0, a4: 1, a5: 4, a6: -1 }, B: { b1: 1, b2: 0 }, C: { c1: 1 } });
const run = new Map([
  ['A', ranked('a1', 'a3', 'x1', 'a2', 'a6', 'x2', 'x3', 'a4')],
  ['B', ranked('b2', 'y1', 'y2', 'b1')],
]);

/** trec_eval's output as `name<TAB>query` -> printed value, and the names in print order. */
function evaluated(measures: string[], options: TrecEvalOptions = {}): { values: Map<string, string>; text: string } {
  let text = '';
  trecEval(qrels, run, 'tag', { perQuery: true, ...options, measures }, (t) => (text += t));
  const values = new Map<string, string>();
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const [name = '', query = '', value = ''] = line.split('\t');
    values.set(`${name.trimEnd()}\t${query}`, value);
  }
  return { values, text };
}

describe('trec_eval measure parameters (-m name.params), values derived by hand', () => {
  it('P.5,7,3: cutoffs sorted, one line each', () => {
    const { values, text } = evaluated(['P.5,7,3']);
    expect(text.split('\n')[0]).toBe('P_3                   \tA\t0.3333');
    expect(values.get('P_3\tA')).toBe('0.3333'); // 1 relevant (rank 1) / 3
    expect(values.get('P_5\tA')).toBe('0.4000'); // ranks 1, 4: 2 / 5
    expect(values.get('P_7\tA')).toBe('0.2857'); // 2 / 7
    expect(values.get('P_3\tB')).toBe('0.0000');
    expect(values.get('P_5\tB')).toBe('0.2000'); // rank 4: 1 / 5
    expect(values.get('P_7\tB')).toBe('0.1429'); // 1 / 7
    // Without -c the means are over A and B: (1/3 + 0) / 2, (2/5 + 1/5) / 2, (2/7 + 1/7) / 2.
    expect(values.get('P_3\tall')).toBe('0.1667');
    expect(values.get('P_5\tall')).toBe('0.3000');
    expect(values.get('P_7\tall')).toBe('0.2143');
  });

  it('ndcg.1=3,2=9,4=4.5: gains by level, the name keeps the parameters as given', () => {
    const { values } = evaluated(['ndcg.1=3,2=9,4=4.5']);
    // Gains: level 1 -> 3, 2 -> 9, 4 -> 4.5, 0 -> 0 and 3 -> 3 (defaults: the level). Judged per level
    // (A): 0:1, 1:2, 2:1, 3:0, 4:1, so the ideal ranking's gains are 9, 4.5, 3, 3.
    // DCG = 9/log2(2) + 3/log2(5) + 3/log2(9) = 9 + 1.292030 + 0.946395 = 11.238424
    // ideal = 9/log2(2) + 4.5/log2(3) + 3/log2(4) + 3/log2(5) = 9 + 2.839184 + 1.5 + 1.292030 = 14.631214
    expect(values.get('ndcg_1=3,2=9,4=4.5\tA')).toBe('0.7681'); // 11.238424 / 14.631214 = 0.768113
    // B: level 1 -> 3: DCG 3/log2(5) = 1.292030 over ideal 3/log2(2) = 3.
    expect(values.get('ndcg_1=3,2=9,4=4.5\tB')).toBe('0.4307');
    expect(values.get('ndcg_1=3,2=9,4=4.5\tall')).toBe('0.5994'); // (0.768113 + 0.430677) / 2
  });

  it("ndcg gains closer than 1 compare equal (trec_eval's int comparator under glibc's merge sort)", () => {
    // ndcg.1=4.5: gains [1:4.5, 0:0, 2:2, 3:3, 4:4] sort to [0, 2, 3, 1:4.5, 4:4]: 4.5 - 4 truncates to 0, and the
    // merge keeps level 1 first, so the ideal ranking starts with level 4 (gain 4), then level 1's two (4.5),
    // then level 2 (2): ideal = 4/1 + 4.5/log2(3) + 4.5/log2(4) + 2/log2(5) = 9.950537.
    // DCG (A) = 2/log2(2) + 4.5/log2(5) + 4.5/log2(9) = 5.357636; 5.357636 / 9.950537 = 0.538427
    // (a true sort, 4.5 first, would give 0.5252).
    expect(evaluated(['ndcg.1=4.5']).values.get('ndcg_1=4.5\tA')).toBe('0.5384');
  });

  it('ndcg_cut.10,20,23.4: cutoffs read with atol, so 23.4 is 23', () => {
    const { values } = evaluated(['ndcg_cut.10,20,23.4']);
    // Linear gains; A's ranking is shorter than every cutoff: DCG = 2/log2(2) + 1/log2(5) + 1/log2(9) = 2.746141,
    // ideal [4, 2, 1, 1] = 4 + 2/log2(3) + 1/log2(4) + 1/log2(5) = 6.192536; 2.746141 / 6.192536 = 0.443460.
    for (const k of [10, 20, 23]) expect(values.get(`ndcg_cut_${k}\tA`)).toBe('0.4435');
    expect(values.has('ndcg_cut_23.4\tA')).toBe(false);
  });

  it('iprec_at_recall..10,.20: levels read with atof, printed %3.2f, rounded to documents with lround', () => {
    const { values } = evaluated(['iprec_at_recall..10,.20']);
    // num_rel 4: lround(0.4) = 0 and lround(0.8) = 1 relevant documents; the best precision at or after
    // the first relevant document (rank 1) is 1/1.
    expect(values.get('iprec_at_recall_0.10\tA')).toBe('1.0000');
    expect(values.get('iprec_at_recall_0.20\tA')).toBe('1.0000');
    const more = evaluated(['iprec_at_recall.0.5,0.75,1']).values;
    // lround(2) = 2: best precision from rank 4 on: max(2/4, 2/5, 2/6, 2/7, 3/8) = 0.5.
    expect(more.get('iprec_at_recall_0.50\tA')).toBe('0.5000');
    // lround(3) = 3: from rank 8 on, 3/8.
    expect(more.get('iprec_at_recall_0.75\tA')).toBe('0.3750');
    // lround(4) = 4 > 3 retrieved: 0.
    expect(more.get('iprec_at_recall_1.00\tA')).toBe('0.0000');
    // 0.3 × 4 = 1.2 rounds to 1 (trec_eval 9's +0.9 cast would make it 2, and 0.5).
    expect(evaluated(['iprec_at_recall.0.3']).values.get('iprec_at_recall_0.30\tA')).toBe('1.0000');
  });

  it('success.2,5,20', () => {
    const { values } = evaluated(['success.2,5,20']);
    expect([values.get('success_2\tA'), values.get('success_5\tA'), values.get('success_20\tA')]).toEqual(['1.0000', '1.0000', '1.0000']);
    // B's first relevant document is at rank 4.
    expect([values.get('success_2\tB'), values.get('success_5\tB'), values.get('success_20\tB')]).toEqual(['0.0000', '1.0000', '1.0000']);
    expect(values.get('success_2\tall')).toBe('0.5000');
  });

  it('Rprec_mult.5.0,0.2: multiples sorted and printed %3.2f', () => {
    const { text, values } = evaluated(['Rprec_mult.5.0,0.2']);
    expect(text.startsWith('Rprec_mult_0.20       \tA\t')).toBe(true);
    // A: cutoffs (long)(0.2 × 4 + 0.9) = 1 and (long)(5 × 4 + 0.9) = 20. P at 1 = 1/1; 20 is beyond the
    // 8 retrieved: num_rel_ret / 20 = 3/20.
    expect(values.get('Rprec_mult_0.20\tA')).toBe('1.0000');
    expect(values.get('Rprec_mult_5.00\tA')).toBe('0.1500');
    // B: num_rel 1: cutoffs (long)1.1 = 1 (P at 1: b2 is not relevant, 0) and (long)5.9 = 5 > 4: 1/5.
    expect(values.get('Rprec_mult_0.20\tB')).toBe('0.0000');
    expect(values.get('Rprec_mult_5.00\tB')).toBe('0.2000');
  });

  it('utility.2,-1,0,0: coefficients of rel_ret, nonrel_ret, rel_not_ret, nonrel_not_ret', () => {
    const { values } = evaluated(['utility.2,-1,0,0']);
    expect(values.get('utility_2,-1,0,0\tA')).toBe('1.0000'); // 2·3 - 1·(8 - 3)
    expect(values.get('utility_2,-1,0,0\tB')).toBe('-1.0000'); // 2·1 - 1·(4 - 1)
    expect(values.get('utility_2,-1,0,0\tall')).toBe('0.0000');
    // The default utility is 1,-1,0,0 and prints as "utility"; -N gives the collection size for the 4th.
    expect(evaluated(['utility']).values.get('utility\tA')).toBe('-2.0000'); // 3 - 5
    // 0,0,0,1 with -N 100: 100 + 3 - 8 - 4 non-relevant documents left out.
    expect(evaluated(['utility.0,0,0,1'], { numDocsInCollection: 100 }).values.get('utility_0,0,0,1\tA')).toBe('91.0000');
  });

  it('11pt_avg..25,.5,.75: the levels kept in order, averaged', () => {
    const { values } = evaluated(['11pt_avg..25,.5,.75']);
    // A: lround(1) = 1, lround(2) = 2, lround(3) = 3 relevant documents: interpolated precisions 1/1, 2/4
    // (max(2/4, 2/5, 2/6, 2/7, 3/8)) and 3/8: (1 + 0.5 + 0.375) / 3 = 0.625.
    expect(values.get('11pt_avg_.25,.5,.75\tA')).toBe('0.6250');
    // B: num_rel 1: lround(0.25) = 0, lround(0.5) = 1 (half away from zero), lround(0.75) = 1: 1/4 each.
    expect(values.get('11pt_avg_.25,.5,.75\tB')).toBe('0.2500');
  });

  it('relstring.20: per query only, the first 20 relevance codes', () => {
    const { values, text } = evaluated(['relstring.20']);
    expect(values.get('relstring_20\tA')).toBe("'20-1.--1'");
    expect(values.get('relstring_20\tB')).toBe("'0--1'");
    expect(text).not.toContain('\tall\t');
    const short = evaluated(['relstring.3']).values;
    expect(short.get('relstring_3\tA')).toBe("'20-'");
    expect(evaluated(['relstring']).values.get('relstring\tA')).toBe("'20-1.--1'"); // default 10
  });

  it('set_F.0.5, rbp.p=0.5 and Rndcg.2=5 print their parameters in the name', () => {
    const { values } = evaluated(['set_F.0.5', 'rbp.p=0.5', 'Rndcg.2=5']);
    // set_F with x = 0.5 on A: P = 3/8, R = 3/4: 1.5 × 0.375 × 0.75 / (0.5 × 0.375 + 0.75) = 0.45.
    expect(values.get('set_F_0.5\tA')).toBe('0.4500');
    // rbp, p = 0.5: gains rescaled by A's highest level, 4: 1 a1 (2 -> 0.5), 4 a2 and 8 a4 (1 -> 0.25):
    // (1 - 0.5) × (0.5 + 0.25 × 0.5^3 + 0.25 × 0.5^7) = 0.5 × 0.533203 = 0.266602.
    expect(values.get('rbp_p=0.5\tA')).toBe('0.2666');
    expect(values.has('Rndcg_2=5\tA')).toBe(true);
  });

  it('one line per name in trec_eval order, whatever the -m order; the first parameters of a measure win', () => {
    const { text } = evaluated(['success.2', 'P.3', 'P.5', 'map', 'P'], { perQuery: false });
    // map: A (1/1 + 2/4 + 3/8) / 4 = 0.46875, B (1/4) / 1 = 0.25; without -c the mean is over A and B: 0.359375.
    expect(text).toBe(['map                   \tall\t0.3594', 'P_3                   \tall\t0.1667', 'success_2             \tall\t0.5000', ''].join('\n'));
  });

  it('-c: the qrels query the run lacks scores 0, keeps num_rel, and counts in the means', () => {
    const { values } = evaluated(['map', 'num_rel', 'num_ret', 'relstring', 'iprec_at_recall.0'], { complete: true });
    expect(values.get('map\tC')).toBe('0.0000');
    expect(values.get('num_rel\tC')).toBe('1');
    expect(values.get('num_ret\tC')).toBe('0');
    expect(values.get('relstring\tC')).toBe("''");
    expect(values.get('iprec_at_recall_0.00\tC')).toBe('0.0000');
    expect(values.get('map\tall')).toBe('0.2396'); // (0.46875 + 0.25 + 0) / 3
    expect(values.get('num_ret\tall')).toBe('12'); // 8 + 4 + 0
  });
});

describe('trec_eval parameter reading', () => {
  it('reads numbers as C atof/atol/lround do', () => {
    expect(atof('.25')).toBe(0.25);
    expect(atof('  1e-1x')).toBe(0.1);
    expect(atof('abc')).toBe(0);
    expect(atof('0x10')).toBe(16);
    expect(atof('-inf')).toBe(-Infinity);
    expect(atol('23.4')).toBe(23);
    expect(atol(' -7x')).toBe(-7);
    expect(atol('x')).toBe(0);
    expect(lround(2.5)).toBe(3);
    expect(lround(-2.5)).toBe(-3);
    expect(lround(1.2)).toBe(1);
    expect(lround(0.49999999999999994)).toBe(0);
  });

  it('refuses what trec_eval refuses, and measures of other qrels formats', () => {
    expect(() => selectTrecEvalMeasures(['P.'])).toThrow(UsageError);
    expect(() => selectTrecEvalMeasures(['P.0'])).toThrow(/positive/);
    expect(() => selectTrecEvalMeasures(['P.5,5'])).toThrow(/duplicate/);
    expect(() => selectTrecEvalMeasures(['iprec_at_recall.0.1,.1'])).toThrow(/duplicate/);
    expect(() => selectTrecEvalMeasures(['ndcg.1=2,3'])).toThrow(/malformed pair/);
    expect(() => selectTrecEvalMeasures(['utility.1,2'])).toThrow(/4 coefficients/);
    expect(() => selectTrecEvalMeasures(['nonsense'])).toThrow(/unknown measure "nonsense"/);
    expect(() => selectTrecEvalMeasures(['prefs_simp'])).toThrow(/not supported/);
    expect(() => selectTrecEvalMeasures(['all_prefs'])).toThrow(/not supported/);
  });

  it('ignores parameters given to a measure that takes none, and to a set (as trec_eval)', () => {
    expect(selectTrecEvalMeasures(['map.5']).names).toEqual(['map']);
    expect(selectTrecEvalMeasures(['official.5']).names.slice(0, 3)).toEqual(['runid', 'num_q', 'num_ret']);
  });

  it('default and sets: official, set, all_trec in print order', () => {
    expect(selectTrecEvalMeasures().names).toEqual(selectTrecEvalMeasures(['official']).names);
    expect(selectTrecEvalMeasures(['official']).families.map((f) => f.family.name)).toEqual([
      'runid', 'num_q', 'num_ret', 'num_rel', 'num_rel_ret', 'map', 'gm_map', 'Rprec', 'bpref', 'recip_rank', 'iprec_at_recall', 'P',
    ]);
    expect(selectTrecEvalMeasures(['set']).families.map((f) => f.family.name)).toEqual([
      'runid', 'num_q', 'num_ret', 'num_rel', 'num_rel_ret', 'utility', 'set_P', 'set_relative_P', 'set_recall', 'set_map', 'set_F',
    ]);
    const all = selectTrecEvalMeasures(['all_trec']).families.map((f) => f.family.name);
    expect(all).not.toContain('ndcg_exp');
    expect(all).not.toContain('judged');
    expect(all).not.toContain('dcg');
    expect(all.indexOf('relstring')).toBe(all.indexOf('P') + 1);
    expect(all.slice(-4)).toEqual(['num_nonrel_judged_ret', 'rbp', 'rbp_resid', 'unj']);
  });
});
