import type { Command } from 'commander';
import { exportCache, importCache } from '../cache/cache-file.js';
import { modelOf, ScoreCache, type CacheStats } from '../cache/score-cache.js';
import { UsageError } from '../errors/usage-error.js';
import { cacheDirOf } from '../options/run-options.js';
import { defineCommand } from './command-options.js';
import { ExitCode } from './exit-codes.js';
import { commandContext } from './run-command.js';

/** `cache stats` as text: one line per fact, then the scores per identity. */
export function formatCacheStats(stats: CacheStats): string {
  const day = (ms: number | undefined): string => (ms === undefined ? '-' : new Date(ms).toISOString());
  const lines = [
    `cache       ${stats.dir}`,
    `scores      ${stats.entries.toLocaleString('en-US')}`,
    `on disk     ${(stats.bytes / 1e6).toFixed(1)} MB${stats.entries === 0 ? '' : ` (${Math.round(stats.bytes / stats.entries)} bytes a score)`}`,
    `obtained    ${day(stats.oldest)} .. ${day(stats.newest)}`,
    `hit rate    ${stats.lookups === 0 ? '-' : `${((100 * stats.hits) / stats.lookups).toFixed(1)}% of ${stats.lookups.toLocaleString('en-US')} pairs looked up`}`,
  ];
  for (const { identity, entries } of stats.identities) lines.push(`  ${entries.toLocaleString('en-US').padStart(12)}  model ${JSON.stringify(modelOf(identity))}  ${identity}`);
  return `${lines.join('\n')}\n`;
}

/** When `cache prune` drops scores obtained before: --before's date, or --older-than ago (the later of both). */
export function pruneCutoff(options: { before?: string | undefined; olderThan?: number | undefined }, now = Date.now()): number | undefined {
  const cutoffs: number[] = [];
  if (options.before !== undefined) {
    const at = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(options.before) ? `${options.before}T00:00:00Z` : options.before);
    if (Number.isNaN(at)) throw new UsageError(`--before ${options.before}: not a date`);
    cutoffs.push(at);
  }
  if (options.olderThan !== undefined) cutoffs.push(now - options.olderThan);
  return cutoffs.length === 0 ? undefined : Math.max(...cutoffs);
}

/** Open the cache a cache command names, run `work` on it, close it. */
async function withCache<T>(options: { cacheDir?: string | undefined }, work: (cache: ScoreCache) => Promise<T>): Promise<T> {
  const cache = ScoreCache.open(cacheDirOf(options, process.env));
  try {
    return await work(cache);
  } finally {
    await cache.close();
  }
}

/** `cache stats|prune|export|import`: the score cache of this machine. */
export function registerCacheCommands(program: Command, setExitCode: (code: number) => void): void {
  const cache = program.command('cache').description('the score cache: stats, prune, export, import');

  defineCommand(cache, 'cache-stats', async ({ options }) => {
    const stats = await withCache(options, async (store) => store.stats());
    process.stdout.write(options.json ? `${JSON.stringify(stats, null, 2)}\n` : formatCacheStats(stats));
    setExitCode(ExitCode.Ok);
  }, process.env, 'stats');

  defineCommand(cache, 'cache-prune', async ({ options }) => {
    const before = pruneCutoff(options);
    if (before === undefined && options.pruneModel === undefined) throw new UsageError('cache prune: say what to drop: --before DATE, --older-than DURATION, or --model NAME');
    const dropped = await withCache(options, (store) => store.prune({ before, model: options.pruneModel }));
    process.stdout.write(options.json ? `${JSON.stringify({ dropped })}\n` : `dropped ${dropped.toLocaleString('en-US')} scores\n`);
    setExitCode(ExitCode.Ok);
  }, process.env, 'prune');

  defineCommand(cache, 'cache-export', async ({ options }, command) => {
    const [file = ''] = command.args;
    const count = await withCache(options, (store) => exportCache(store, file));
    commandContext(options).logger.info({ file, scores: count }, 'score cache exported');
    setExitCode(ExitCode.Ok);
  }, process.env, 'export').argument('<file>', 'the file to write (gzip\'d JSON lines)');

  defineCommand(cache, 'cache-import', async ({ options }, command) => {
    const [file = ''] = command.args;
    const report = await withCache(options, (store) => importCache(store, file));
    process.stdout.write(options.json ? `${JSON.stringify(report)}\n` : `read ${report.read} scores: ${report.added} added, ${report.updated} newer ones replaced, ${report.kept} kept as they were\n`);
    setExitCode(ExitCode.Ok);
  }, process.env, 'import').argument('<file>', 'a file written by `cache export`');
}
