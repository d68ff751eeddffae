/**
 * Cache: the content-addressed score cache (src/cache) against the local rerank server (a child process) and a
 * private redis-server per scenario. Every `run` is a CLI process of its own (node startup included, no JIT
 * or page state carried from one run to the next), with its own --run-id, --prefix and --out (a new run id, so
 * Redis does not short-cut a rerun); each scenario has a fresh --cache-dir in the benchmark's temp dir.
 * - cold vs warm: 200,000 synthetic pairs (20,000 with --quick), in-process workers at C=8 as the overhead
 *   benchmark has them, run with an empty cache, then rerun unchanged. Target: warm wall time <= 0.3x cold.
 *   Once against the local server answering at once (the cold run is then mostly reading and writing, which
 *   the warm run does as well), once with SLOW_API_MS a request, as a hosted API answers.
 *   The warm rerun should send nothing and rank exactly as the cold run did (ranked.trec byte-identical).
 *   A --no-cache run of the same pairs before them gives what storing costs a cold run (informative).
 * - 5% changed: the same pairs with the document of every 20th pair changed, rerun on the warm cache.
 *   Target: the pairs sent (manifest cache.misses) are the changed ones, 5%; the requests (counts.api_requests)
 *   at most one per touched query (5 changed of 100 candidates fit one request).
 * - lookups: pairs per second of ScoreKeys.key + ScoreCache.get + usable (what the planner does per pair)
 *   over the run's pairs, in this process with the texts in memory; the planner's own share of a run is not
 *   exposed, so the warm run's end-to-end rate is given beside it. Informative.
 * - disk: data.mdb bytes (allocated on disk, and the file's size) per cached pair. Informative.
 * - memory: peak RSS of the run process at 2,000,000 pairs (--large-pairs N; 200,000 with --quick) with a
 *   warm cache, measured as bench/memory.ts does (the run with --no-workers, 2 worker processes, VmHWM sampled;
 *   its anonymous and mapped-file parts beside it); a cold run of the same pairs warms the cache first
 *   (minutes at 2,000,000). Target: < 300 MB.
 */
import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { ScoreCache, usable, type CachePolicy } from '../src/cache/score-cache.js';
import { ScoreKeys, scoreIdentitySchema } from '../src/cache/score-key.js';
import { startRedisServer } from '../src/redis/redis-server-process.js';
import { mb, pct, scaled, seconds, startCli, startServerChild, stopChild, watchRss, withTempDir, type BenchContext, type BenchResult, type BenchRow, type CliProcess } from './lib.js';
import { BENCH_ENV } from './pipeline.js';
import { writeCorpus } from './synthetic-corpus.js';

const PER_QUERY = 100;
/** The 200,000-pair runs: in-process workers, as `run` has them by default and the overhead benchmark runs them. */
const CONCURRENCY = 8;
/** The large runs: as bench/memory.ts, so its run RSS compares. */
const LARGE_WORKERS = 2;
const LARGE_WORKER_CONCURRENCY = 4;
/** Every CHANGE_EVERY-th pair gets a changed document: 5%. */
const CHANGE_EVERY = 20;
const LOOKUP_PASSES = 3;
/** The latency of the second cold/warm pair: an API that takes this long a request (hosted ones take 50-500 ms). */
const SLOW_API_MS = 100;

/** The CLI's environment: no API key warning, and no cache settings of the user's (each run names its --cache-dir). */
const CACHE_ENV: NodeJS.ProcessEnv = { ...BENCH_ENV };
delete CACHE_ENV.RERANK_BATCH_CACHE;
delete CACHE_ENV.RERANK_BATCH_CACHE_DIR;

/** What the benchmark reads from a run's manifest.json. */
interface ManifestFigures {
  outcome: string;
  pairs: number;
  scoredPairs: number;
  failedPairs: number;
  apiRequests: number;
  cacheHits: number;
  cacheMisses: number | null;
  requestsSaved: number | null;
  plannedRequests: number | null;
}

interface RunFigures {
  name: string;
  wallMs: number;
  /** VmHWM; and the largest RssAnon and RssFile sampled (see watchRss). */
  peakRss: number;
  peakAnon: number;
  peakFile: number;
  manifest: ManifestFigures;
  out: string;
}

