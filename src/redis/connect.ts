import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { startRedisServer, type RedisServerProcess } from './redis-server-process.js';

/** A connection BullMQ accepts: a single server or a Redis Cluster. */
export type RedisConnection = Redis | Cluster;

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** Where the Redis of a command came from, for logs and manifest.json (password removed). */
export interface ResolvedRedis {
  /** Connection URL with any password removed. */
  displayUrl: string;
  /** How it was found: the --redis option or REDIS_URL, the default local port, or a private redis-server. */
  source: 'option' | 'default' | 'private';
  /** Open a new connection (BullMQ workers need their own blocking connection). */
  connect(): RedisConnection;
  /** Stop the private redis-server, when one was started. */
  close(): Promise<void>;
}

/** `redis://u:secret@h:1/0` -> `redis://u:***@h:1/0`: Redis passwords are secrets too. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '[unparseable redis url]';
  }
}

/**
 * Connection options BullMQ needs: `maxRetriesPerRequest: null` so blocking commands wait through a
 * reconnect instead of failing, and reconnect forever with a capped delay (a restarted Redis must not
 * strand a worker).
 */
const BASE_OPTIONS: RedisOptions = {
  maxRetriesPerRequest: null,
  enableReadyCheck: true,
  retryStrategy: (times: number) => Math.min(100 * times, 2_000),
};

/**
 * Open a connection from a URL. `redis+cluster://h1:p1,h2:p2` (or several comma-separated seed nodes)
 * opens a Redis Cluster client.
 */
export function openConnection(url: string): RedisConnection {
  const cluster = url.startsWith('redis+cluster://') || url.includes(',');
  if (!cluster) return new Redis(url, BASE_OPTIONS);
  const seeds = url.replace(/^redis\+cluster:\/\//, '').replace(/^redis:\/\//, '').split(',').map((hostPort) => {
    const [host, port] = hostPort.trim().split(':');
    return { host: host ?? '127.0.0.1', port: Number(port ?? 6379) };
  });
  return new Cluster(seeds, { redisOptions: BASE_OPTIONS, clusterRetryStrategy: (times: number) => Math.min(100 * times, 2_000) });
}

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1_000 });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * Find a Redis: `explicitUrl` (the --redis option) or REDIS_URL; else 127.0.0.1:6379 when it answers;
 * else a private redis-server from PATH on a free port, stopped by `close()`; else ERR_REDIS_UNAVAILABLE.
 */
export async function resolveRedis(explicitUrl: string | undefined, logger: Logger, options: { allowPrivate?: boolean } = {}): Promise<ResolvedRedis> {
  const configured = explicitUrl ?? process.env.REDIS_URL;
  const fixed = (url: string, source: ResolvedRedis['source']): ResolvedRedis => ({
    displayUrl: redactRedisUrl(url),
    source,
    connect: () => openConnection(url),
    close: async () => undefined,
  });
  if (configured !== undefined && configured !== '') return fixed(configured, 'option');
  if (await answers(DEFAULT_REDIS_URL)) return fixed(DEFAULT_REDIS_URL, 'default');
  if (options.allowPrivate === false) {
    throw new RerankBatchError('ERR_REDIS_UNAVAILABLE', `no Redis answers on ${DEFAULT_REDIS_URL}; pass --redis URL or set REDIS_URL`);
  }
  let server: RedisServerProcess;
  try {
    server = await startRedisServer();
  } catch (err) {
    throw new RerankBatchError(
      'ERR_REDIS_UNAVAILABLE',
      `no Redis configured (--redis or REDIS_URL), none answers on ${DEFAULT_REDIS_URL}, and redis-server could not be started from PATH ` +
        `(${err instanceof Error ? err.message : String(err)}). Install Redis (e.g. apt-get install redis-server), or run \`docker compose up -d redis\` from the repository.`,
      { cause: err },
    );
  }
  logger.info({ redis: server.url }, 'no Redis configured or running: started a private redis-server for this run (its data is removed at exit)');
  return { ...fixed(server.url, 'private'), close: () => server.stop() };
}
