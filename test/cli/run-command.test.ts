import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const cleanups = cleanupAfterAll();

describe('rerank-batch run (the CLI a user runs)', () => {
  it('runs the README main command on the bundled example and writes every output', async () => {
    const out = await tempDir('cli-example');
    const prefix = uniquePrefix('cli');
    cleanups.push(out.remove, () => deletePrefix(redisUrl(), prefix));
    const env = { ...process.env, REDIS_URL: redisUrl(), RERANK_API_URL: '', RERANK_API_KEY: '' };
    const result = await runCli(['run', '--input', 'examples/cranfield/pairs.csv.gz', '--qrels', 'examples/cranfield/qrels.trec', '--out', out.dir, '--prefix', prefix], env);
    expect(result.stderr).toContain('built-in local server');
    expect(result.code).toBe(0);
    const ranked = (await readFile(join(out.dir, 'ranked.trec'), 'utf8')).trim().split('\n');
    expect(ranked).toHaveLength(4500);
    const jsonl = (await readFile(join(out.dir, 'ranked.jsonl'), 'utf8')).trim().split('\n');
    expect(jsonl).toHaveLength(225);
    const first = JSON.parse(jsonl[0] as string) as { query_id: string; results: { rank: number; original_rank: number }[] };
    expect(first.query_id).toBe('1');
    expect(first.results.map((r) => r.rank)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const metrics = JSON.parse(await readFile(join(out.dir, 'metrics.json'), 'utf8')) as Record<string, Record<string, number>>;
    expect(Object.keys(metrics.reranked ?? {})).toEqual(expect.arrayContaining(['ndcg', 'ndcg_cut_10', 'map', 'recip_rank', 'P_10', 'recall_100']));
    const manifest = JSON.parse(await readFile(join(out.dir, 'manifest.json'), 'utf8')) as { counts: Record<string, number> };
    expect(manifest.counts.pairs).toBe(4500);
    // Logs are JSON lines on stderr when it is not a terminal.
    const logLines = result.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event?: string; outcome?: string });
    expect(logLines.some((l) => l.event === 'run-finished' && l.outcome === 'complete')).toBe(true);
  });

  it('exits 2 naming file, line and field on bad input', async () => {
    const dir = await tempDir('cli-bad');
    cleanups.push(dir.remove);
    const file = join(dir.dir, 'bad.csv');
    await writeFile(file, 'query_id,query,doc_id,document,score\n1,q,d1,text one,1.5\n1,q,d2,text two,abc\n');
    const result = await runCli(['run', '--input', file, '--out', join(dir.dir, 'out'), '--prefix', uniquePrefix('bad')], { ...process.env, REDIS_URL: redisUrl() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:3`);
    expect(result.stderr).toContain('score');
  });

  it('exits 2 on bad usage', async () => {
    const result = await runCli(['run', '--input', 'x.csv']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--out');
  });
});
