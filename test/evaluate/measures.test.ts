import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/input-error.js';
import { UsageError } from '../../src/errors/usage-error.js';
import { Evaluator, evaluate, type Qrels, type ScoredDoc } from '../../src/evaluate/index.js';

function qrelsOf(entries: Record<string, Record<string, number>>): Qrels {
  return new Map(Object.entries(entries).map(([q, docs]) => [q, new Map(Object.entries(docs))]));
}
function runOf(entries: Record<string, Record<string, number>>): Map<string, ScoredDoc[]> {
  return new Map(Object.entries(entries).map(([q, docs]) => [q, Object.entries(docs).map(([docId, score]) => ({ docId, score }))]));
}

/*
 * q1 judgments: d1=2, d2=1, d3=0, d4=1 (never retrieved), d5=-1 (in pool, unjudged).
 * q1 run: d3 0.9, d5 0.7, d1 0.5, d2 0.5 (tie: doc ids descending, so d2 before d1), dX 0.1 (not in qrels).
 * Ranking: 1 d3 (0), 2 d5 (unjudged), 3 d2 (1), 4 d1 (2), 5 dX (not judged).
 * q2: only non-relevant judgments (e1=0, e2=0); run e1, e3.
 * q3: judged (f1=1) but absent from the run.
 * q9: only in the run (ignored).
 */
const qrels = qrelsOf({ q1: { d1: 2, d2: 1, d3: 0, d4: 1, d5: -1 }, q2: { e1: 0, e2: 0 }, q3: { f1: 1 } });
const run = runOf({ q1: { d1: 0.5, d3: 0.9, d5: 0.7, d2: 0.5, dX: 0.1 }, q2: { e1: 1, e3: 0.5 }, q9: { z: 1 } });
const ALL = [
  'num_q', 'num_ret', 'num_rel', 'num_rel_ret', 'map', 'Rprec', 'recip_rank', 'P.1,3,4,5,10', 'recall.3,4,10', 'ndcg',
  'ndcg_cut.1,3,10', 'map_cut.3,4', 'success.1,3', 'ndcg_exp', 'ndcg_exp_cut.3', 'judged.2,5,10',
];

