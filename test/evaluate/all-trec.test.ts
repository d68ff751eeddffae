import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { hasSharedData, sharedData } from '../helpers/paths.js';

const present = hasSharedData && existsSync(`${sharedData}cranfield/reference/bm25.all_trec.txt`);
if (!present) console.warn(`trec_eval -m all_trec reference tests skipped: ${sharedData} not found (the shared data folder must sit beside the repo)`);

/** The measures of the older reference files (see the data README). */
const REFERENCE_MEASURES = ['ndcg', 'ndcg_cut.5,10,20,100', 'map', 'map_cut.10,100', 'recip_rank', 'P.5,10,20', 'recall.10,100', 'Rprec', 'num_q', 'num_ret', 'num_rel', 'num_rel_ret'].flatMap((m) => ['-m', m]);

/** Each reference file with the trec_eval flags that made it. */
const CASES: { collection: string; file: string; flags: string[] }[] = [
  { collection: 'cranfield', file: 'bm25.all_trec.txt', flags: ['-c', '-m', 'all_trec'] },
  { collection: 'cranfield', file: 'bm25.all_trec.perquery.txt', flags: ['-c', '-q', '-m', 'all_trec'] },
  { collection: 'cisi', file: 'bm25.all_trec.txt', flags: ['-c', '-m', 'all_trec'] },
  { collection: 'cisi', file: 'bm25.all_trec.perquery.txt', flags: ['-c', '-q', '-m', 'all_trec'] },
  { collection: 'cisi', file: 'bm25.all_trec.no-c.txt', flags: ['-m', 'all_trec'] },
  { collection: 'dl19', file: 'bm25.all_trec.txt', flags: ['-c', '-m', 'all_trec'] },
  { collection: 'dl19', file: 'bm25.all_trec.perquery.txt', flags: ['-c', '-q', '-m', 'all_trec'] },
  { collection: 'dl19', file: 'bm25.all_trec.l2.txt', flags: ['-c', '-l', '2', '-m', 'all_trec'] },
  { collection: 'dl19', file: 'bm25.all_trec.l2.perquery.txt', flags: ['-c', '-q', '-l', '2', '-m', 'all_trec'] },
  { collection: 'cranfield', file: 'bm25.trec_eval.txt', flags: ['-c', ...REFERENCE_MEASURES] },
  { collection: 'cranfield', file: 'bm25.trec_eval.perquery.txt', flags: ['-c', '-q', ...REFERENCE_MEASURES] },
  { collection: 'cranfield', file: 'bm25.trec_eval.l3.txt', flags: ['-c', '-l3', ...REFERENCE_MEASURES] },
  { collection: 'cisi', file: 'bm25.trec_eval.perquery.txt', flags: ['-c', '-q', ...REFERENCE_MEASURES] },
  { collection: 'dl19', file: 'bm25.trec_eval.l2.perquery.txt', flags: ['-qcl2', ...REFERENCE_MEASURES] },
];

describe.skipIf(!present)('rerank-batch trec_eval reproduces trec_eval 10.0 reference outputs line by line', () => {
  for (const c of CASES) {
    it(`${c.collection}/${c.file}: trec_eval ${c.flags.join(' ')}`, async () => {
      const data = `${sharedData}${c.collection}/`;
      const result = await runCli(['trec_eval', ...c.flags, `${data}qrels.trec`, `${data}bm25.run`]);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const expected = readFileSync(`${data}reference/${c.file}`, 'utf8').split('\n');
      const actual = result.stdout.split('\n');
      // The first line that differs, named, rather than thousands of assertions.
      const first = expected.findIndex((line, i) => actual[i] !== line);
      expect(first < 0 ? undefined : { line: first + 1, actual: actual[first], expected: expected[first] }).toBeUndefined();
      expect(actual.length).toBe(expected.length);
    });
  }
});
