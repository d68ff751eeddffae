/**
 * Overhead: the whole pipeline (producer -> BullMQ -> in-process workers -> collector -> outputs) versus
 * the no-queue baseline (direct-baseline.ts) on the same corpus, same server, same concurrency.
 * Target: pipeline wall time <= 1.2x the baseline's; both ranked.trec files byte-identical.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { startRedisServer } from '../src/redis/redis-server-process.js';
import { runDirect } from './direct-baseline.js';
import { cpuSecondsOf, mb, redisCpuSeconds, scaled, seconds, startServerChild, withTempDir, type BenchContext, type BenchResult } from './lib.js';
import { timedPipeline, type TimedRun } from './pipeline.js';
import type { ServerChildStats } from './server-child.js';
import { writeCorpus } from './synthetic-corpus.js';

/** CPU seconds used by each process of a phase: this process (the pipeline or the baseline), the rerank server, Redis. */
interface CpuSplit {
  self: number;
  server: number;
  redis: number;
}

async function cpuNow(serverPid: number, redisUrl: string): Promise<CpuSplit> {
  const usage = process.cpuUsage();
  return { self: (usage.user + usage.system) / 1e6, server: (await cpuSecondsOf(serverPid)) ?? Number.NaN, redis: await redisCpuSeconds(redisUrl) };
}

function cpuSince(before: CpuSplit, after: CpuSplit): CpuSplit {
  return { self: after.self - before.self, server: after.server - before.server, redis: after.redis - before.redis };
}

function formatCpu(cpu: CpuSplit): string {
  return `self ${cpu.self.toFixed(1)} s, server ${cpu.server.toFixed(1)} s, Redis ${cpu.redis.toFixed(1)} s`;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Median of a non-empty list. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export async function overhead(ctx: BenchContext): Promise<BenchResult> {
  const queries = scaled(2000, ctx.scale);
  const perQuery = 100;
  const concurrency = 8;
  // Alternating repetitions, compared by their medians: on a small machine one run of either side can be
  // off by 10% (another process, the page cache), which is the size of the effect measured.
  const reps = ctx.quick ? 1 : 5;
  return withTempDir('overhead', async (dir) => {
    // A file of the user's (--input), or a synthetic corpus.
    let input = ctx.input;
    const genStart = performance.now();
    if (input === undefined) {
      input = join(dir, 'pairs.csv');
      await writeCorpus({ out: input, queries, perQuery, seed: 11 + ctx.seed });
    }
    const genMs = performance.now() - genStart;
    const corpusBytes = (await stat(input)).size;
    const redis = await startRedisServer();
    const server = await startServerChild({ latencyMs: 0 });
    try {
      // Warm both sides (JIT, the server, the page cache) with a small corpus, measured nowhere.
      const warm = join(dir, 'warm.csv');
      await writeCorpus({ out: warm, queries: 20, perQuery, seed: 12 + ctx.seed });
      await runDirect({ input: warm, trecFile: join(dir, 'warm.trec'), apiUrl: server.url, concurrency });
      await timedPipeline({ input: warm, out: join(dir, 'warm-out'), redis: redis.url, apiUrl: server.url, concurrency, runId: 'bench-overhead-warm' }, ctx.logger);

      const directTrec = join(dir, 'direct.trec');
      const directMs: number[] = [];
      const pipelineMs: number[] = [];
      let directCpu: CpuSplit | undefined;
      let pipelineCpu: CpuSplit | undefined;
      let directServer: ServerChildStats | undefined;
      let pipelineServer: ServerChildStats | undefined;
      let pipeline: TimedRun | undefined;
      let out = '';
      let pairs = 0;
      for (let rep = 0; rep < reps; rep++) {
        await server.reset();
        let cpuBefore = await cpuNow(server.pid, redis.url);
        const direct = await runDirect({ input, trecFile: directTrec, apiUrl: server.url, concurrency });
        directCpu = cpuSince(cpuBefore, await cpuNow(server.pid, redis.url));
        directServer = await server.stats();
        directMs.push(direct.wallMs);
        pairs = direct.pairs;

        await server.reset();
        // A new run id each time: the same one would resume the finished run and redo nothing.
        out = join(dir, `out-${rep}`);
        cpuBefore = await cpuNow(server.pid, redis.url);
        pipeline = await timedPipeline({ input, out, redis: redis.url, apiUrl: server.url, concurrency, runId: `bench-overhead-${rep}` }, ctx.logger);
        pipelineCpu = cpuSince(cpuBefore, await cpuNow(server.pid, redis.url));
        pipelineServer = await server.stats();
        pipelineMs.push(pipeline.wallMs);
      }
      if (pipeline === undefined || directCpu === undefined || pipelineCpu === undefined || directServer === undefined || pipelineServer === undefined) {
        throw new Error('overhead ran no repetition');
      }

      const [a, b] = await Promise.all([sha256(directTrec), sha256(join(out, 'ranked.trec'))]);
      const identical = a === b;
      const direct = median(directMs);
      const piped = median(pipelineMs);
      const ratio = piped / direct;
      const list = (values: number[]): string => values.map((ms) => (ms / 1000).toFixed(2)).join(', ');
      return {
        name: 'overhead',
        rows: [
          {
            benchmark: 'overhead',
            figure: `pipeline ${seconds(piped)} vs direct ${seconds(direct)} (${pairs.toLocaleString('en-US')} pairs, C=${concurrency}${reps > 1 ? `, median of ${reps}` : ''})`,
            target: '<= 1.2x',
            ratio: Math.round(ratio * 100) / 100,
            holds: ratio <= 1.2,
          },
          {
            benchmark: 'overhead: same ranked.trec',
            figure: identical ? `identical (sha256 ${a.slice(0, 12)}…)` : `DIFFERENT (direct ${a.slice(0, 12)}…, pipeline ${b.slice(0, 12)}…)`,
            target: 'identical',
            ratio: null,
            holds: identical,
          },
        ],
        notes: [
          `overhead: ${ctx.input === undefined ? 'synthetic corpus' : `input ${ctx.input}`}, ${pairs.toLocaleString('en-US')} pairs, ${mb(corpusBytes)}${ctx.input === undefined ? ` CSV, generated in ${seconds(genMs)}` : ''}; ` +
            `pipeline ${Math.round(pairs / (piped / 1000)).toLocaleString('en-US')} pairs/s, direct ${Math.round(pairs / (direct / 1000)).toLocaleString('en-US')} pairs/s; ` +
            `each repetition (s): pipeline ${list(pipelineMs)}, direct ${list(directMs)}; ` +
            `requests: pipeline ${pipelineServer.requests}, direct ${directServer.requests}; outcome ${pipeline.report.outcome}, failed pairs ${pipeline.report.summary.failedPairs}.`,
          `overhead: CPU time of the last repetition, pipeline: ${formatCpu(pipelineCpu)}; direct: ${formatCpu(directCpu)}. ` +
            'The pipeline parses the input in a thread of its own; the direct baseline parses, calls and writes in one.',
        ],
        details: {
          pairs,
          input: ctx.input ?? null,
          corpusBytes,
          generateMs: genMs,
          repetitions: reps,
          pipelineMs: piped,
          directMs: direct,
          pipelineRepsMs: pipelineMs,
          directRepsMs: directMs,
          ratio,
          identical,
          sha256: { direct: a, pipeline: b },
          pipelineSummary: pipeline.report.summary,
          server: { direct: directServer, pipeline: pipelineServer },
          cpuSeconds: { direct: directCpu, pipeline: pipelineCpu },
        },
      };
    } finally {
      await server.close();
      await redis.stop();
    }
  });
}
