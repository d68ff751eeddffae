import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { runCli } from '../helpers/cli.js';
import { PAIRS, QRELS } from '../helpers/faults.js';
import { naiveKendallTauB, naiveSpearman } from '../helpers/naive-stats.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cleanups = cleanupAfterAll();
const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_URL: '', RERANK_API_KEY: '' };

interface PairRow {
  query_id: string;
  query: string;
  doc_id: string;
  document: string;
  score: string;
  rank: string;
}
const PAIR_ROWS = parse(gunzipSync(readFileSync(PAIRS)), { columns: true }) as PairRow[];
const QRELS_LABELS = new Map<string, number>();
for (const line of readFileSync(QRELS, 'utf8').trim().split('\n')) {
  const [queryId, , docId, label] = line.split(/\s+/);
  QRELS_LABELS.set(`${queryId ?? ''} ${docId ?? ''}`, Number(label));
}

/** Thresholds around the built-in server's quartiles on the example (its scores are in (0, 1)). */
const THRESHOLDS = [0.55, 0.65, 0.75];
const labelOf = (score: number): number => THRESHOLDS.filter((t) => score >= t).length;

async function runExample(name: string, args: string[], input = PAIRS): Promise<{ out: string; prefix: string; stdout: string }> {
  const dir = await tempDir(`labelling-${name}`);
  const prefix = uniquePrefix(`labelling-${name}`);
  cleanups.push(dir.remove, () => deletePrefix(redisUrl(), prefix));
  const out = join(dir.dir, 'out');
  const result = await runCli(['run', '--input', input, '--out', out, '--prefix', prefix, '--no-cache', '--quiet', ...args], env);
  expect(result.code, result.stderr).toBe(0);
  return { out, prefix, stdout: result.stdout };
}

