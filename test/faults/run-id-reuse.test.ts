import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RerankBatchError } from '../../src/errors/rerank-batch-error.js';
import { run as runPipeline } from '../../src/orchestrate/run-pipeline.js';
import { sha256File } from '../../src/read/file-checksum.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { runCli } from '../helpers/cli.js';
import { PAIRS } from '../helpers/faults.js';
import { captureLogs } from '../helpers/log-capture.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cleanups = cleanupAfterAll();
const OTHER = join(repoRoot, 'test', 'fixtures', 'shaping-pairs.csv');

async function rejection(promise: Promise<unknown>): Promise<RerankBatchError> {
  const outcome = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!(outcome instanceof RerankBatchError)) throw new Error(`expected a RerankBatchError, got ${String(outcome)}`);
  return outcome;
}

describe('a run id names one input', () => {
  it('refuses the same --run-id with another input, from Redis and, once Redis has forgotten the run, from the spool; nothing of the old run is merged', async () => {
    const server = await startRerankServer();
    cleanups.push(() => server.close());
    const dir = await tempDir('run-id-reuse');
    const prefix = uniquePrefix('run-id-reuse');
    cleanups.push(dir.remove, () => deletePrefix(redisUrl(), prefix));
    const { logger } = captureLogs('warn');
    const env = { ...process.env, RERANK_API_URL: '' };
    const out = join(dir.dir, 'out');
    const common = { out, redis: redisUrl(), prefix, runId: 'nightly', apiUrl: server.url, onEmptyText: 'score-lowest' } as const;
    const [first, second] = [(await sha256File(PAIRS)).sha256, (await sha256File(OTHER)).sha256];

    expect((await runPipeline({ ...common, input: PAIRS }, { logger, env })).outcome).toBe('complete');
    const ranked = await readFile(join(out, 'ranked.trec'), 'utf8');
    const requests = server.stats.requests;

    const fromRedis = await rejection(runPipeline({ ...common, input: OTHER }, { logger, env }));
    expect(fromRedis.code).toBe('ERR_RUN_ID_REUSED');
    expect(fromRedis.message).toContain('run id nightly');
    expect(fromRedis.message).toContain(first);
    expect(fromRedis.message).toContain(second);

    // Redis loses the run (a restart without persistence); the spool in --out still knows its input.
    await deletePrefix(redisUrl(), prefix);
    const fromSpool = await rejection(runPipeline({ ...common, input: OTHER }, { logger, env }));
    expect(fromSpool.code).toBe('ERR_RUN_ID_REUSED');
    expect(fromSpool.message).toContain('nightly.spool');
    expect(fromSpool.message).toContain(first);
    expect(fromSpool.message).toContain(second);
    expect(await readFile(join(out, 'ranked.trec'), 'utf8')).toBe(ranked);
    // Both refused before anything was queued: not one request for the other input.
    expect(server.stats.requests).toBe(requests);

    // The same input under the same id still resumes; another id for the other input runs.
    await deletePrefix(redisUrl(), prefix);
    expect((await runPipeline({ ...common, input: PAIRS }, { logger, env })).outcome).toBe('complete');
    expect(await readFile(join(out, 'ranked.trec'), 'utf8')).toBe(ranked);
    expect((await runPipeline({ ...common, runId: 'nightly-2', input: OTHER, out: join(dir.dir, 'other') }, { logger, env })).outcome).toBe('complete');
    expect(server.stats.requests).toBeGreaterThan(requests);
  });

  it('is exit 2 on the command line, with the reason on one line', async () => {
    const server = await startRerankServer();
    cleanups.push(() => server.close());
    const dir = await tempDir('run-id-reuse-cli');
    const prefix = uniquePrefix('run-id-reuse-cli');
    cleanups.push(dir.remove, () => deletePrefix(redisUrl(), prefix));
    const args = (input: string): string[] => ['run', '--input', input, '--out', join(dir.dir, 'out'), '--run-id', 'r-cli', '--api-url', server.url, '--prefix', prefix, '--on-empty-text', 'score-lowest'];
    const env = { ...process.env, REDIS_URL: redisUrl() };
    expect((await runCli(args(PAIRS), env)).code).toBe(0);
    const refused = await runCli(args(OTHER), env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/ERR_RUN_ID_REUSED: run id r-cli was used for another input/);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
  });
});
