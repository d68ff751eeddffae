import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cleanups = cleanupAfterAll();
const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_URL: '', RERANK_API_KEY: '' };
const PAIRS = 'examples/cranfield/pairs.csv.gz';
const QRELS = 'examples/cranfield/qrels.trec';

describe('--config and init (the CLI a user runs)', () => {
  it('run --config job.yaml writes the same ranked.trec and metrics.json as the same options on the command line', async () => {
    const dir = await tempDir('cli-config');
    const [cliPrefix, filePrefix] = [uniquePrefix('cfg-cli'), uniquePrefix('cfg-file')];
    cleanups.push(dir.remove, () => deletePrefix(redisUrl(), cliPrefix), () => deletePrefix(redisUrl(), filePrefix));
    const options = ['--top-n', '10', '--run-tag', 'nightly', '--max-docs-per-request', '7', '--rel-level', '2', '--concurrency', '4'];
    const byFlags = await runCli(['run', '--input', PAIRS, '--qrels', QRELS, '--out', join(dir.dir, 'flags'), '--prefix', cliPrefix, ...options], env);
    expect(byFlags.code, byFlags.stderr).toBe(0);

    const config = join(dir.dir, 'job.yaml');
    await writeFile(config, `# nightly job\ninput: ${PAIRS}\nqrels: ${QRELS}\nout: ${join(dir.dir, 'file')}\ntop-n: 10\nrun-tag: nightly\nmax-docs-per-request: 7\nrel-level: 2\nconcurrency: 4\n`);
    const byFile = await runCli(['run', '--config', config, '--prefix', filePrefix], env);
    expect(byFile.code, byFile.stderr).toBe(0);

    for (const file of ['ranked.trec', 'metrics.json', 'ranked.jsonl']) {
      expect(await readFile(join(dir.dir, 'file', file), 'utf8'), file).toBe(await readFile(join(dir.dir, 'flags', file), 'utf8'));
    }
    const manifest = JSON.parse(await readFile(join(dir.dir, 'file', 'manifest.json'), 'utf8')) as { options: Record<string, unknown>; option_sources: Record<string, string>; model: string; provider: string };
    expect(manifest.options).toMatchObject({ topN: 10, runTag: 'nightly', maxDocsPerRequest: 7, relLevel: 2, prefix: filePrefix, provider: 'regolo' });
    expect(manifest.option_sources).toMatchObject({ topN: 'file', runTag: 'file', input: 'file', prefix: 'cli', redis: 'env', provider: 'default' });
    // No --model: the provider's own default, recorded beside the options.
    expect(manifest.options.model).toBeUndefined();
    expect(manifest).toMatchObject({ provider: 'regolo', model: 'Qwen3-Reranker-4B' });
  });

  it.each([
    ['a mistyped key', 'input: x.csv\nout: o\nmax-pendng: 5\n', /job\.yaml:3: unknown option "max-pendng" \(did you mean "max-pending"\?\)/],
    ['an API key', 'input: x.csv\napi-key: sk-live-123\n', /job\.yaml:2: "api-key": secrets come from the environment only/],
    ['a bad value', 'out: o\ninput: x.csv\nmax-pending: none\n', /job\.yaml:3: max-pending: .*got "none"/],
  ])('exits 2 on %s, naming the file and line', async (_case, text, message) => {
    const dir = await tempDir('cli-config-bad');
    cleanups.push(dir.remove);
    const config = join(dir.dir, 'job.yaml');
    await writeFile(config, text);
    const result = await runCli(['run', '--config', config], env, dir.dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toContain('sk-live-123');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('init writes a template every command accepts, and will not overwrite it without --force', async () => {
    const dir = await tempDir('cli-init');
    cleanups.push(dir.remove);
    const template = join(dir.dir, 'rerank-batch.yaml');
    const init = await runCli(['init', template]);
    expect(init.code).toBe(0);
    expect(await readFile(template, 'utf8')).toContain('# max-pending: 1000');
    expect((await runCli(['init', template])).code).toBe(2);
    expect((await runCli(['init', template, '--force'])).code).toBe(0);
    await writeFile(join(dir.dir, 'q.trec'), '1 0 d1 1\n1 0 d2 0\n');
    await writeFile(join(dir.dir, 'r.trec'), '1 Q0 d2 1 2.5 x\n1 Q0 d1 2 1.5 x\n');
    const evaluated = await runCli(['eval', '--config', template, '--qrels', join(dir.dir, 'q.trec'), '--run', join(dir.dir, 'r.trec'), '--measures', 'map'], env);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(evaluated.stdout).toBe('map                   \tall\t0.5000\n');
    const status = await runCli(['status', '--config', template, '--run-id', 'no-such-run', '--prefix', uniquePrefix('init')], env);
    expect(status.stderr).toContain('ERR_RUN_UNKNOWN');
    expect(status.code).toBe(1);
  });
});
