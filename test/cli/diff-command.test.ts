import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

// Two small TREC runs (see the comments at their top): A is queries 1-4 of the Cranfield BM25 run of
// ../shared/data, top 15; B a perturbed copy. By construction, with k 10:
// q1: 14 shared documents, 3 discordant pairs (two swaps and a score tie broken by doc id, 875 before
//     1144), so tau = 1 - 2*3/91 = 85/91; top 10 share 9 (1144 fell to 11th): overlap 0.9, changed.
// q2: same order, other scores: tau 1, RBO 1, overlap 1, unchanged.
// q3: reversed: tau -1; the top 10s share A's ranks 6-10: overlap 0.5, changed.
// q4 only in A, q5 only in B.
const A = join(repoRoot, 'test/fixtures/diff/cranfield-bm25.run');
const B = join(repoRoot, 'test/fixtures/diff/cranfield-perturbed.run');

interface DiffJson {
  a: string;
  b: string;
  rbo_p: number;
  top_k: number;
  summary: {
    queries: number;
    queries_in_both: number;
    queries_only_in_a: string[];
    queries_only_in_b: string[];
    top_k_changed: number;
    tau_queries: number;
    mean: Record<string, number | null>;
  };
  most_moved: ({ query_id: string } & Record<string, unknown>)[];
  per_query: Record<string, Record<string, unknown>>;
}