interface Scenario {
  dir: string;
  redisUrl: string;
  serverUrl: string;
  cacheDir: string;
}

async function readManifest(out: string): Promise<ManifestFigures> {
  const m = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as {
    outcome: string;
    counts: { pairs: number | null; scored_pairs: number; failed_pairs: number; api_requests: number; cache_hits: number };
    planned: { requests: number | null };
    cache: { hits: number; misses: number | null; requests_saved: number | null } | null;
  };
  return {
    outcome: m.outcome,
    pairs: m.counts.pairs ?? Number.NaN,
    scoredPairs: m.counts.scored_pairs,
    failedPairs: m.counts.failed_pairs,
    apiRequests: m.counts.api_requests,
    cacheHits: m.counts.cache_hits,
    cacheMisses: m.cache?.misses ?? null,
    requestsSaved: m.cache?.requests_saved ?? null,
    plannedRequests: m.planned.requests,
  };
}

/**
 * One `run` CLI process with the scenario's cache (or `--no-cache`), its peak RSS sampled (VmHWM) until it
 * exits. With `externalWorkers`, it runs with --no-workers beside that many `worker` processes (started
 * first), as in bench/memory.ts; otherwise with its in-process workers at CONCURRENCY.
 */
async function cliRun(s: Scenario, input: string, name: string, options: { externalWorkers?: number; noCache?: boolean } = {}): Promise<RunFigures> {
  const externalWorkers = options.externalWorkers ?? 0;
  const prefix = `{bench-cache-${name}}`;
  const runId = `bench-cache-${name}`;
  const out = join(s.dir, `out-${name}`);
  const workers: CliProcess[] = [];
  let run: CliProcess | undefined;
  try {
    for (let i = 0; i < externalWorkers; i++) {
      workers.push(startCli(['worker', '--redis', s.redisUrl, '--prefix', prefix, '--concurrency', String(LARGE_WORKER_CONCURRENCY), '--log-level', 'info'], CACHE_ENV));
    }
    await Promise.all(workers.map((worker) => worker.waitForOutput('worker started')));
    const args = ['run', '--input', input, '--out', out, '--redis', s.redisUrl, '--prefix', prefix, '--api-url', s.serverUrl, '--run-id', runId, '--log-level', 'warn'];
    args.push(...(options.noCache === true ? ['--no-cache'] : ['--cache-dir', s.cacheDir]));
    args.push(...(externalWorkers > 0 ? ['--no-workers', '--concurrency', String(LARGE_WORKER_CONCURRENCY)] : ['--concurrency', String(CONCURRENCY)]));
    const started = performance.now();
    run = startCli(args, CACHE_ENV);
    const watcher = watchRss(run.child.pid ?? -1);
    // VmHWM of an exited process is gone: sample until it exits (see bench/memory.ts).
    const exitCode = await run.exited;
    const wallMs = performance.now() - started;
    const peak = await watcher.stop();
    if (exitCode !== 0) throw new Error(`run ${name} exited with ${String(exitCode)}: ${run.output().slice(-2000)}`);
    return { name, wallMs, peakRss: peak.peakBytes, peakAnon: peak.peakAnonBytes, peakFile: peak.peakFileBytes, manifest: await readManifest(out), out };
  } finally {
    if (run !== undefined) await stopChild(run.child);
    await Promise.all(workers.map((worker) => stopChild(worker.child)));
  }
}

/** A run's figures without its output directory (a temporary path of this machine, kept out of the results). */
function withoutPath({ out: _out, ...figures }: RunFigures): Omit<RunFigures, 'out'> {
  return figures;
}

/** A private Redis, the local rerank server and a fresh cache directory for `body`; all stopped after it. */
async function withScenario<T>(dir: string, name: string, body: (s: Scenario) => Promise<T>, latencyMs = 0): Promise<T> {
  const redis = await startRedisServer();
  const server = await startServerChild({ latencyMs });
  try {
    return await body({ dir, redisUrl: redis.url, serverUrl: server.url, cacheDir: join(dir, `cache-${name}`) });
  } finally {
    await server.close();
    await redis.stop();
  }
}

