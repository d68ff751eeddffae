import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openConnection, redactRedisUrl } from '../../src/redis/connect.js';
import { run as runPipeline } from '../../src/orchestrate/run-pipeline.js';
import { startRerankServer, type RunningRerankServer } from '../../src/serve/rerank-server.js';
import { startCli, stopChild, workerCompletedCount } from '../helpers/cli.js';
import { captureLogs } from '../helpers/log-capture.js';
import { repoRoot, tempDir } from '../helpers/paths.js';
import { startRedisCluster, type RedisClusterProcess } from '../helpers/redis-cluster.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';

const input = join(repoRoot, 'examples', 'cranfield', 'pairs.csv.gz');
const qrels = join(repoRoot, 'examples', 'cranfield', 'qrels.trec');
/** Pairs in the Cranfield example: 225 queries x 20 candidates. */
const CRANFIELD_PAIRS = 4500;

function direct(port: number): Redis {
  const client = new Redis({ host: '127.0.0.1', port, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  return client;
}

async function countKeys(client: Redis, prefix: string): Promise<number> {
  let count = 0;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

/** Which master (by port) serves a slot, from CLUSTER SLOTS as one node sees it. */
async function ownerOfSlot(client: Redis, slot: number): Promise<number | undefined> {
  const ranges = (await client.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
  const range = ranges.find(([first, last]) => slot >= first && slot <= last);
  return range?.[2][1];
}

/** The Redis keys of a run live in one slot on one master, and nowhere else. */
async function expectPrefixOnOneNode(cluster: RedisClusterProcess, prefix: string): Promise<void> {
  const clients = cluster.ports.map((port) => direct(port));
  try {
    for (const client of clients) expect(String(await client.call('CLUSTER', 'INFO'))).toContain('cluster_state:ok');
    const [first] = clients;
    if (first === undefined) throw new Error('no cluster node');
    // The hash tag decides: `{x}:anything` hashes like `{x}`.
    const slot = Number(await first.call('CLUSTER', 'KEYSLOT', prefix));
    expect(Number(await first.call('CLUSTER', 'KEYSLOT', `${prefix}:rb:runs`))).toBe(slot);
    const owner = await ownerOfSlot(first, slot);
    expect(cluster.ports).toContain(owner);
    const counts = await Promise.all(clients.map((client) => countKeys(client, prefix)));
    const byPort = Object.fromEntries(cluster.ports.map((port, i) => [port, counts[i] ?? 0]));
    for (const port of cluster.ports) {
      if (port === owner) expect(byPort[port], JSON.stringify(byPort)).toBeGreaterThan(0);
      else expect(byPort[port], JSON.stringify(byPort)).toBe(0);
    }
    // The run's own state (RunStore) is among them, on the owner.
    const ownerClient = clients[cluster.ports.indexOf(owner ?? -1)];
    expect(ownerClient).toBeDefined();
    if (ownerClient !== undefined) {
      const [, runKeys] = await ownerClient.scan('0', 'MATCH', `${prefix}:rb:run:*`, 'COUNT', 10_000);
      expect(runKeys.length).toBeGreaterThan(0);
    }
  } finally {
    for (const client of clients) client.disconnect();
  }
}

async function expectCranfieldRanking(path: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  const lines = text.trim().split('\n');
  expect(lines).toHaveLength(CRANFIELD_PAIRS);
  const pairs = new Set(lines.map((line) => line.split(' ').filter((_, i) => i === 0 || i === 2).join(' ')));
  expect(pairs.size).toBe(CRANFIELD_PAIRS);
  return text;
}

describe('Redis Cluster URLs', () => {
  it('parse seed nodes and credentials, and show no password', () => {
    const url = 'redis+cluster://rb:s%40cret@127.0.0.1:7000,[::1]:7001,localhost';
    expect(redactRedisUrl(url)).toBe('redis+cluster://rb:***@127.0.0.1:7000,[::1]:7001,localhost:6379');
    expect(redactRedisUrl('rediss+cluster://:pw@h1:1,h2:2')).toBe('rediss+cluster://:***@h1:1,h2:2');
    expect(redactRedisUrl('redis://h1:1,h2:2')).toBe('redis+cluster://h1:1,h2:2');
    expect(redactRedisUrl('redis+cluster://h1:notaport')).toBe('[unparseable redis url]');
    expect(redactRedisUrl('redis://:p,w@h1:1/0')).toBe('redis://:***@h1:1/0');
    const connection = openConnection(url);
    connection.on('error', () => undefined);
    try {
      expect(connection).toBeInstanceOf(Cluster);
      if (!(connection instanceof Cluster)) return;
      // BullMQ reads maxRetriesPerRequest from redisOptions on a cluster: it must be null there.
      expect(connection.options.redisOptions).toMatchObject({ username: 'rb', password: 's@cret', maxRetriesPerRequest: null });
    } finally {
      connection.disconnect();
    }
  });
});

describe('on a 3-master Redis Cluster', () => {
  let cluster: RedisClusterProcess;
  let server: RunningRerankServer;
  let out: { dir: string; remove: () => Promise<void> };
  const sharedPrefixes: string[] = [];
  /** ranked.trec of the Cranfield example on the single shared Redis, the reference for cluster runs. */
  let single: string;

  beforeAll(async () => {
    [cluster, server, out] = await Promise.all([startRedisCluster(), startRerankServer(), tempDir('cluster')]);
    const prefix = uniquePrefix('single');
    sharedPrefixes.push(prefix);
    const { logger } = captureLogs('info');
    const report = await runPipeline({ input, qrels, out: join(out.dir, 'single'), redis: redisUrl(), prefix, apiUrl: server.url }, { logger });
    expect(report.outcome).toBe('complete');
    single = await expectCranfieldRanking(join(out.dir, 'single', 'ranked.trec'));
  }, 90_000);

  afterAll(async () => {
    await server?.close();
    await cluster?.stop();
    for (const prefix of sharedPrefixes) await deletePrefix(redisUrl(), prefix);
    await out?.remove();
  });

  it('runs the pipeline end to end, keeps every key of the run in one slot, and ranks as on a single Redis', async () => {
    const prefix = uniquePrefix('cluster');
    const { logger, lines } = captureLogs('info');
    const report = await runPipeline({ input, qrels, out: join(out.dir, 'cluster'), redis: cluster.url, prefix, apiUrl: server.url, concurrency: 4 }, { logger });
    expect(report.outcome).toBe('complete');
    expect(report.producer.pairs).toBe(CRANFIELD_PAIRS);
    expect(report.summary.scoredPairs).toBe(CRANFIELD_PAIRS);
    expect(report.summary.failedPairs).toBe(0);
    expect(await expectCranfieldRanking(join(out.dir, 'cluster', 'ranked.trec'))).toBe(single);
    await expectPrefixOnOneNode(cluster, prefix);

    // The manifest and logs name the cluster (not an unparseable URL).
    const manifest = JSON.parse(await readFile(join(out.dir, 'cluster', 'manifest.json'), 'utf8')) as { redis: { url: string } };
    expect(manifest.redis.url).toBe(cluster.url);
    for (const shown of lines().flatMap((line) => (typeof line.redis === 'string' ? [line.redis] : []))) expect(shown).toBe(cluster.url);
  });

  it('serves a run through `worker` CLI processes connected to the cluster URL', async () => {
    const prefix = uniquePrefix('cluster-remote');
    const env = { ...process.env, REDIS_URL: cluster.url };
    const workers = [0, 1].map(() => startCli(['worker', '--prefix', prefix, '--concurrency', '4'], env));
    try {
      const { logger } = captureLogs('info');
      const report = await runPipeline({ input, qrels, out: join(out.dir, 'cluster-remote'), redis: cluster.url, prefix, apiUrl: server.url, workers: false }, { logger, env: env });
      expect(report.outcome).toBe('complete');
      for (const w of workers) await stopChild(w.child);
      const completed = workers.map((w) => workerCompletedCount(w.output()));
      expect(completed.every((n) => n > 0), `${JSON.stringify(completed)}\n${workers.map((w) => w.output()).join('\n')}`).toBe(true);
      expect(completed.reduce((a, b) => a + b, 0)).toBe(report.producer.batches);
      expect(await expectCranfieldRanking(join(out.dir, 'cluster-remote', 'ranked.trec'))).toBe(single);
      await expectPrefixOnOneNode(cluster, prefix);
    } finally {
      for (const w of workers) await stopChild(w.child);
    }
  });
});
