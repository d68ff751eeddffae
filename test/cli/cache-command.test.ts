import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ScoreCache } from '../../src/cache/score-cache.js';
import { ScoreKeys, type ScoreIdentity } from '../../src/cache/score-key.js';
import { QWEN3_FORMAT } from '../../src/rerank/prompt.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';

/** `rerank-batch cache stats|prune|export|import` on real LMDB caches, through the CLI. */

const cleanups = cleanupAfterAll();

const identity = (model: string): ScoreIdentity => ({
  endpoint: 'https://api.example/rerank',
  provider: 'regolo',
  model,
  queryTemplate: QWEN3_FORMAT.query,
  documentTemplate: QWEN3_FORMAT.document,
  instruction: 'judge',
  maxTokensPerDoc: null,
  passages: null,
});

/** A cache with 3 scores of model-a (two old, one new) and 2 of model-b. */
async function seeded(dir: string): Promise<{ a: ScoreKeys; b: ScoreKeys }> {
  const cache = ScoreCache.open(dir);
  const a = new ScoreKeys(identity('model-a'));
  const b = new ScoreKeys(identity('model-b'));
  const jan = Date.parse('2026-01-01T00:00:00Z');
  const jun = Date.parse('2026-06-01T00:00:00Z');
  await cache.put([
    { key: a.key('q', 'one'), score: 0.1, at: jan, tag: a.tag },
    { key: a.key('q', 'two'), score: 0.2, at: jan, tag: a.tag, passage: [3, 1] },
    { key: a.key('q', 'three'), score: 0.3, at: jun, tag: a.tag },
    { key: b.key('q', 'one'), score: 0.4, at: jun, tag: b.tag },
    { key: b.key('q', 'two'), score: 0.5, at: jun, tag: b.tag },
  ]);
  await cache.registerIdentity(a.tag, a.text);
  await cache.registerIdentity(b.tag, b.text);
  await cache.close();
  return { a, b };
}

describe('rerank-batch cache', () => {
  it('stats, export, import into another cache (then again: nothing new), prune by date and by model', async () => {
    const tmp = await tempDir('cache-command');
    cleanups.push(tmp.remove);
    const source = join(tmp.dir, 'source');
    const target = join(tmp.dir, 'target');
    const { a } = await seeded(source);

    const stats = await runCli(['cache', 'stats', '--cache-dir', source, '--json']);
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({ dir: source, entries: 5, oldest: Date.parse('2026-01-01T00:00:00Z'), newest: Date.parse('2026-06-01T00:00:00Z') });
    const text = await runCli(['cache', 'stats', '--cache-dir', source]);
    expect(text.stdout).toMatch(/^scores {6}5$/m);
    expect(text.stdout).toContain('model "model-a"');

    const file = join(tmp.dir, 'scores.jsonl.gz');
    const exported = await runCli(['cache', 'export', file, '--cache-dir', source]);
    expect(exported.code, exported.stderr).toBe(0);
    const imported = await runCli(['cache', 'import', file, '--cache-dir', target, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toEqual({ read: 5, added: 5, updated: 0, kept: 0 });
    const again = await runCli(['cache', 'import', file, '--cache-dir', target, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ read: 5, added: 0, updated: 0, kept: 5 });
    const copy = ScoreCache.open(target);
    expect(copy.get(a.key('q', 'two'))).toEqual({ score: 0.2, at: Date.parse('2026-01-01T00:00:00Z'), tag: a.tag, passage: [3, 1] });
    await copy.close();

    const byDate = await runCli(['cache', 'prune', '--cache-dir', target, '--before', '2026-03-01', '--json']);
    expect(JSON.parse(byDate.stdout)).toEqual({ dropped: 2 });
    const byModel = await runCli(['cache', 'prune', '--cache-dir', target, '--model', 'model-b', '--json']);
    expect(JSON.parse(byModel.stdout)).toEqual({ dropped: 2 });
    expect(JSON.parse((await runCli(['cache', 'stats', '--cache-dir', target, '--json'])).stdout)).toMatchObject({ entries: 1 });
  });

  it('a file that is not an export is exit 2 with ERR_CACHE_FILE naming file and line; prune with nothing to drop is exit 2', async () => {
    const tmp = await tempDir('cache-command-bad');
    cleanups.push(tmp.remove);
    const file = join(tmp.dir, 'bad.jsonl.gz');
    writeFileSync(file, gzipSync('{"format":"rerank-batch-score-cache","v":1,"identities":{}}\n["00",1,2,3,null]\n'));
    const result = await runCli(['cache', 'import', file, '--cache-dir', join(tmp.dir, 'cache')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`rerank-batch: error ERR_CACHE_FILE: ${file}:2:`);
    const prune = await runCli(['cache', 'prune', '--cache-dir', join(tmp.dir, 'cache')]);
    expect(prune.code).toBe(2);
    expect(prune.stderr).toContain('--before DATE, --older-than DURATION, or --model NAME');
  });
});
