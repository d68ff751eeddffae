/**
 * Overhead: the whole pipeline (producer -> BullMQ -> in-process workers -> collector -> outputs) versus
 * the no-queue baseline (direct-baseline.ts) on the same corpus, same server, same concurrency.
 * Target: pipeline wall time <= 1.2x the baseline's; both ranked.trec files byte-identical.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { startRedisServer } from '../src/redis/redis-server-process.js';
import { runDirect } from './direct-baseline.js';
import { mb, scaled, seconds, startServerChild, withTempDir, type BenchContext, type BenchResult } from './lib.js';
import { timedPipeline } from './pipeline.js';
import { writeCorpus } from './synthetic-corpus.js';

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function overhead(ctx: BenchContext): Promise<BenchResult> {
  const queries = scaled(2000, ctx.scale);
  const perQuery = 100;
  const concurrency = 8;
  return withTempDir('overhead', async (dir) => {
    const input = join(dir, 'pairs.csv');
    const genStart = performance.now();
    const corpus = await writeCorpus({ out: input, queries, perQuery, seed: 11 });
    const genMs = performance.now() - genStart;
    const redis = await startRedisServer();
    const server = await startServerChild({ latencyMs: 0 });
    try {
      // Warm the server (JIT) and the page cache with a small direct run, measured nowhere.
      const warm = join(dir, 'warm.csv');
      await writeCorpus({ out: warm, queries: 20, perQuery, seed: 12 });
      await runDirect({ input: warm, trecFile: join(dir, 'warm.trec'), apiUrl: server.url, concurrency });

      await server.reset();
      const directTrec = join(dir, 'direct.trec');
      const direct = await runDirect({ input, trecFile: directTrec, apiUrl: server.url, concurrency });
      const directServer = await server.stats();

      await server.reset();
      const out = join(dir, 'out');
      const pipeline = await timedPipeline({ input, out, redisUrl: redis.url, apiUrl: server.url, concurrency, runId: 'bench-overhead' }, ctx.logger);
      const pipelineServer = await server.stats();

      const [a, b] = await Promise.all([sha256(directTrec), sha256(join(out, 'ranked.trec'))]);
      const identical = a === b;
      const ratio = pipeline.wallMs / direct.wallMs;
      const pairs = corpus.pairs;
      return {
        name: 'overhead',
        rows: [
          {
            benchmark: 'overhead',
            figure: `pipeline ${seconds(pipeline.wallMs)} vs direct ${seconds(direct.wallMs)} (${pairs.toLocaleString('en-US')} pairs, C=${concurrency})`,
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
          `overhead: corpus ${pairs.toLocaleString('en-US')} pairs, ${mb(corpus.bytes)} CSV, generated in ${seconds(genMs)}; ` +
            `pipeline ${Math.round(pairs / (pipeline.wallMs / 1000)).toLocaleString('en-US')} pairs/s, direct ${Math.round(pairs / (direct.wallMs / 1000)).toLocaleString('en-US')} pairs/s; ` +
            `requests: pipeline ${pipelineServer.requests}, direct ${directServer.requests}; exit code ${pipeline.report.exitCode}, failed pairs ${pipeline.report.summary.failedPairs}.`,
        ],
        details: {
          pairs,
          corpusBytes: corpus.bytes,
          generateMs: genMs,
          pipelineMs: pipeline.wallMs,
          directMs: direct.wallMs,
          ratio,
          identical,
          sha256: { direct: a, pipeline: b },
          batches: direct.batches,
          pipelineSummary: pipeline.report.summary,
          server: { direct: directServer, pipeline: pipelineServer },
        },
      };
    } finally {
      await server.close();
      await redis.stop();
    }
  });
}