interface Ranked {
  query_id: string;
  results: { doc_id: string; score: number; rank: number }[];
}
async function rankedOf(out: string): Promise<Ranked[]> {
  return (await readFile(join(out, 'ranked.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Ranked);
}

/** `eval --json` of a run against labels.qrels. */
async function evalJson(qrels: string, run: string): Promise<Record<string, number>> {
  const result = await runCli(['eval', '--qrels', qrels, '--run', run, '--measures', 'ndcg,map,P.5,recip_rank,num_rel', '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Record<string, number>;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('labels.qrels from score thresholds, on the bundled Cranfield example', () => {
  it('is a qrels file eval reads, and gives the numbers computed directly from the labels', async () => {
    const { out, stdout } = await runExample('thresholds', ['--label-thresholds', THRESHOLDS.join(',')]);
    expect(stdout).toContain('labels from thresholds 0.55, 0.65, 0.75');
    const ranked = await rankedOf(out);
    const labels = (await readFile(join(out, 'labels.qrels'), 'utf8')).trim().split('\n');
    expect(labels).toHaveLength(4500);
    const scoreOf = new Map(ranked.flatMap((q) => q.results.map((r) => [`${q.query_id} ${r.doc_id}`, r.score] as const)));
    for (const line of labels) {
      const [queryId, zero, docId, label] = line.split(' ');
      expect(zero).toBe('0');
      expect(Number(label), line).toBe(labelOf(scoreOf.get(`${queryId ?? ''} ${docId ?? ''}`) ?? Number.NaN));
    }

    // Labels grow with the score, so the reranked list is each query's ideal ranking: nDCG and AP are 1
    // for a query with a label >= 1, 0 for one without (trec_eval -c averages over every qrels query).
    const relevantQueries = ranked.filter((q) => q.results.some((r) => labelOf(r.score) >= 1)).length;
    const reranked = await evalJson(join(out, 'labels.qrels'), join(out, 'ranked.trec'));
    expect(reranked.ndcg).toBeCloseTo(relevantQueries / 225, 12);
    expect(reranked.map).toBeCloseTo(relevantQueries / 225, 12);
    expect(reranked.num_rel).toBe(ranked.flatMap((q) => q.results).filter((r) => labelOf(r.score) >= 1).length);

    // The first stage (BM25) against the same labels: P@5 and the reciprocal rank, by hand.
    const bm25 = join(out, 'bm25.run');
    await writeFile(bm25, PAIR_ROWS.map((r) => `${r.query_id} Q0 ${r.doc_id} ${r.rank} ${r.score} bm25`).join('\n'));
    const byQuery = new Map<string, PairRow[]>();
    for (const row of PAIR_ROWS) byQuery.set(row.query_id, [...(byQuery.get(row.query_id) ?? []), row]);
    const relevant = (row: PairRow): boolean => labelOf(scoreOf.get(`${row.query_id} ${row.doc_id}`) ?? 0) >= 1;
    const firstStage = [...byQuery.values()].map((rows) => rows.sort((a, b) => Number(b.score) - Number(a.score) || (a.doc_id < b.doc_id ? 1 : -1)));
    const p5 = mean(firstStage.map((rows) => rows.slice(0, 5).filter(relevant).length / 5));
    const rr = mean(firstStage.map((rows) => {
      const at = rows.findIndex(relevant);
      return at < 0 ? 0 : 1 / (at + 1);
    }));
    const baseline = await evalJson(join(out, 'labels.qrels'), bm25);
    expect(baseline.P_5).toBeCloseTo(p5, 12);
    expect(baseline.recip_rank).toBeCloseTo(rr, 12);
  }, 120_000);
});

describe('an input with a label column', () => {
  it('agreement, calibrated thresholds, hard negatives that respect the qrels and the margin, review.csv; collect writes them again with other labels', async () => {
    const dir = await tempDir('labelled-input');
    cleanups.push(dir.remove);
    // The example with the qrels' labels as a column (empty for pairs the qrels do not judge).
    const input = join(dir.dir, 'labelled.csv');
    await writeFile(
      input,
      stringify([
        ['query_id', 'query', 'doc_id', 'document', 'score', 'rank', 'label'],
        ...PAIR_ROWS.map((r) => [r.query_id, r.query, r.doc_id, r.document, r.score, r.rank, String(QRELS_LABELS.get(`${r.query_id} ${r.doc_id}`) ?? '')]),
      ]),
    );
    const margin = 0.05;
    const { out, prefix, stdout } = await runExample(
      'labelled',
      ['--qrels', QRELS, '--calibrate-thresholds', '--export-training', 'triplets,hard-negatives', '--negatives', '3', '--negative-margin', String(margin), '--review-sample', '40', '--scored', 'both'],
      input,
    );
    const scored = parse(await readFile(join(out, 'scored.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(scored).toHaveLength(4500);
    expect(scored.map((r) => `${r.query_id} ${r.doc_id} ${r.label}`)).toEqual(PAIR_ROWS.map((r) => `${r.query_id} ${r.doc_id} ${String(QRELS_LABELS.get(`${r.query_id} ${r.doc_id}`) ?? '')}`));
    const labelled = scored.filter((r) => r.label !== '');
    const pairs = labelled.map((r) => ({ score: Number(r.rerank_score), label: Number(r.label) }));
    const y = pairs.map((p) => p.label);
    const metrics = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as {
      reranked: Record<string, number>;
      labels: { calibration: { thresholds: number[]; kappa: number; labels: number[] }; agreement: { pairs: number; spearman: number; kendall_tau_b: number; auc: number | null; cohen_kappa: number } };
    };
    const { agreement, calibration } = metrics.labels;
    expect(agreement.pairs).toBe(labelled.length);
    expect(agreement.spearman).toBeCloseTo(naiveSpearman(pairs) ?? Number.NaN, 12);
    expect(agreement.kendall_tau_b).toBeCloseTo(naiveKendallTauB(pairs) ?? Number.NaN, 12);
    expect(agreement.auc).toBeNull();
    expect(metrics.reranked.ndcg).toBeGreaterThan(0);
    // Cohen's kappa of label_pred (the calibrated levels name the given labels) against the labels, by hand.
    const predicted = labelled.map((r) => Number(r.label_pred));
    expect(new Set(predicted).size).toBeGreaterThan(1);
    for (const label of predicted) expect(calibration.labels).toContain(label);
    const categories = [...new Set([...y, ...predicted])];
    const observed = mean(y.map((label, i) => (label === predicted[i] ? 1 : 0)));
    const expectedAgreement = categories.reduce((sum, c) => sum + (y.filter((v) => v === c).length / y.length) * (predicted.filter((v) => v === c).length / y.length), 0);
    expect(calibration.kappa).toBeCloseTo((observed - expectedAgreement) / (1 - expectedAgreement), 12);
    expect(agreement.cohen_kappa).toBeCloseTo(calibration.kappa, 12);
    expect(stdout).toContain("calibrated: Cohen's kappa");
    expect(stdout).toContain('agreement with the input');

    // Hard negatives: never a pair the qrels mark relevant; each at least the margin below its positive.
    const ranked = await rankedOf(out);
    const scoreOf = new Map(ranked.flatMap((q) => q.results.map((r) => [`${q.query_id} ${r.doc_id}`, r.score] as const)));
    const tuples = (await readFile(join(out, 'hard-negatives.ids.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { query_id: string; positive_id: string; negative_ids: string[] });
    const triplets = (await readFile(join(out, 'triplets.ids.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { query_id: string; positive_id: string; negative_id: string });
    expect(tuples.length).toBeGreaterThan(50);
    const pairsChecked = [...tuples.flatMap((t) => t.negative_ids.map((n) => [t.query_id, t.positive_id, n] as const)), ...triplets.map((t) => [t.query_id, t.positive_id, t.negative_id] as const)];
    for (const [queryId, positive, negative] of pairsChecked) {
      expect(QRELS_LABELS.get(`${queryId} ${positive}`) ?? 0, `positive ${queryId} ${positive}`).toBeGreaterThanOrEqual(1);
      expect(QRELS_LABELS.get(`${queryId} ${negative}`) ?? 0, `negative ${queryId} ${negative}`).toBeLessThanOrEqual(0);
      expect(scoreOf.get(`${queryId} ${negative}`) ?? Number.NaN).toBeLessThanOrEqual((scoreOf.get(`${queryId} ${positive}`) ?? Number.NaN) - margin);
    }
    // The data files hold the texts of the same lines.
    const textOf = new Map(PAIR_ROWS.map((r) => [`${r.query_id} ${r.doc_id}`, r.document]));
    const first = JSON.parse((await readFile(join(out, 'triplets.jsonl'), 'utf8')).split('\n')[0] ?? '') as Record<string, string>;
    const firstIds = triplets[0];
    expect(first.positive).toBe(textOf.get(`${firstIds?.query_id ?? ''} ${firstIds?.positive_id ?? ''}`));
    expect(first.negative).toBe(textOf.get(`${firstIds?.query_id ?? ''} ${firstIds?.negative_id ?? ''}`));

    const review = parse(await readFile(join(out, 'review.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(review).toHaveLength(40);
    expect(new Set(review.map((r) => r.band)).size).toBe(5);
    expect(new Set(review.map((r) => r.query_id)).size).toBeGreaterThan(30);

    // collect writes the labelling outputs again from the finished run, with another rule and no API.
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { run_id: string; counts: { api_requests: number } };
    const again = await runCli(['collect', '--run-id', manifest.run_id, '--out', out, '--prefix', prefix, '--label-top-k', '2', '--quiet'], env);
    expect(again.code, again.stderr).toBe(0);
    const labels = (await readFile(join(out, 'labels.qrels'), 'utf8')).trim().split('\n');
    expect(labels).toHaveLength(4500);
    expect(labels.filter((line) => line.endsWith(' 1'))).toHaveLength(225 * 2);
    const rescored = parse(await readFile(join(out, 'scored.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rescored.filter((r) => r.label_pred === '1').every((r) => Number(r.rerank_rank) <= 2)).toBe(true);
    const after = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as { counts: { api_requests: number }; labelling: { rule: unknown } };
    expect(after.labelling.rule).toEqual({ kind: 'top-k', k: 2 });
    expect(after.counts.api_requests).toBe(manifest.counts.api_requests);
  }, 180_000);
});

describe('usage', () => {
  it('labelling outputs of a --run-file input exit 2 before anything runs', async () => {
    const result = await runCli(['run', '--run-file', 'run.trec', '--docs', 'docs.jsonl', '--queries', 'q.tsv', '--out', 'never', '--scored', 'auto'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--run-file');
  });

  it('a rule given twice, or an unknown training format, exits 2', async () => {
    const both = await runCli(['run', '--input', PAIRS, '--out', 'never', '--label-thresholds', '0.5', '--label-top-k', '3'], env);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--label-top-k');
    const unknown = await runCli(['run', '--input', PAIRS, '--out', 'never', '--export-training', 'pairs'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('triplets, hard-negatives, distillation');
  });
});
