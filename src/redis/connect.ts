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

/** `redis://u:secret@h:1/0` -> `redis://u:***@h:1/0`: Redis passwords are secrets too. Cluster URLs alike. */
export function redactRedisUrl(url: string): string {
  if (isClusterUrl(url)) {
    try {
      const parsed = parseClusterUrl(url);
      const user = parsed.username === undefined ? '' : encodeURIComponent(parsed.username);
      const auth = parsed.password === undefined ? (user === '' ? '' : `${user}@`) : `${user}:***@`;
      const hosts = parsed.seeds.map(({ host, port }) => `${host.includes(':') ? `[${host}]` : host}:${port}`).join(',');
      return `${parsed.tls ? 'rediss' : 'redis'}+cluster://${auth}${hosts}`;
    } catch {
      return '[unparseable redis url]';
    }
  }
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '[unparseable redis url]';
  }
}

/** The seed nodes and credentials of a Redis Cluster URL. */
interface ClusterUrl {
  tls: boolean;
  username: string | undefined;
  password: string | undefined;
  seeds: { host: string; port: number }[];
}

const CLUSTER_SCHEME = /^(rediss?)\+cluster:\/\//i;

/** `redis+cluster://…`, `rediss+cluster://…` (TLS), or several comma-separated seed nodes in a `redis://` URL. */
function isClusterUrl(url: string): boolean {
  if (CLUSTER_SCHEME.test(url)) return true;
  if (!/^rediss?:\/\//i.test(url)) return false;
  // A comma in the host list, not in a password: `redis://:a,b@h:1` is one server.
  const authority = url.slice(url.indexOf('://') + 3).split(/[/?#]/, 1)[0] ?? '';
  return authority.slice(authority.lastIndexOf('@') + 1).includes(',');
}

/**
 * Parse `redis+cluster://[user[:password]@]h1:p1,h2:p2[,…]` (also `rediss+cluster://` for TLS, and the
 * older `redis://h1:p1,h2:p2`). WHATWG URL cannot parse several hosts, so this reads the authority by hand;
 * user and password are percent-decoded. A path or query (a database number) has no meaning on a cluster.
 */
function parseClusterUrl(url: string): ClusterUrl {
  const scheme = CLUSTER_SCHEME.exec(url)?.[1] ?? /^(rediss?):\/\//i.exec(url)?.[1];
  if (scheme === undefined) throw new RerankBatchError('ERR_REDIS_URL', 'a Redis Cluster URL starts with redis+cluster:// or rediss+cluster://');
  const rest = url.slice(url.indexOf('://') + 3);
  const authority = rest.split(/[/?#]/, 1)[0] ?? '';
  const at = authority.lastIndexOf('@');
  const userInfo = at < 0 ? undefined : authority.slice(0, at);
  const hostList = at < 0 ? authority : authority.slice(at + 1);
  let username: string | undefined;
  let password: string | undefined;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    const decode = (text: string): string => {
      try {
        return decodeURIComponent(text);
      } catch {
        throw new RerankBatchError('ERR_REDIS_URL', 'bad percent-encoding in the user or password of the Redis Cluster URL');
      }
    };
    const user = decode(colon < 0 ? userInfo : userInfo.slice(0, colon));
    username = user === '' ? undefined : user;
    password = colon < 0 ? undefined : decode(userInfo.slice(colon + 1));
  }
  const seeds = hostList
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((hostPort) => {
      const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(hostPort);
      const host = match?.[1] ?? match?.[2];
      const port = Number(match?.[3] ?? 6379);
      if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
        throw new RerankBatchError('ERR_REDIS_URL', `bad Redis Cluster seed node "${hostPort}" (expected host:port)`);
      }
      return { host, port };
    });
  if (seeds.length === 0) throw new RerankBatchError('ERR_REDIS_URL', 'a Redis Cluster URL needs at least one host:port');
  return { tls: scheme.toLowerCase() === 'rediss', username, password, seeds };
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
 *
 * On a cluster, BullMQ's requirements go into `redisOptions` (the options of each node connection,
 * which is where BullMQ looks for `maxRetriesPerRequest: null`); the node `retryStrategy` is left to
 * ioredis, which replaces lost nodes by refreshing the slot map, while the cluster as a whole reconnects
 * forever through `clusterRetryStrategy`. Keys are routed by slot: every key rerank-batch and BullMQ
 * write starts with the prefix, whose `{…}` hash tag puts a whole prefix in one slot.
 */
export function openConnection(url: string): RedisConnection {
  if (!isClusterUrl(url)) return new Redis(url, BASE_OPTIONS);
  const { tls, username, password, seeds } = parseClusterUrl(url);
  const { retryStrategy, ...nodeOptions } = BASE_OPTIONS;
  return new Cluster(seeds, {
    redisOptions: {
      ...nodeOptions,
      ...(username === undefined ? {} : { username }),
      ...(password === undefined ? {} : { password }),
      ...(tls ? { tls: {} } : {}),
    },
    clusterRetryStrategy: retryStrategy,
    enableReadyCheck: true,
    enableOfflineQueue: true,
  });
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
