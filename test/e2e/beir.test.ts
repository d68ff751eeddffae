import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerEvalCommand } from '../../src/cli/eval-command.js';
import { scoreDocuments } from '../../src/serve/bm25-scorer.js';
import { startRerankServer, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { runCli } from '../helpers/cli.js';
import { API_KEY } from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

/** A BEIR dataset as BEIR ships one: corpus.jsonl, queries.jsonl, qrels/test.tsv (with its header). */
const CORPUS = [
  { _id: '007', title: 'Panel flutter', text: 'flutter of flat panels at supersonic speed', metadata: { url: 'https://example.org/7' } },
  { _id: 'd2', title: '', text: 'heat transfer in composite slabs' },
  { _id: 'd3', title: 'Boundary layers', text: 'boundary layer transition and panel flutter' },
  { _id: 'd4', title: '', text: 'heat, and the transfer of heat' },
  { _id: 'd6', title: 'Unused', text: 'a document the first stage did not retrieve' },
];
/** A numeric `_id` (a JSON number) keeps its digits. */
const NUMERIC_DOC = '{"_id": 12, "title": "Numbers", "text": "supersonic heat transfer", "metadata": {}}';
const QUERIES = ['{"_id": "q1", "text": "panel flutter", "metadata": {"query": "panel flutter"}}', '{"_id": 2, "text": "heat transfer"}'];
const QRELS = ['query-id\tcorpus-id\tscore', 'q1\t007\t2', 'q1\td3\t1', 'q1\td2\t0', '2\td2\t1', '2\t12\t2'];
/** The first stage: q1 ranks the irrelevant d2 first, 2 ranks the unjudged d4 first. */
const FIRST_STAGE = ['q1 Q0 d2 1 3.0 bm25', 'q1 Q0 007 2 2.0 bm25', 'q1 Q0 d3 3 1.0 bm25', '2 Q0 d4 1 3.0 bm25', '2 Q0 d2 2 2.0 bm25', '2 Q0 12 3 1.0 bm25'];

/** The document text BEIR's reranker sends: (title + " " + text).strip(). */
const SENT: Record<string, string> = {
  '007': 'Panel flutter flutter of flat panels at supersonic speed',
  d2: 'heat transfer in composite slabs',
  d3: 'Boundary layers boundary layer transition and panel flutter',
  d4: 'heat, and the transfer of heat',
  '12': 'Numbers supersonic heat transfer',
};
const QUERY_TEXT: Record<string, string> = { q1: 'panel flutter', '2': 'heat transfer' };

let dir: string;
let removeDir: () => Promise<void>;
let server: RunningRerankServer;
const prefix = uniquePrefix('beir');
const files = { corpus: '', queries: '', qrels: '', run: '' };

beforeAll(async () => {
  ({ dir, remove: removeDir } = await tempDir('beir'));
  server = await startRerankServer({ apiKey: API_KEY, recordRequests: true });
  files.corpus = join(dir, 'corpus.jsonl');
  files.queries = join(dir, 'queries.jsonl');
  files.qrels = join(dir, 'qrels', 'test.tsv');
  files.run = join(dir, 'FIRST_STAGE.trec');
  await mkdir(join(dir, 'qrels'));
  await writeFile(files.corpus, [...CORPUS.map((doc) => JSON.stringify(doc)), NUMERIC_DOC].join('\n') + '\n');
  await writeFile(files.queries, QUERIES.join('\n') + '\n');
  await writeFile(files.qrels, QRELS.join('\n') + '\n');
  await writeFile(files.run, FIRST_STAGE.join('\n') + '\n');
});

afterAll(async () => {
  await server.close();
  await deletePrefix(redisUrl(), prefix);
  await removeDir();
});

/** `eval` as the CLI runs it, in process. */
async function evalCommand(...args: string[]): Promise<{ stdout: string; exitCode: number | undefined }> {
  let stdout = '';
  let exitCode: number | undefined;
  const program = new Command().exitOverride();
  registerEvalCommand(program, (code) => (exitCode = code), { stdout: (t) => (stdout += t), stderr: () => undefined });
  await program.parseAsync(['node', 'rerank-batch', 'eval', ...args]);
  return { stdout, exitCode };
}

const MEASURES = 'map,P.1,recip_rank,ndcg_cut.3,num_rel,num_rel_ret';

/** nDCG@3 of labels in rank order, trec_eval's way: gain = label, ideal = the judged labels sorted. */
function ndcg3(ranked: number[], judged: number[]): number {
  const dcg = (labels: number[]): number => labels.slice(0, 3).reduce((sum, rel, i) => sum + (rel > 0 ? rel / Math.log2(i + 2) : 0), 0);
  return dcg(ranked) / dcg([...judged].sort((a, b) => b - a));
}

describe('a BEIR dataset (corpus.jsonl, queries.jsonl, qrels/test.tsv)', () => {
  it('eval reads qrels/test.tsv (its header line included) against the first-stage run', async () => {
    const { stdout, exitCode } = await evalCommand('--qrels', files.qrels, '--run', files.run, '--measures', MEASURES, '--json', '--per-query');
    expect(exitCode ?? 0).toBe(0);
    const result = JSON.parse(stdout) as Record<string, number> & { per_query: Record<string, Record<string, number>> };
    // Both queries find their two relevant documents at ranks 2 and 3: AP = (1/2 + 2/3) / 2.
    expect(result.map).toBeCloseTo(7 / 12, 12);
    expect(result.P_1).toBe(0);
    expect(result.recip_rank).toBeCloseTo(0.5, 12);
    expect(result.num_rel).toBe(4);
    expect(result.num_rel_ret).toBe(4);
    expect(result.per_query.q1?.ndcg_cut_3).toBeCloseTo(ndcg3([0, 2, 1], [2, 1, 0]), 12);
    expect(result.per_query['2']?.ndcg_cut_3).toBeCloseTo(ndcg3([-1, 1, 2], [1, 2]), 12);
    expect(Object.keys(result.per_query).sort()).toEqual(['2', 'q1']);
  });

  it('run --run-file --docs corpus.jsonl --queries queries.jsonl reranks title + " " + text and evaluates against the BEIR qrels', async () => {
    const out = join(dir, 'out');
    const result = await runCli(
      ['run', '--run-file', files.run, '--docs', files.corpus, '--queries', files.queries, '--qrels', files.qrels, '--out', out, '--api-url', server.url, '--template', 'none', '--prefix', prefix],
      { ...process.env, REDIS_URL: redisUrl(), RERANK_API_KEY: API_KEY, RERANK_BATCH_CACHE: 'false' },
    );
    expect(result.code, result.stderr).toBe(0);

    // What the reranker was sent: each query once, its documents as BEIR gives them to a reranker.
    const log = server.stats.requestLog ?? [];
    expect(log).toHaveLength(2);
    const sent = new Map(log.map((request) => [request.query, request.documents]));
    expect([...sent.keys()].sort()).toEqual(['heat transfer', 'panel flutter']);
    expect([...(sent.get('panel flutter') ?? [])].sort()).toEqual([SENT['007'], SENT.d2, SENT.d3].sort());
    expect([...(sent.get('heat transfer') ?? [])].sort()).toEqual([SENT.d2, SENT.d4, SENT['12']].sort());

    // ranked.trec: every first-stage pair once, ids as in the corpus ("007", "12"), ranked by the scores the server gave.
    const ranked = (await readFile(join(out, 'ranked.trec'), 'utf8')).trim().split('\n').map((line) => line.split(' '));
    expect(ranked.map(([q, , d]) => `${q ?? ''} ${d ?? ''}`).sort()).toEqual(FIRST_STAGE.map((line) => line.split(' ').slice(0, 3).filter((_, i) => i !== 1).join(' ')).sort());
    for (const queryId of ['q1', '2']) {
      const query = QUERY_TEXT[queryId] ?? '';
      const documents = sent.get(query) ?? [];
      const scores = scoreDocuments(query, documents);
      const docIdOf = (text: string): string => Object.keys(SENT).find((id) => SENT[id] === text) ?? '?';
      const expected = documents
        .map((text, i) => ({ docId: docIdOf(text), score: scores[i] ?? 0 }))
        .sort((a, b) => b.score - a.score || (a.docId < b.docId ? 1 : -1))
        .map(({ docId, score }, i) => [queryId, 'Q0', docId, String(i + 1), String(score)]);
      expect(ranked.filter(([q]) => q === queryId).map((line) => line.slice(0, 5))).toEqual(expected);
    }

    // metrics.json: the baseline is the first stage as eval scores it, the reranked side is ranked.trec as eval scores it.
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as { baseline: Record<string, number>; reranked: Record<string, number>; comparison: Record<string, unknown> };
    const firstStage = JSON.parse((await evalCommand('--qrels', files.qrels, '--run', files.run, '--json')).stdout) as Record<string, number>;
    const reranked = JSON.parse((await evalCommand('--qrels', files.qrels, '--run', join(out, 'ranked.trec'), '--json')).stdout) as Record<string, number>;
    expect(metrics.baseline.map).toBeCloseTo(7 / 12, 12);
    for (const measure of ['map', 'recip_rank', 'P_5', 'ndcg', 'ndcg_cut_10', 'recall_100', 'num_q', 'num_rel', 'num_rel_ret']) {
      expect(metrics.baseline[measure], measure).toBe(firstStage[measure]);
      expect(metrics.reranked[measure], measure).toBe(reranked[measure]);
    }
    expect(metrics.reranked.num_q).toBe(2);
    // Lexical BM25 puts the title-bearing relevant documents first for "panel flutter".
    expect(ranked.find(([q, , , rank]) => q === 'q1' && rank === '1')?.[2]).toBe('007');
    expect(metrics.comparison.ndcg_cut_10).toBeDefined();

    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { counts: Record<string, number> };
    expect(manifest.counts.pairs).toBe(6);
    expect(await readFile(join(out, 'failures.jsonl'), 'utf8')).toBe('');
  });
});
