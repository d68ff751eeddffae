import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/faults.js';
import { tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();

describe('fault: an API host that does not resolve', () => {
  it('every batch fails with ERR_API_NETWORK in failures.jsonl, exit 1, one line per batch, no stack', async () => {
    const dir = await tempDir('coded-errors');
    const prefix = uniquePrefix('api-dns');
    cleanups.push(dir.remove, () => deletePrefix(redisUrl(), prefix));
    const input = join(dir.dir, 'pairs.csv');
    await writeFile(input, 'query_id,query,doc_id,document\n1,q one,d1,text one\n1,q one,d2,text two\n2,q two,d3,text three\n');
    // .invalid never resolves (RFC 6761): no request leaves the machine.
    const args = ['run', '--input', input, '--out', join(dir.dir, 'out'), '--prefix', prefix, '--api-url', 'http://no-such-host.invalid/rerank', '--retries', '0', '--attempts', '1'];
    const result = await runCli(args, { ...process.env, REDIS_URL: redisUrl(), RERANK_API_KEY: 'k' });
    expect(result.code, result.stderr.slice(-2000)).toBe(1);
    const failures = (await readFile(join(dir.dir, 'out', 'failures.jsonl'), 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as { code: string; message: string; query_id: string });
    expect(failures.map((f) => f.query_id).sort()).toEqual(['1', '2']);
    for (const failure of failures) {
      expect(failure.code).toBe('ERR_API_NETWORK');
      expect(failure.message).toMatch(/ENOTFOUND|EAI_AGAIN/);
    }
    expect(result.stderr).not.toContain('unexpected error');
    expect(result.stderr).not.toContain('Unhandled error event');
  });
});

describe('fault: no Redis at start', () => {
  it('a configured Redis that refuses connections: ERR_REDIS_UNAVAILABLE, exit 1, within seconds, one line', async () => {
    const { createServer } = await import('node:net');
    // A port that was free a moment ago and has no listener now.
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const address = probe.address();
        probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const started = Date.now();
    const result = await runCli(['status', '--run-id', 'r1', '--redis', `redis://127.0.0.1:${port}`]);
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.stderr).toMatch(/^rerank-batch: error ERR_REDIS_UNAVAILABLE: .*$/m);
    expect(result.stderr).not.toContain('Unhandled error event');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
