import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpanKind } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { writePairs } from './exposition.js';

const cleanups = cleanupAfterAll();

/** Registers a span-recording tracer provider, as a user's `node --import ./otel-setup.mjs` registers an SDK. */
const RECORDER = fileURLToPath(new URL('./otel-recorder.mjs', import.meta.url));

interface Recorded {
  spans: { name: string; kind?: number }[];
  /** Calls of the provider's forceFlush: the command exports what the SDK buffers before it exits. */
  flushes: number;
}

describe('--tracing: OpenTelemetry spans through BullMQ telemetry', () => {
  it('a run with --tracing completes, and with an SDK set up by --import its queue and workers make spans; without --tracing none', async () => {
    const server = await startRerankServer({ latencyMs: 2 });
    const dir = await tempDir('tracing');
    const prefix = uniquePrefix('tracing');
    cleanups.push(() => server.close(), dir.remove, () => deletePrefix(redisUrl(), prefix));
    const input = await writePairs(dir.dir, 4, 10);
    const recorded = async (tracing: boolean): Promise<Recorded> => {
      const runId = `tracing-${String(tracing)}`;
      const record = join(dir.dir, `${runId}.json`);
      const args = ['run', '-i', input, '-o', join(dir.dir, runId), '--api-url', server.url, '--redis', redisUrl(), '--prefix', prefix, '--run-id', runId, '--max-docs-per-request', '5', ...(tracing ? ['--tracing'] : [])];
      const result = await runCli(args, { ...process.env, NODE_OPTIONS: `--import ${RECORDER}`, OTEL_RECORD_FILE: record });
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(await readFile(record, 'utf8')) as Recorded;
    };

    // Without an SDK the OpenTelemetry API is a no-op: --tracing changes nothing else.
    const plain = await runCli(['run', '-i', input, '-o', join(dir.dir, 'no-sdk'), '--api-url', server.url, '--redis', redisUrl(), '--prefix', prefix, '--run-id', 'tracing-no-sdk', '--tracing']);
    expect(plain.code, plain.stderr).toBe(0);

    const { spans: traced, flushes } = await recorded(true);
    const queue = 'run-tracing-true';
    // The producer's queue adds the 8 batches (PRODUCER spans); the run's worker processes each (CONSUMER).
    expect(traced.filter((s) => s.name === `addBulk ${queue}` && s.kind === SpanKind.PRODUCER).length).toBeGreaterThan(0);
    expect(traced.filter((s) => s.name === `process ${queue}` && s.kind === SpanKind.CONSUMER)).toHaveLength(8);
    expect(traced.filter((s) => s.name === `complete ${queue}`)).toHaveLength(8);
    expect(flushes).toBe(1);

    expect(await recorded(false)).toEqual({ spans: [], flushes: 0 });
  });

  it('collect --tracing traces the batches its workers score, and flushes the spans before it exits', async () => {
    const server = await startRerankServer({ latencyMs: 2 });
    const dir = await tempDir('tracing-collect');
    const prefix = uniquePrefix('tracing-collect');
    cleanups.push(() => server.close(), dir.remove, () => deletePrefix(redisUrl(), prefix));
    const input = await writePairs(dir.dir, 4, 10);
    const runId = 'tracing-collect';
    const submitted = await runCli(['submit', '-i', input, '--api-url', server.url, '--redis', redisUrl(), '--prefix', prefix, '--run-id', runId, '--max-docs-per-request', '5']);
    expect(submitted.code, submitted.stderr).toBe(0);
    const record = join(dir.dir, 'collect.json');
    const collected = await runCli(['collect', '--run-id', runId, '-o', join(dir.dir, 'out'), '--redis', redisUrl(), '--prefix', prefix, '--tracing', '--quiet'], { ...process.env, NODE_OPTIONS: `--import ${RECORDER}`, OTEL_RECORD_FILE: record });
    expect(collected.code, collected.stderr).toBe(0);
    const { spans, flushes } = JSON.parse(await readFile(record, 'utf8')) as Recorded;
    expect(spans.filter((s) => s.name === `process run-${runId}` && s.kind === SpanKind.CONSUMER)).toHaveLength(8);
    expect(flushes).toBe(1);
  });
});
