import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { evaluate, formatMeasureValue, formatTrecEval, readQrels, readTrecRun, type EvaluationResult } from '../../src/evaluate/index.js';

/** The shared reference collections sit beside the repository checkout (dev and CI). */
const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const present = existsSync(`${DATA}cranfield/qrels.trec`);
if (!present) console.warn(`trec_eval reference tests skipped: ${DATA} not found (the shared data folder must sit beside the repo)`);

/** The measures of the reference files (see the data README): -m ndcg -m ndcg_cut.5,10,20,100 ... */
const MEASURES = ['ndcg', 'ndcg_cut.5,10,20,100', 'map', 'map_cut.10,100', 'recip_rank', 'P.5,10,20', 'recall.10,100', 'Rprec', 'num_q', 'num_ret', 'num_rel', 'num_rel_ret'];

const CASES = [
  { collection: 'cranfield', relLevel: 1, file: 'bm25.trec_eval.txt', perQuery: false, ignored: 0 },
  { collection: 'cranfield', relLevel: 1, file: 'bm25.trec_eval.perquery.txt', perQuery: true, ignored: 0 },
  { collection: 'cranfield', relLevel: 3, file: 'bm25.trec_eval.l3.txt', perQuery: false, ignored: 0 },
  { collection: 'cisi', relLevel: 1, file: 'bm25.trec_eval.txt', perQuery: false, ignored: 36 },
  { collection: 'cisi', relLevel: 1, file: 'bm25.trec_eval.perquery.txt', perQuery: true, ignored: 36 },
  { collection: 'dl19', relLevel: 1, file: 'bm25.trec_eval.txt', perQuery: false, ignored: 0 },
  { collection: 'dl19', relLevel: 2, file: 'bm25.trec_eval.l2.txt', perQuery: false, ignored: 0 },
  { collection: 'dl19', relLevel: 2, file: 'bm25.trec_eval.l2.perquery.txt', perQuery: true, ignored: 0 },
];

const cache = new Map<string, Promise<EvaluationResult>>();
function evaluated(collection: string, relLevel: number): Promise<EvaluationResult> {
  const key = `${collection}/${relLevel}`;
  let result = cache.get(key);
  if (result === undefined) {
    result = (async () => evaluate(await readQrels(`${DATA}${collection}/qrels.trec`), await readTrecRun(`${DATA}${collection}/bm25.run`), { relLevel, measures: MEASURES }))();
    cache.set(key, result);
  }
  return result;
}

describe.skipIf(!present)('reproduces trec_eval 10.0 -c reference outputs', () => {
  for (const c of CASES) {
    describe(`${c.collection} ${c.file} (-l ${c.relLevel})`, () => {
      it('every line: measure, query and value formatted as trec_eval', async () => {
        const result = await evaluated(c.collection, c.relLevel);
        const lines = readFileSync(`${DATA}${c.collection}/reference/${c.file}`, 'utf8').split('\n').filter((l) => l !== '');
        const seen = new Set<string>();
        for (const line of lines) {
          const [rawName, queryId, value] = line.split('\t');
          const name = (rawName ?? '').trimEnd();
          const values = queryId === 'all' ? result.mean : result.perQuery.get(queryId ?? '');
          expect(values, `query ${queryId}`).toBeDefined();
          expect(formatMeasureValue(name, values?.[name] ?? Number.NaN).trim(), line).toBe(value);
          seen.add(`${name}\t${queryId}`);
        }
        // Nothing more to print than the reference has.
        const expected = result.measures.length + (c.perQuery ? result.perQuery.size * (result.measures.length - 1) : 0);
        expect(seen.size).toBe(expected);
        expect(result.ignoredRunQueries.length).toBe(c.ignored);
      });

      it('formatTrecEval output equals the reference file byte for byte', async () => {
        const result = await evaluated(c.collection, c.relLevel);
        expect(formatTrecEval(result, { perQuery: c.perQuery })).toBe(readFileSync(`${DATA}${c.collection}/reference/${c.file}`, 'utf8'));
      });
    });
  }
});

/** The all_trec families with a number per query, which eval (the Evaluator) offers too. */
const ALL_TREC_IN_EVAL = [
  'num_q', 'num_ret', 'num_rel', 'num_rel_ret', 'map', 'Rprec', 'bpref', 'recip_rank', 'iprec_at_recall', 'P', 'recall', 'unj', 'rbp', 'rbp_resid',
  'infAP', 'utility', '11pt_avg', 'ndcg', 'relative_P', 'Rprec_mult', 'success', 'map_cut', 'ndcg_cut', 'ndcg_rel', 'Rndcg', 'binG', 'G', 'set_P',
  'set_recall', 'set_relative_P', 'set_map', 'set_F', 'num_nonrel_judged_ret',
];

const ALL_TREC_CASES = [
  { collection: 'cranfield', relLevel: 1, file: 'bm25.all_trec.perquery.txt' },
  { collection: 'cisi', relLevel: 1, file: 'bm25.all_trec.perquery.txt' },
  { collection: 'dl19', relLevel: 1, file: 'bm25.all_trec.perquery.txt' },
  { collection: 'dl19', relLevel: 2, file: 'bm25.all_trec.l2.perquery.txt' },
];

describe.skipIf(!present)('the Evaluator (eval) reproduces trec_eval 10.0 -c -m all_trec values, per query and summary', () => {
  for (const c of ALL_TREC_CASES) {
    it(`${c.collection} ${c.file} (-l ${c.relLevel}): every line of a measure eval offers`, async () => {
      const result = evaluate(await readQrels(`${DATA}${c.collection}/qrels.trec`), await readTrecRun(`${DATA}${c.collection}/bm25.run`), {
        relLevel: c.relLevel,
        measures: ALL_TREC_IN_EVAL,
      });
      const names = new Set(result.measures);
      let checked = 0;
      for (const line of readFileSync(`${DATA}${c.collection}/reference/${c.file}`, 'utf8').split('\n')) {
        const [rawName, queryId, value] = line.split('\t');
        const name = (rawName ?? '').trimEnd();
        if (!names.has(name)) continue;
        const values = queryId === 'all' ? result.mean : result.perQuery.get(queryId ?? '');
        expect(formatMeasureValue(name, values?.[name] ?? Number.NaN).trim(), line).toBe(value);
        checked++;
      }
      // Every per-query value (all measures but num_q) and every summary line.
      expect(checked).toBe(result.perQuery.size * (result.measures.length - 1) + result.measures.length);
    });
  }
});
