/**
 * Where the pipeline's overhead goes: runs the overhead corpus through the CLI `run` (in-process workers)
 * and through the direct baseline, each in its own process under `node --cpu-prof`, against a rerank
 * server in a third process, and prints both CPU profiles' hot spots side by side.
 *
 *   node dist/bench/profile-overhead.js [--queries 2000] [--keep DIR]
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedisServer } from '../src/redis/redis-server-process.js';
import { repoRoot, seconds, startCli, startServerChild, withTempDir } from './lib.js';
import { BENCH_ENV } from './pipeline.js';
import { formatSummary, summarizeProfileFile } from './profile-summary.js';
import { writeCorpus } from './synthetic-corpus.js';

async function profileFile(dir: string): Promise<string> {
  const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
  if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  return join(dir, file);
}

const queriesIndex = process.argv.indexOf('--queries');
const queries = queriesIndex === -1 ? 2000 : Number(process.argv[queriesIndex + 1]);
const keepIndex = process.argv.indexOf('--keep');
const keep = keepIndex === -1 ? undefined : process.argv[keepIndex + 1];

await withTempDir('profile', async (dir) => {
  const input = join(dir, 'pairs.csv');
  await writeCorpus({ out: input, queries, perQuery: 100, seed: 11 });
  const profiles = keep ?? join(dir, 'profiles');
  const pipelineDir = join(profiles, 'pipeline');
  const directDir = join(profiles, 'direct');
  await mkdir(pipelineDir, { recursive: true });
  await mkdir(directDir, { recursive: true });
  const redis = await startRedisServer();
  const server = await startServerChild({ latencyMs: 0 });
  try {
    let t0 = performance.now();
    const run = startCli(
      ['run', '--input', input, '--out', join(dir, 'out'), '--redis', redis.url, '--api-url', server.url, '--concurrency', '8', '--run-id', 'bench-profile', '--log-level', 'warn'],
      BENCH_ENV,
      ['--cpu-prof', '--cpu-prof-dir', pipelineDir],
    );
    const code = await run.exited;
    if (code !== 0) throw new Error(`run exited ${String(code)}: ${run.output().slice(-2000)}`);
    const pipelineMs = performance.now() - t0;
    t0 = performance.now();
    const direct = spawn(process.execPath, ['--cpu-prof', '--cpu-prof-dir', directDir, join(repoRoot, 'dist', 'bench', 'direct-baseline.js'), input, join(dir, 'direct.trec'), server.url, '8'], { stdio: 'inherit' });
    await new Promise<void>((resolve, reject) => direct.once('close', (c) => (c === 0 ? resolve() : reject(new Error(`direct exited ${String(c)}`)))));
    const directMs = performance.now() - t0;
    process.stdout.write(`wall: pipeline (CLI, profiled) ${seconds(pipelineMs)}, direct (profiled) ${seconds(directMs)}\n\n`);
    process.stdout.write(`${formatSummary('pipeline (run process)', await summarizeProfileFile(await profileFile(pipelineDir), 30))}\n\n`);
    process.stdout.write(`${formatSummary('direct baseline', await summarizeProfileFile(await profileFile(directDir), 15))}\n`);
    if (keep !== undefined) process.stdout.write(`\nprofiles kept in ${keep}\n`);
  } finally {
    await server.close();
    await redis.stop();
  }
});
