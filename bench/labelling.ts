/**
 * Labelling outputs: what writing scored.* (every input row passed through), labels.qrels and review.csv
 * costs a `collect` of a finished run, against the same `collect` writing only the ranked outputs, for a
 * small and a 10x larger corpus. Both collects read the run's spool; the labelling one reads the input
 * again too. Targets: the collect process's peak RSS < 300 MB, and what the labelling outputs add to it
 * (its peak over the plain collect's) larger <= 1.2x smaller: flat in the input's size.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedisServer } from '../src/redis/redis-server-process.js';
import { mb, seconds, startCli, startServerChild, stopChild, watchRss, withTempDir, type BenchContext, type BenchResult, type BenchRow } from './lib.js';
import { BENCH_ENV } from './pipeline.js';
import { writeCorpus } from './synthetic-corpus.js';

const PER_QUERY = 100;
const LABELLING_ARGS = ['--scored', 'auto', '--label-top-k', '10', '--review-sample', '200'];

interface CollectFigures {
  wallMs: number;
  peakRss: number;
}

interface LabellingFigures {
  pairs: number;
  corpusBytes: number;
  runMs: number;
  plain: CollectFigures;
  labelling: CollectFigures;
  scoredBytes: number;
}

/** One `collect` of the finished run into `out`: its wall time and peak RSS. */
async function timedCollect(args: string[]): Promise<CollectFigures> {
  const started = performance.now();
  const collect = startCli(['collect', ...args, '--no-workers', '--quiet', '--log-level', 'warn'], BENCH_ENV);
  const watcher = watchRss(collect.child.pid ?? -1);
  const exitCode = await collect.exited;
  const wallMs = performance.now() - started;
  const peak = await watcher.stop();
  if (exitCode !== 0) throw new Error(`collect exited with ${String(exitCode)}: ${collect.output().slice(-2000)}`);
  return { wallMs, peakRss: peak.peakBytes };
}

async function measure(dir: string, pairs: number, seed: number): Promise<LabellingFigures> {
  const input = join(dir, `pairs-${pairs}.csv`);
  const corpus = await writeCorpus({ out: input, queries: Math.max(1, Math.round(pairs / PER_QUERY)), perQuery: PER_QUERY, seed, minWords: 15, maxWords: 60 });
  const redis = await startRedisServer();
  const server = await startServerChild({ latencyMs: 0 });
  const prefix = '{bench}';
  const runId = `bench-labelling-${pairs}`;
  const out = join(dir, `out-${pairs}`);
  let run: ReturnType<typeof startCli> | undefined;
  try {
    const started = performance.now();
    run = startCli(['run', '--input', input, '--out', out, '--redis', redis.url, '--prefix', prefix, '--api-url', server.url, '--run-id', runId, '--quiet', '--log-level', 'warn'], BENCH_ENV);
    const exitCode = await run.exited;
    if (exitCode !== 0) throw new Error(`run exited with ${String(exitCode)}: ${run.output().slice(-2000)}`);
    const runMs = performance.now() - started;
    const common = ['--run-id', runId, '--out', out, '--redis', redis.url, '--prefix', prefix];
    const plain = await timedCollect(common);
    const labelling = await timedCollect([...common, ...LABELLING_ARGS]);
    const scoredBytes = (await stat(join(out, 'scored.csv'))).size;
    return { pairs: corpus.pairs, corpusBytes: corpus.bytes, runMs, plain, labelling, scoredBytes };
  } finally {
    if (run !== undefined) await stopChild(run.child);
    await server.close();
    await redis.stop();
  }
}

export async function labelling(ctx: BenchContext): Promise<BenchResult> {
  const large = ctx.largePairs;
  const small = Math.max(PER_QUERY, Math.round(large / 10));
  return withTempDir('labelling', async (dir) => {
    const smallFigures = await measure(dir, small, 61 + ctx.seed);
    const largeFigures = await measure(dir, large, 62 + ctx.seed);
    const fmt = (n: number): string => n.toLocaleString('en-US');
    const added = (f: LabellingFigures): number => f.labelling.peakRss - f.plain.peakRss;
    const growth = added(largeFigures) / added(smallFigures);
    const peak = Math.max(smallFigures.labelling.peakRss, largeFigures.labelling.peakRss);
    const cost = largeFigures.labelling.wallMs / largeFigures.plain.wallMs;
    const rows: BenchRow[] = [
      {
        benchmark: 'labelling: collect with scored.csv, labels, review vs without',
        figure: `${seconds(largeFigures.labelling.wallMs)} vs ${seconds(largeFigures.plain.wallMs)} at ${fmt(large)} pairs (${mb(largeFigures.scoredBytes)} scored.csv)`,
        target: 'informative',
        ratio: Math.round(cost * 100) / 100,
        holds: null,
      },
      { benchmark: 'labelling: collect peak RSS', figure: mb(peak), target: '< 300 MB', ratio: Math.round((peak / (300 * 1024 * 1024)) * 100) / 100, holds: peak < 300 * 1024 * 1024 },
      {
        benchmark: 'labelling: RSS the labelling outputs add to a collect',
        figure: `+${mb(added(largeFigures))} at ${fmt(large)} vs +${mb(added(smallFigures))} at ${fmt(small)} pairs`,
        target: '<= 1.2x',
        ratio: Math.round(growth * 100) / 100,
        holds: growth <= 1.2,
      },
    ];
    return {
      name: 'labelling',
      rows,
      notes: [
        `labelling: collect of a finished run (--no-workers), with ${LABELLING_ARGS.join(' ')} against without; ` +
          [smallFigures, largeFigures]
            .map((f) => `${fmt(f.pairs)} pairs (${mb(f.corpusBytes)} CSV; run ${seconds(f.runMs)}): collect ${seconds(f.plain.wallMs)} at ${mb(f.plain.peakRss)}, with the labelling outputs ${seconds(f.labelling.wallMs)} at ${mb(f.labelling.peakRss)}`)
            .join('; ') +
          '.',
      ],
      details: { small: smallFigures, large: largeFigures, growth, cost },
    };
  });
}
