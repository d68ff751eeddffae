/**
 * `eval` over many runs: 100 synthetic TREC runs x 10,000 queries (1,000 with --quick), 20 documents a
 * query, measures map, ndcg_cut_10 and P_10, against synthetic graded qrels. Measured in the same run:
 * - the baseline: the runs evaluated one after the other in process (evaluateRunFile), nothing compared,
 *   as `eval` did before it compared many runs;
 * - `rerank-batch eval --run x100` end to end (a CLI process: evaluation on worker threads, paired
 *   t-tests, Holm, the table), and the same command on 10 of the runs, for the time per run;
 * - the comparison step alone on the evaluated scores, for each test (t, wilcoxon, permutation with its
 *   default 10,000 sign flips), in process.
 * Targets: the whole command within 1.2x of the baseline, the time per run at 100 runs within 1.2x of
 * that at 10 (nothing grows faster than the runs), and the t-test step under 5% of the evaluation.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluateRunFile, readQrels, splitMeasureList } from '../src/evaluate/index.js';
import { evaluationThreads } from '../src/evaluate/parallel-evaluation.js';
import { RunComparator, type PairedTest } from '../src/evaluate/run-comparison.js';
import { runScores, type RunScores } from '../src/evaluate/run-scores.js';
import { mulberry32 } from '../src/mulberry32.js';
import { scaled, seconds, startCli, withTempDir, type BenchContext, type BenchResult, type BenchRow } from './lib.js';

const RUNS = 100;
const JUDGED = 20;
const DEPTH = 20;
const MEASURES = 'map,ndcg_cut.10,P.10';

/** Graded qrels: JUDGED documents a query, labels 0 (60%), 1 (25%), 2 (10%), 3 (5%). */
async function writeQrels(file: string, queries: number, random: () => number): Promise<void> {
  const lines: string[] = [];
  for (let q = 0; q < queries; q++) {
    for (let j = 0; j < JUDGED; j++) {
      const u = random();
      lines.push(`q${q} 0 d${j} ${u < 0.6 ? 0 : u < 0.85 ? 1 : u < 0.95 ? 2 : 3}\n`);
    }
  }
  await writeFile(file, lines.join(''));
}

/**
 * One run: per query DEPTH documents, 15 judged and 5 unjudged (which ones rotates with the run), scored
 * `quality x label + noise`, so runs differ by a little and by a lot.
 */
async function writeRun(file: string, run: number, queries: number, labels: Uint8Array, random: () => number): Promise<void> {
  const quality = 0.2 + (run / RUNS) * 0.6;
  const lines: string[] = [];
  for (let q = 0; q < queries; q++) {
    for (let k = 0; k < DEPTH; k++) {
      const judged = k < 15;
      const doc = judged ? (k + run) % JUDGED : JUDGED + ((k + run) % 40);
      const label = judged ? (labels[q * JUDGED + doc] ?? 0) : 0;
      const noise = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      lines.push(`q${q} Q0 ${judged ? 'd' : 'u'}${doc} ${k + 1} ${(quality * label + noise).toFixed(6)} r${run}\n`);
    }
  }
  await writeFile(file, lines.join(''));
}

async function timed<T>(body: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await body();
  return { ms: performance.now() - started, value };
}

async function cliEval(qrels: string, runs: readonly string[]): Promise<number> {
  const { ms } = await timed(async () => {
    const cli = startCli(['eval', '--qrels', qrels, ...runs.flatMap((run) => ['--run', run]), '--measures', MEASURES]);
    const code = await cli.exited;
    if (code !== 0) throw new Error(`eval exited with ${String(code)}: ${cli.output().slice(-2000)}`);
  });
  return ms;
}

