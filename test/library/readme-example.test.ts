import { readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startRedisServer } from '../../src/redis/redis-server-process.js';
import { runNode } from '../helpers/cli.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { repoRoot, tempDir } from '../helpers/paths.js';

const cleanups = cleanupAfterAll();

/** The README's library example, importing the built package entry instead of the installed package. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Library'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  if (code === undefined) throw new Error('README.md: no ```ts block under "## Library"');
  return code.replace("from 'rerank-batch'", `from '${pathToFileURL(join(repoRoot, 'dist', 'src', 'index.js')).href}'`);
}

describe("README's library example", () => {
  it('runs as written: run() with a lifecycle event, then evaluate() on its output', async () => {
    const dir = await tempDir('library-example');
    const redis = await startRedisServer();
    cleanups.push(dir.remove, () => redis.stop());
    await symlink(join(repoRoot, 'examples'), join(dir.dir, 'examples'));
    await writeFile(join(dir.dir, 'example.mjs'), await readmeExample());
    const env = { ...process.env, REDIS_URL: redis.url, RERANK_API_URL: '', RERANK_API_KEY: '', LOG_LEVEL: 'warn', LOG_FORMAT: 'json' };
    const result = await runNode(['example.mjs'], env, dir.dir);
    expect(result.code, result.stderr).toBe(0);
    const [finished, summary, evaluated] = result.stdout.trim().split('\n');
    expect(finished).toMatch(/^r[0-9a-f]{16}: complete, 4500 pairs scored$/);
    const [outcome, queries, ndcg] = (summary ?? '').split(' ');
    expect([outcome, queries]).toEqual(['complete', '225']);
    // evaluate() on ranked.trec (top 10 kept) agrees with the run's own metrics.json.
    expect(Number(evaluated)).toBe(Number(ndcg));
    const metrics = JSON.parse(await readFile(join(dir.dir, 'out', 'library', 'metrics.json'), 'utf8')) as { reranked: Record<string, number> };
    expect(metrics.reranked.ndcg_cut_10).toBe(Number(ndcg));
  });
});