/** The synthetic CSV's rows (query_id,query,doc_id,document,score: letters and spaces only, no quoting), one at a time. */
async function* csvRows(file: string): AsyncGenerator<string[]> {
  const lines = createInterface({ input: createReadStream(file, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let header = true;
  for await (const line of lines) {
    if (header) {
      header = false;
      continue;
    }
    if (line !== '') yield line.split(',');
  }
}

interface ChangedCorpus {
  changed: number;
  /** Queries with at least one changed pair, and the most changed pairs one query has. */
  touchedQueries: number;
  mostPerQuery: number;
}

/** A copy of `input` with the document of every CHANGE_EVERY-th pair changed (a word appended). */
async function writeChanged(input: string, out: string): Promise<ChangedCorpus> {
  const stream = createWriteStream(out, { highWaterMark: 1 << 20 });
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  const perQuery = new Map<string, number>();
  let chunk = 'query_id,query,doc_id,document,score\n';
  let index = 0;
  for await (const fields of csvRows(input)) {
    index++;
    if (index % CHANGE_EVERY === 0) {
      fields[3] = `${fields[3] ?? ''} revised`;
      const queryId = fields[0] ?? '';
      perQuery.set(queryId, (perQuery.get(queryId) ?? 0) + 1);
    }
    chunk += `${fields.join(',')}\n`;
    if (chunk.length >= 1 << 16) {
      if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), failed]);
      chunk = '';
    }
  }
  stream.end(chunk);
  await Promise.race([once(stream, 'close'), failed]);
  let changed = 0;
  for (const count of perQuery.values()) changed += count;
  return { changed, touchedQueries: perQuery.size, mostPerQuery: Math.max(0, ...perQuery.values()) };
}

/** The run's score keys, rebuilt from the one identity the cache recorded (checked: same text, same tag). */
function runScoreKeys(cache: ScoreCache): ScoreKeys {
  const identities = [...cache.identities()];
  const [only] = identities;
  if (only === undefined || identities.length !== 1) throw new Error(`expected one identity in the cache, found ${identities.length}`);
  const [tag, text] = only;
  const { v: _version, ...fields } = JSON.parse(text) as Record<string, unknown>;
  const keys = new ScoreKeys(scoreIdentitySchema.parse(fields));
  if (keys.text !== text || keys.tag !== tag) throw new Error(`the cache's identity does not rebuild to the same text and tag: ${text}`);
  return keys;
}