export async function evalScale(ctx: BenchContext): Promise<BenchResult> {
  const queries = scaled(10_000, ctx.scale);
  return withTempDir('eval', async (dir) => {
    const random = mulberry32(1000 + ctx.seed);
    const qrels = join(dir, 'qrels.trec');
    await writeQrels(qrels, queries, random);
    const read = await readQrels(qrels);
    const labels = new Uint8Array(queries * JUDGED);
    for (let q = 0; q < queries; q++) for (const [doc, label] of read.get(`q${q}`) ?? []) labels[q * JUDGED + Number(doc.slice(1))] = label;
    const files: string[] = [];
    for (let r = 0; r < RUNS; r++) {
      const file = join(dir, `run${r}.trec`);
      await writeRun(file, r, queries, labels, random);
      files.push(file);
    }
    const options = { measures: splitMeasureList(MEASURES) };

    // The baseline: evaluation alone, in process; the scores are kept for the comparison step below.
    const scores: RunScores[] = [];
    const evaluation = await timed(async () => {
      for (const file of files) scores.push(runScores(file, await evaluateRunFile(read, file, options)));
    });
    const whole = await cliEval(qrels, files);
    const ten = await cliEval(qrels, files.slice(0, 10));
    const steps: Record<PairedTest, number> = { t: 0, wilcoxon: 0, permutation: 0 };
    for (const test of ['t', 'wilcoxon', 'permutation'] as const) {
      const started = performance.now();
      const comparator = new RunComparator(scores[0] as RunScores, { test });
      for (const run of scores.slice(1)) comparator.add(run);
      comparator.result();
      steps[test] = performance.now() - started;
    }

    const cells = RUNS * queries;
    const overhead = whole / evaluation.ms;
    const perRun = whole / RUNS / (ten / 10);
    const share = (ms: number): string => `${((100 * ms) / evaluation.ms).toFixed(1)}%`;
    const rows: BenchRow[] = [
      {
        benchmark: `eval: ${RUNS} runs x ${queries.toLocaleString('en-US')} queries (${DEPTH} docs each; ${MEASURES}), t-test + Holm, CLI end to end on ${evaluationThreads(RUNS)} threads`,
        figure: `${seconds(whole)} (${Math.round(cells / (whole / 1000)).toLocaleString('en-US')} runs x queries/s) vs the runs evaluated one after the other, nothing compared, ${seconds(evaluation.ms)}`,
        target: '<= 1.2x',
        ratio: Math.round(overhead * 100) / 100,
        holds: overhead <= 1.2,
      },
      {
        benchmark: 'eval: time per run, 100 runs vs 10 runs (CLI)',
        figure: `${(whole / RUNS / 1000).toFixed(3)} s vs ${(ten / 10 / 1000).toFixed(3)} s a run`,
        target: '<= 1.2x',
        ratio: Math.round(perRun * 100) / 100,
        holds: perRun <= 1.2,
      },
      {
        benchmark: `eval: comparison step alone, ${RUNS - 1} runs x 3 measures, share of the evaluation`,
        figure: `t ${(steps.t / 1000).toFixed(3)} s (${share(steps.t)}), wilcoxon ${(steps.wilcoxon / 1000).toFixed(3)} s (${share(steps.wilcoxon)}), permutation with 10,000 sign flips ${(steps.permutation / 1000).toFixed(2)} s (${share(steps.permutation)})`,
        target: 't-test < 5%',
        ratio: Math.round((steps.t / evaluation.ms) * 1000) / 1000,
        holds: steps.t / evaluation.ms < 0.05,
      },
    ];
    return {
      name: 'eval',
      rows,
      notes: [
        `eval: ${RUNS} TREC runs of ${(queries * DEPTH).toLocaleString('en-US')} lines each; the CLI figures include starting Node and the threads (each reads the qrels).`,
      ],
      details: { queries, runs: RUNS, depth: DEPTH, measures: MEASURES, evaluationMs: evaluation.ms, cliMs: whole, cliTenRunsMs: ten, threads: evaluationThreads(RUNS), comparisonMs: steps },
    };
  });
}