describe('measures on a hand-checked query (relLevel 1)', () => {
  const result = evaluate(qrels, run, { measures: ALL });
  const q1 = result.perQuery.get('q1') ?? {};

  it('counts', () => {
    expect(q1['num_ret']).toBe(5);
    expect(q1['num_rel']).toBe(3); // d1, d2, d4 (d5's negative label is not relevant)
    expect(q1['num_rel_ret']).toBe(2); // d2, d1
  });

  it('map, Rprec, recip_rank', () => {
    expect(q1['map']).toBeCloseTo((1 / 3 + 2 / 4) / 3, 12); // 0.2778
    expect(q1['Rprec']).toBeCloseTo(1 / 3, 12); // top R=3 holds d2 only
    expect(q1['recip_rank']).toBeCloseTo(1 / 3, 12); // first relevant at rank 3
  });

  it('P and recall at cutoffs, missing ranks count as non-relevant', () => {
    expect(q1['P_1']).toBe(0);
    expect(q1['P_3']).toBeCloseTo(1 / 3, 12);
    expect(q1['P_4']).toBe(0.5);
    expect(q1['P_5']).toBe(0.4);
    expect(q1['P_10']).toBe(0.2); // 2 relevant / 10
    expect(q1['recall_3']).toBeCloseTo(1 / 3, 12);
    expect(q1['recall_4']).toBeCloseTo(2 / 3, 12);
    expect(q1['recall_10']).toBeCloseTo(2 / 3, 12); // d4 never retrieved
  });

  it('ndcg with linear gain and an ideal ranking from every judged document', () => {
    // DCG = 1/log2(4) + 2/log2(5) = 1.361353; ideal [2,1,1] = 2 + 1/log2(3) + 1/log2(4) = 3.130930
    expect(q1['ndcg']).toBeCloseTo(0.4348079399, 9);
    expect(q1['ndcg_cut_1']).toBe(0); // d3 has label 0
    expect(q1['ndcg_cut_3']).toBeCloseTo(0.5 / 3.1309297536, 9); // 0.1597: the ideal top 3 is the whole ideal
    expect(q1['ndcg_cut_10']).toBeCloseTo(0.4348079399, 9);
  });

  it('ndcg_exp with gain 2^rel - 1', () => {
    // DCG = 1/log2(4) + 3/log2(5) = 1.792030; ideal [3,1,1] = 3 + 1/log2(3) + 1/2 = 4.130930
    expect(q1['ndcg_exp']).toBeCloseTo(0.4338078305, 9);
    expect(q1['ndcg_exp_cut_3']).toBeCloseTo(0.1210381270, 9); // 0.5 / 4.130930
  });

  it('map_cut, success, judged', () => {
    expect(q1['map_cut_3']).toBeCloseTo(1 / 3 / 3, 12); // 0.1111
    expect(q1['map_cut_4']).toBeCloseTo((1 / 3 + 1 / 2) / 3, 12);
    expect(q1['success_1']).toBe(0);
    expect(q1['success_3']).toBe(1);
    expect(q1['judged_2']).toBe(0.5); // d3 judged, d5 (label -1) not
    expect(q1['judged_5']).toBe(0.6); // d3, d2, d1
    expect(q1['judged_10']).toBe(0.6); // divides by min(10, 5 retrieved), as ir_measures
  });

  it('a query without relevant documents scores 0 (no division by zero)', () => {
    const q2 = result.perQuery.get('q2') ?? {};
    expect(q2['num_rel']).toBe(0);
    for (const name of ['map', 'Rprec', 'recip_rank', 'P_1', 'recall_10', 'ndcg', 'ndcg_cut_3', 'map_cut_4', 'success_3', 'ndcg_exp']) {
      expect(q2[name], name).toBe(0);
    }
    expect(q2['judged_2']).toBe(0.5); // e1 judged, e3 not
  });

  it('-c: a qrels query absent from the run counts as 0 but keeps its num_rel; run-only queries are ignored', () => {
    expect([...result.perQuery.keys()]).toEqual(['q1', 'q2', 'q3']);
    const q3 = result.perQuery.get('q3') ?? {};
    expect(q3['num_rel']).toBe(1);
    expect(q3['num_ret']).toBe(0);
    expect(q3['map']).toBe(0);
    expect(q3['judged_2']).toBe(0);
    expect(result.ignoredRunQueries).toEqual(['q9']);
    expect(result.mean['num_q']).toBe(3);
    expect(result.mean['num_ret']).toBe(7); // sums, not means
    expect(result.mean['num_rel']).toBe(4);
    expect(result.mean['num_rel_ret']).toBe(2);
    expect(result.mean['map']).toBeCloseTo((1 / 3 + 2 / 4) / 3 / 3, 12);
    expect(result.mean['P_5']).toBeCloseTo(0.4 / 3, 12);
  });

  it('lists printed names in trec_eval order, whatever the order asked', () => {
    const r = evaluate(qrels, run, { measures: ['ndcg_cut_10', 'P.10,5', 'map', 'num_q'] });
    expect(r.measures).toEqual(['num_q', 'map', 'P_5', 'P_10', 'ndcg_cut_10']);
    expect(Object.keys(r.mean)).toEqual(r.measures);
  });
});

describe('relevance level', () => {
  const result = evaluate(qrels, run, { relLevel: 2, measures: ALL });
  const q1 = result.perQuery.get('q1') ?? {};

  it('binary measures count labels >= relLevel; nDCG ignores it', () => {
    expect(q1['num_rel']).toBe(1); // d1 only
    expect(q1['num_rel_ret']).toBe(1);
    expect(q1['map']).toBe(0.25); // d1 at rank 4
    expect(q1['P_5']).toBe(0.2);
    expect(q1['ndcg']).toBeCloseTo(0.4348079399, 9);
  });

  it('summary num_rel counts labels > 0 whatever the level (trec_eval 10.0 -c)', () => {
    expect(result.mean['num_rel']).toBe(4); // per-query sum would be 1
  });

  it('rejects a bad level', () => {
    expect(() => new Evaluator(qrels, { relLevel: 1.5 })).toThrow(UsageError);
    expect(() => new Evaluator(qrels, { relLevel: -1 })).toThrow(UsageError);
  });
});