async function diffJson(...args: string[]): Promise<DiffJson> {
  const result = await runCli(['diff', ...args, '--json']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as DiffJson;
}

describe('rerank-batch diff', () => {
  it('prints the summary first, then the queries that moved most, as aligned tables', async () => {
    const result = await runCli(['diff', A, B]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      `A = ${A}`,
      `B = ${B}`,
      'summary',
      'queries in both      3',
      'queries only in A    1 (4)',
      'queries only in B    1 (5)',
      'top-10 changed       2',
    ]);
    // Mean tau over q1-q3: (85/91 + 1 - 1) / 3 = 85/273 = 0.31136; mean overlap (0.9 + 1 + 0.5) / 3.
    expect(lines[7]).toBe('mean kendall_tau     0.3114');
    expect(result.stdout).toMatch(/^mean overlap@10\s+0\.8000$/m);
    const table = lines.slice(lines.indexOf('moved most (lowest RBO, 3 of 3 queries in both)') + 1).filter((line) => line !== '');
    expect(table[0]).toMatch(/^query\s+kendall_tau\s+rbo\s+overlap@10\s+only A\s+only B\s+docs A\s+docs B$/);
    expect(table.slice(1).map((line) => line.split(/\s+/))).toEqual([
      ['3', '-1.0000', expect.stringMatching(/^0\.\d{4}$/), '0.5000', '0', '0', '15', '15'],
      ['1', '0.9341', expect.stringMatching(/^0\.\d{4}$/), '0.9000', '1', '1', '15', '15'],
      ['2', '1.0000', '1.0000', '1.0000', '0', '0', '15', '15'],
    ]);
    // Every line of a table is as wide as its header (cells right-aligned under it).
    const widths = new Set(table.map((line) => line.length));
    expect(widths.size).toBe(1);
  });

  it('prints JSON with every query, and takes --top-k, --rbo-p and --most-moved', async () => {
    const json = await diffJson(A, B);
    expect(json).toMatchObject({ rbo_p: 0.9, top_k: 10 });
    expect(json.summary).toMatchObject({ queries: 5, queries_in_both: 3, queries_only_in_a: ['4'], queries_only_in_b: ['5'], top_k_changed: 2, tau_queries: 3 });
    expect(json.summary.mean['kendall_tau']).toBeCloseTo(85 / 273, 12);
    expect(json.summary.mean['top_k_overlap']).toBeCloseTo(0.8, 12);
    expect(json.per_query['1']).toMatchObject({ docs_in_both: 14, docs_only_in_a: 1, docs_only_in_b: 1, top_k_overlap: 0.9, top_k_changed: true });
    expect(json.per_query['1']?.['kendall_tau']).toBeCloseTo(85 / 91, 12);
    expect(json.per_query['2']).toMatchObject({ kendall_tau: 1, top_k_overlap: 1, top_k_changed: false });
    expect(json.per_query['2']?.['rbo']).toBeCloseTo(1, 12);
    expect(json.per_query['3']).toMatchObject({ kendall_tau: -1, top_k_overlap: 0.5, top_k_changed: true });
    expect(json.per_query['4']).toMatchObject({ in_a: true, in_b: false, kendall_tau: null, rbo: 0, docs_only_in_a: 15 });
    expect(json.per_query['5']).toMatchObject({ in_a: false, in_b: true, docs_only_in_b: 15 });
    expect(json.most_moved.map((q) => q.query_id)).toEqual(['3', '1', '2']);

    // k 5: q1's top 5 share 4 (1268 and 51 swapped across rank 5), q3's none; a lower p weighs the top more.
    const tuned = await diffJson(A, B, '--top-k', '5', '--rbo-p', '0.5', '--most-moved', '1');
    expect(tuned).toMatchObject({ rbo_p: 0.5, top_k: 5 });
    expect(tuned.per_query['1']).toMatchObject({ top_k_overlap: 0.8 });
    expect(tuned.per_query['3']).toMatchObject({ top_k_overlap: 0 });
    expect(tuned.most_moved.map((q) => q.query_id)).toEqual(['3']);
    expect(tuned.per_query['1']?.['rbo']).not.toBeCloseTo(json.per_query['1']?.['rbo'] as number, 6);
  });

  it("reads a ranked.jsonl (this tool's output) as eval --run does, with the same numbers as its TREC run", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rerank-diff-cli-'));
    const byQuery = new Map<string, { doc_id: string; score: number; rank: number }[]>();
    for (const line of readFileSync(B, 'utf8').split('\n')) {
      const [queryId, , docId, rank, score] = line.split(' ');
      if (line === '' || line.startsWith('#') || queryId === undefined || docId === undefined) continue;
      byQuery.set(queryId, [...(byQuery.get(queryId) ?? []), { doc_id: docId, score: Number(score), rank: Number(rank) }]);
    }
    const ranked = join(dir, 'ranked.jsonl');
    writeFileSync(ranked, [...byQuery].map(([queryId, results]) => `${JSON.stringify({ query_id: queryId, query: 'q', results })}\n`).join(''));
    const fromTrec = await diffJson(A, B);
    const fromJsonl = await diffJson(A, ranked);
    expect({ ...fromJsonl, b: B }).toEqual(fromTrec);
    // And the other way round: B against A mirrors the only-in lists.
    const reversed = await diffJson(ranked, A);
    expect(reversed.summary).toMatchObject({ queries_only_in_a: ['5'], queries_only_in_b: ['4'] });
    expect(reversed.per_query['1']?.['kendall_tau']).toBeCloseTo(85 / 91, 12);
  });

  it('takes options from a config file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rerank-diff-config-'));
    const config = join(dir, 'job.yaml');
    writeFileSync(config, 'top-k: 5\nrbo-p: 0.8\nqrels: ignored-by-diff.trec\n');
    const json = await diffJson(A, B, '--config', config);
    expect(json).toMatchObject({ rbo_p: 0.8, top_k: 5 });
  });

  it('exits 2 with a coded error on bad usage or input', async () => {
    const p1 = await runCli(['diff', A, B, '--rbo-p', '1']);
    expect(p1.code).toBe(2);
    expect(p1.stderr).toContain('error ERR_USAGE: diff: --rbo-p (rboP): expected a number > 0 and < 1, got 1');
    const p0 = await runCli(['diff', A, B, '--rbo-p', '0']);
    expect(p0.code).toBe(2);
    expect(p0.stderr).toContain('--rbo-p: expected a number > 0');
    const k0 = await runCli(['diff', A, B, '--top-k', '0']);
    expect(k0.code).toBe(2);
    expect(k0.stderr).toContain('--top-k: expected an integer >= 1');
    const one = await runCli(['diff', A]);
    expect(one.code).toBe(2);
    expect(one.stderr).toContain("missing required argument 'b'");
    const missing = await runCli(['diff', A, join(repoRoot, 'test/fixtures/diff/no-such.run')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('error ERR_INPUT_FILE');
  });
});