interface LookupFigures {
  pairs: number;
  hits: number;
  /** Median of LOOKUP_PASSES passes, ms: keys alone (sha256), get + usable alone, both. */
  keyMs: number;
  getMs: number;
  totalMs: number;
  passesMs: number[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Time what the planner does per pair with a cache: the pair's key (ScoreKeys.key: sha256 of identity and
 * texts), the read (ScoreCache.get: LMDB, memory-mapped) and the policy check (usable), over every pair of
 * `input`, texts already in memory (reading and parsing the CSV not timed).
 */
async function timeLookups(cacheDir: string, input: string): Promise<LookupFigures> {
  const queries: string[] = [];
  const docs: string[] = [];
  for await (const fields of csvRows(input)) {
    queries.push(fields[1] ?? '');
    docs.push(fields[3] ?? '');
  }
  const cache = ScoreCache.open(cacheDir);
  try {
    const keys = runScoreKeys(cache);
    const policy: CachePolicy = { asOf: Date.now(), refresh: false };
    const n = queries.length;
    const keyPasses: number[] = [];
    const getPasses: number[] = [];
    const totalPasses: number[] = [];
    let hits = 0;
    for (let pass = 0; pass < LOOKUP_PASSES; pass++) {
      // Key and read together, as the planner does them.
      let t0 = performance.now();
      hits = 0;
      for (let i = 0; i < n; i++) {
        const hit = cache.get(keys.key(queries[i] as string, docs[i] as string));
        if (hit !== undefined && usable(hit, policy)) hits++;
      }
      totalPasses.push(performance.now() - t0);
      // Then apart: the keys, and the reads of keys already made.
      t0 = performance.now();
      const made: Buffer[] = new Array<Buffer>(n);
      for (let i = 0; i < n; i++) made[i] = keys.key(queries[i] as string, docs[i] as string);
      keyPasses.push(performance.now() - t0);
      t0 = performance.now();
      let found = 0;
      for (let i = 0; i < n; i++) {
        const hit = cache.get(made[i] as Buffer);
        if (hit !== undefined && usable(hit, policy)) found++;
      }
      getPasses.push(performance.now() - t0);
      if (found !== hits) throw new Error(`lookups disagree: ${found} vs ${hits} hits`);
    }
    return { pairs: n, hits, keyMs: median(keyPasses), getMs: median(getPasses), totalMs: median(totalPasses), passesMs: totalPasses };
  } finally {
    await cache.close();
  }
}

interface DiskFigures {
  entries: number;
  /** data.mdb: its size, and the bytes allocated for it on disk (st_blocks x 512). */
  fileBytes: number;
  allocatedBytes: number;
}

async function cacheDisk(cacheDir: string): Promise<DiskFigures> {
  const cache = ScoreCache.open(cacheDir);
  try {
    const stats = cache.stats();
    const file = statSync(join(cacheDir, 'data.mdb'));
    return { entries: stats.entries, fileBytes: stats.bytes, allocatedBytes: file.blocks * 512 };
  } finally {
    await cache.close();
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const round2 = (n: number): number => Math.round(n * 100) / 100;
const rate = (count: number, ms: number, unit = 'pairs'): string => `${fmt(Math.round(count / (ms / 1000)))} ${unit}/s`;

export async function cache(ctx: BenchContext): Promise<BenchResult> {
  const queries = scaled(2000, ctx.scale);
  const largePairs = ctx.largePairs;
  return withTempDir('cache', async (dir) => {
    // Cold, warm, 5% changed: the overhead benchmark's corpus shape (30-120 words a document).
    const input = join(dir, 'pairs.csv');
    const corpus = await writeCorpus({ out: input, queries, perQuery: PER_QUERY, seed: 61 + ctx.seed });
    const changedInput = join(dir, 'pairs-changed.csv');
    const changes = await writeChanged(input, changedInput);

    const small = await withScenario(dir, 'small', async (s) => {
      // The same pairs without the cache first: what storing the scores costs a cold run.
      const noCache = await cliRun(s, input, 'no-cache', { noCache: true });
      const cold = await cliRun(s, input, 'cold');
      const disk = await cacheDisk(s.cacheDir);
      const warm = await cliRun(s, input, 'warm');
      const [coldTrec, warmTrec] = await Promise.all([sha256(join(cold.out, 'ranked.trec')), sha256(join(warm.out, 'ranked.trec'))]);
      const lookups = await timeLookups(s.cacheDir, input);
      const changed = await cliRun(s, changedInput, 'changed');
      return { noCache, cold, warm, changed, disk, lookups, identical: coldTrec === warmTrec, coldTrec, warmTrec };
    });

    // The same against an API that takes SLOW_API_MS a request, as hosted rerankers do (tens to hundreds of ms).
    const slow = await withScenario(
      dir,
      'slow',
      async (s) => {
        const slowCold = await cliRun(s, input, 'slow-cold');
        const slowWarm = await cliRun(s, input, 'slow-warm');
        return { cold: slowCold, warm: slowWarm };
      },
      SLOW_API_MS,
    );

    // The large corpus: bench/memory.ts's shape (15-60 words), so its run RSS compares with memory's.
    const largeInput = join(dir, `pairs-${largePairs}.csv`);
    const genStart = performance.now();
    const largeCorpus = await writeCorpus({ out: largeInput, queries: Math.max(1, Math.round(largePairs / PER_QUERY)), perQuery: PER_QUERY, seed: 62 + ctx.seed, minWords: 15, maxWords: 60 });
    const largeGenMs = performance.now() - genStart;
    const large = await withScenario(dir, 'large', async (s) => {
      const cold = await cliRun(s, largeInput, 'large-cold', { externalWorkers: LARGE_WORKERS });
      const warm = await cliRun(s, largeInput, 'large-warm', { externalWorkers: LARGE_WORKERS });
      const disk = await cacheDisk(s.cacheDir);
      return { cold, warm, disk };
    });

    const { noCache, cold, warm, changed, disk, lookups } = small;
    const pairs = cold.manifest.pairs;
    const warmRatio = warm.wallMs / cold.wallMs;
    const storeRatio = cold.wallMs / noCache.wallMs;
    const warmClean = warm.manifest.cacheHits === pairs && warm.manifest.apiRequests === 0 && small.identical;
    const sent = changed.manifest.cacheMisses ?? Number.NaN;
    const sentShare = sent / changed.manifest.pairs;
    const requestsPerTouched = changed.manifest.apiRequests / changes.touchedQueries;
    const lookupRate = lookups.pairs / (lookups.totalMs / 1000);
    const perPair = disk.allocatedBytes / disk.entries;
    const largePerPair = large.disk.allocatedBytes / large.disk.entries;
    const largeWarmClean = large.warm.manifest.cacheHits === large.warm.manifest.pairs && large.warm.manifest.apiRequests === 0;
    const rssLimit = 300 * 1024 * 1024;

    const rows: BenchRow[] = [
      {
        benchmark: 'cache: warm rerun vs cold',
        figure: `warm ${seconds(warm.wallMs)} vs cold ${seconds(cold.wallMs)} (${fmt(pairs)} pairs, C=${CONCURRENCY}, each a run process)`,
        target: '<= 0.3x',
        ratio: round2(warmRatio),
        holds: warmRatio <= 0.3,
      },
      {
        benchmark: `cache: warm rerun vs cold, API answering in ${SLOW_API_MS} ms`,
        figure: `warm ${seconds(slow.warm.wallMs)} vs cold ${seconds(slow.cold.wallMs)} (same pairs and concurrency; ${fmt(slow.warm.manifest.apiRequests)} requests warm, ${fmt(slow.cold.manifest.apiRequests)} cold)`,
        target: '<= 0.3x',
        ratio: round2(slow.warm.wallMs / slow.cold.wallMs),
        holds: slow.warm.wallMs / slow.cold.wallMs <= 0.3 && slow.warm.manifest.apiRequests === 0,
      },
      {
        benchmark: 'cache: cold run, cost of storing',
        figure: `cold ${seconds(cold.wallMs)} vs --no-cache ${seconds(noCache.wallMs)} (same pairs; warm rerun ${(warm.wallMs / noCache.wallMs).toFixed(2)}x --no-cache)`,
        target: '— (informative)',
        ratio: round2(storeRatio),
        holds: null,
      },
      {
        benchmark: 'cache: warm rerun sends nothing',
        figure: `${fmt(warm.manifest.cacheHits)} of ${fmt(pairs)} pairs from the cache, ${fmt(warm.manifest.apiRequests)} API requests, ranked.trec ${small.identical ? 'identical' : 'DIFFERENT'}`,
        target: 'all cached, 0 requests, same ranking',
        ratio: null,
        holds: warmClean,
      },
      {
        benchmark: 'cache: 5% changed, pairs sent',
        figure: `${fmt(sent)} of ${fmt(changed.manifest.pairs)} pairs (${pct(sentShare)}; ${fmt(changes.changed)} changed, every ${CHANGE_EVERY}th; hits ${fmt(changed.manifest.cacheHits)})`,
        target: '~5% (the changed pairs)',
        ratio: Math.round(sentShare * 1000) / 1000,
        holds: sent === changes.changed,
      },
      {
        benchmark: 'cache: 5% changed, requests',
        figure: `${fmt(changed.manifest.apiRequests)} requests for ${fmt(changes.touchedQueries)} touched queries (<= ${changes.mostPerQuery} changed pairs each; cold run ${fmt(cold.manifest.apiRequests)} requests)`,
        target: '<= 1 per touched query',
        ratio: round2(requestsPerTouched),
        holds: requestsPerTouched <= 1,
      },
      {
        benchmark: 'cache: lookups',
        figure: `${rate(lookups.pairs, lookups.totalMs)} (key + get + usable; get + usable alone ${rate(lookups.pairs, lookups.getMs)}; ${fmt(lookups.hits)} hits of ${fmt(lookups.pairs)} keys, median of ${LOOKUP_PASSES} passes)`,
        target: '— (informative)',
        ratio: null,
        holds: null,
      },
      {
        benchmark: 'cache: disk per pair',
        figure: `${perPair.toFixed(0)} B/pair (data.mdb ${mb(disk.allocatedBytes)} on disk, ${mb(disk.fileBytes)} file, ${fmt(disk.entries)} entries)`,
        target: '— (informative)',
        ratio: null,
        holds: null,
      },
      {
        benchmark: 'cache: run peak RSS, warm cache',
        figure: `${mb(large.warm.peakRss)} at ${fmt(large.warm.manifest.pairs)} pairs warm (sampled peaks: anon ${mb(large.warm.peakAnon)}, mapped files ${mb(large.warm.peakFile)}; cold run ${mb(large.cold.peakRss)})`,
        target: '< 300 MB',
        ratio: round2(large.warm.peakRss / rssLimit),
        holds: large.warm.peakRss < rssLimit,
      },
    ];
    const runLine = (r: RunFigures): string =>
      `${r.name} ${seconds(r.wallMs)} (${rate(r.manifest.pairs, r.wallMs)}), RSS ${mb(r.peakRss)} (anon ${mb(r.peakAnon)}, files ${mb(r.peakFile)}), requests ${fmt(r.manifest.apiRequests)}, hits ${fmt(r.manifest.cacheHits)}, misses ${r.manifest.cacheMisses === null ? '—' : fmt(r.manifest.cacheMisses)}, requests saved ${r.manifest.requestsSaved === null ? '—' : fmt(r.manifest.requestsSaved)}, outcome ${r.manifest.outcome}, failed pairs ${r.manifest.failedPairs}`;
    return {
      name: 'cache',
      rows,
      notes: [
        `cache: ${fmt(corpus.pairs)} pairs (${mb(corpus.bytes)} CSV), each run a CLI \`run\` process with in-process workers at C=${CONCURRENCY}, its own run id, prefix and --out, one --cache-dir; ` +
          [noCache, cold, warm, changed].map(runLine).join('; ') +
          `. Warm ranked.trec ${small.identical ? 'identical to' : `DIFFERS from (${small.warmTrec.slice(0, 12)}… vs ${small.coldTrec.slice(0, 12)}…)`} the cold one.`,
        `cache lookups: in the benchmark process, over the ${fmt(lookups.pairs)} pairs' texts in memory: ScoreKeys.key ${rate(lookups.pairs, lookups.keyMs)}, ScoreCache.get + usable on made keys ${rate(lookups.pairs, lookups.getMs)}, together ${rate(lookups.pairs, lookups.totalMs)} (${fmt(lookups.hits)} hits; passes ${lookups.passesMs.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s); ` +
          `the planner's own time is not exposed: end to end the warm run went at ${rate(pairs, warm.wallMs)} (reading, planning, Redis, collecting, outputs).`,
        `cache disk: data.mdb ${mb(disk.allocatedBytes)} allocated (${mb(disk.fileBytes)} file size) for ${fmt(disk.entries)} entries = ${perPair.toFixed(0)} B/pair; at ${fmt(large.disk.entries)} entries ${mb(large.disk.allocatedBytes)} allocated (${mb(large.disk.fileBytes)} file) = ${largePerPair.toFixed(0)} B/pair.`,
        `cache memory: ${fmt(largeCorpus.pairs)} pairs (${mb(largeCorpus.bytes)} CSV, generated in ${seconds(largeGenMs)}), run --no-workers with ${LARGE_WORKERS} worker processes x C=${LARGE_WORKER_CONCURRENCY} as in memory; ` +
          [large.cold, large.warm].map(runLine).join('; ') +
          `; warm/cold ${(large.warm.wallMs / large.cold.wallMs).toFixed(2)}x${largeWarmClean ? '' : ' (the warm run did NOT take every pair from the cache)'}. ` +
          'RSS is VmHWM, as in memory; the mapped-file part includes the pages of data.mdb the run touched (LMDB reads through a memory map: clean pages the kernel may drop, counted in RSS all the same).',
      ],
      details: {
        pairs,
        corpusBytes: corpus.bytes,
        concurrency: CONCURRENCY,
        changes,
        runs: Object.fromEntries([noCache, cold, warm, changed].map((r) => [r.name, withoutPath(r)])),
        storeRatio,
        warmRatio,
        identical: small.identical,
        sha256: { cold: small.coldTrec, warm: small.warmTrec },
        sentShare,
        requestsPerTouched,
        lookups: { ...lookups, perSecond: lookupRate },
        disk: { ...disk, perPair },
        large: { pairs: largeCorpus.pairs, corpusBytes: largeCorpus.bytes, generateMs: largeGenMs, cold: withoutPath(large.cold), warm: withoutPath(large.warm), disk: { ...large.disk, perPair: largePerPair }, warmClean: largeWarmClean },
      },
    };
  });
}