describe('ranking order', () => {
  it('breaks score ties by doc id in descending byte order, not numeric order ("9" before "10")', () => {
    const r = evaluate(qrelsOf({ q: { '10': 1, '9': 0 } }), runOf({ q: { '10': 1, '9': 1 } }), { measures: ['P.1', 'recip_rank'] });
    expect(r.perQuery.get('q')).toEqual({ P_1: 0, recip_rank: 0.5 });
  });

  it('orders non-ASCII ids by UTF-8 bytes (U+1F600 > U+FF21 > é > z)', () => {
    const ids = ['z', 'é', '\uFF21', '😀'];
    for (const [relevant, rank] of [['😀', 1], ['\uFF21', 2], ['é', 3], ['z', 4]] as const) {
      const judged = Object.fromEntries(ids.map((id) => [id, id === relevant ? 1 : 0]));
      const r = evaluate(qrelsOf({ q: judged }), runOf({ q: Object.fromEntries(ids.map((id) => [id, 0.5])) }), { measures: ['recip_rank'] });
      expect(r.perQuery.get('q')?.['recip_rank'], relevant).toBeCloseTo(1 / rank, 12);
    }
  });

  it('ignores input order: scores alone rank', () => {
    const a = evaluate(qrels, runOf({ q1: { d1: 0.5, d2: 0.5, d3: 0.9, d5: 0.7, dX: 0.1 } }));
    const b = evaluate(qrels, runOf({ q1: { dX: 0.1, d2: 0.5, d5: 0.7, d1: 0.5, d3: 0.9 } }));
    expect(b.mean).toEqual(a.mean);
  });

  it('orders per-query results by query id bytes', () => {
    const r = evaluate(qrelsOf({ '9': { a: 1 }, '10': { a: 1 }, '2': { a: 1 } }), new Map(), { measures: ['map'] });
    expect([...r.perQuery.keys()]).toEqual(['10', '2', '9']);
  });
});

describe('Evaluator input errors', () => {
  it('rejects a document repeated within a query, naming query and document', () => {
    const evaluator = new Evaluator(qrels);
    expect(() => evaluator.addQuery('q1', [{ docId: 'd1', score: 1 }, { docId: 'd1', score: 0.5 }], { file: 'run.txt', line: 7 })).toThrow(
      /run\.txt:7:.*query "q1": document "d1" appears more than once/,
    );
    try {
      evaluator.addQuery('q2', [{ docId: 'x', score: 1 }, { docId: 'x', score: 1 }]);
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).code).toBe('ERR_RUN_DUPLICATE_DOC');
    }
  });

  it('rejects a query added twice', () => {
    const evaluator = new Evaluator(qrels);
    evaluator.addQuery('q1', []);
    expect(() => evaluator.addQuery('q1', [])).toThrow(expect.objectContaining({ code: 'ERR_RUN_DUPLICATE_QUERY' }));
  });

  it('treats an empty ranking as nothing retrieved', () => {
    const evaluator = new Evaluator(qrels, { measures: ['num_ret', 'num_rel', 'map'] });
    evaluator.addQuery('q1', []);
    expect(evaluator.result().perQuery.get('q1')).toEqual({ num_ret: 0, num_rel: 3, map: 0 });
  });

  it('rejects unknown measures and bad cutoffs', () => {
    expect(() => new Evaluator(qrels, { measures: ['nonsense'] })).toThrow(UsageError);
    expect(() => new Evaluator(qrels, { measures: ['P.0'] })).toThrow(UsageError);
    expect(() => new Evaluator(qrels, { measures: ['map.5'] })).toThrow(UsageError);
  });
});
