import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../logger.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { UsageError } from '../errors/usage-error.js';
import { mostTelling, type RedisAttempt } from './redis-errors.js';
import { startRedisServer, type RedisServerProcess } from './redis-server-process.js';

/** A connection BullMQ accepts: a single server or a Redis Cluster. */
export type RedisConnection = Redis | Cluster;

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** How to reach Redis: the URL (--redis or REDIS_URL) and, for TLS, the files of a private CA and a client certificate. */
export interface RedisSettings {
  /** Undefined or empty: 127.0.0.1:6379 when it answers, else (when allowed) a private redis-server. */
  url: string | undefined;
  /** PEM file of the CA that signed the server's certificate (--redis-tls-ca). */
  tlsCa?: string | undefined;
  /** PEM file of the client certificate, for mutual TLS (--redis-tls-cert, with tlsKey). */
  tlsCert?: string | undefined;
  /** PEM file of the client certificate's private key (--redis-tls-key). */
  tlsKey?: string | undefined;
}

/** The Redis settings among a command's options. */
export function redisSettingsOf(options: { redis?: string | undefined; redisTlsCa?: string | undefined; redisTlsCert?: string | undefined; redisTlsKey?: string | undefined }): RedisSettings {
  return { url: options.redis, tlsCa: options.redisTlsCa, tlsCert: options.redisTlsCert, tlsKey: options.redisTlsKey };
}

/** What TLS connections add to the system's trust: the PEM contents of the files in RedisSettings. */
export interface RedisTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Read one TLS file; a missing, unreadable or malformed one is a usage error naming the option and the file. */
async function readTlsFile(flag: string, file: string, what: string, check: (pem: Buffer) => void): Promise<Buffer> {
  let pem: Buffer;
  try {
    pem = await readFile(file);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: cannot read the file (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    check(pem);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: not ${what} (${err instanceof Error ? err.message : String(err)})`);
  }
  return pem;
}

/** The TLS files of `settings`, read and checked; undefined when none is given. */
async function loadTls(settings: RedisSettings): Promise<RedisTls | undefined> {
  const given = (file: string | undefined): file is string => file !== undefined && file !== '';
  if (!given(settings.tlsCa) && !given(settings.tlsCert) && !given(settings.tlsKey)) return undefined;
  if (given(settings.tlsCert) !== given(settings.tlsKey)) throw new UsageError('--redis-tls-cert and --redis-tls-key go together (the client certificate and its private key)');
  const tls: RedisTls = {};
  if (given(settings.tlsCa)) tls.ca = await readTlsFile('--redis-tls-ca', settings.tlsCa, 'a PEM certificate', (pem) => new X509Certificate(pem));
  if (given(settings.tlsCert) && given(settings.tlsKey)) {
    const cert = await readTlsFile('--redis-tls-cert', settings.tlsCert, 'a PEM certificate', (pem) => new X509Certificate(pem));
    const key = await readTlsFile('--redis-tls-key', settings.tlsKey, 'an unencrypted PEM private key', (pem) => createPrivateKey(pem));
    if (!new X509Certificate(cert).checkPrivateKey(createPrivateKey(key))) {
      throw new UsageError(`--redis-tls-key ${settings.tlsKey} is not the private key of the certificate in --redis-tls-cert ${settings.tlsCert}`);
    }
    tls.cert = cert;
    tls.key = key;
  }
  return tls;
}

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

/** Whether a URL asks for TLS: `rediss://` or `rediss+cluster://`. */
export function isTlsUrl(url: string): boolean {
  return isClusterUrl(url) ? parseClusterUrl(url).tls : /^rediss:\/\//i.test(url);
}

export interface ConnectionSettings {
  /** CA and client certificate for TLS (a `rediss://` URL uses the system's CAs without them). */
  tls?: RedisTls | undefined;
  /**
   * Told of every error the connection emits (ioredis reconnects by itself). A connection always has
   * a listener, so ioredis never prints "[ioredis] Unhandled error event". Default: ignore.
   */
  onError?: (error: Error) => void;
}

/**
 * An AUTH or HELLO that Redis refused carries its arguments, the password among them, on the error
 * (`error.command.args`): blank them before anything can log the error.
 */
function scrubCredentials(error: Error): void {
  const command = (error as { command?: { name?: unknown; args?: unknown } }).command;
  if (command !== undefined && /^(auth|hello)$/i.test(String(command.name))) command.args = ['[redacted]'];
}

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
export function openConnection(url: string, settings: ConnectionSettings = {}): RedisConnection {
  const tlsOptions = settings.tls === undefined ? {} : { tls: { ...settings.tls } };
  let connection: RedisConnection;
  if (!isClusterUrl(url)) {
    connection = new Redis(url, { ...BASE_OPTIONS, ...tlsOptions });
  } else {
    const { tls, username, password, seeds } = parseClusterUrl(url);
    const { retryStrategy, ...nodeOptions } = BASE_OPTIONS;
    connection = new Cluster(seeds, {
      redisOptions: {
        ...nodeOptions,
        ...(username === undefined ? {} : { username }),
        ...(password === undefined ? {} : { password }),
        ...(tls ? { tls: { ...settings.tls } } : {}),
      },
      clusterRetryStrategy: retryStrategy,
      enableReadyCheck: true,
      enableOfflineQueue: true,
    });
  }
  connection.on('error', (error: Error) => {
    scrubCredentials(error);
    settings.onError?.(error);
  });
  return connection;
}

/** How long the first contact with a configured Redis may take before it counts as unreachable, ms. */
const PROBE_TIMEOUT_MS = 5_000;

/**
 * Connect to one server, PING and INFO (what BullMQ needs first); the failure, classified, or undefined.
 * `clusterNode`: the URL names a cluster, so the server must be a cluster node.
 */
async function probeNode(
  target: { url: string } | { options: RedisOptions },
  tls: RedisTls | undefined,
  attempt: Omit<RedisAttempt, 'connected'>,
  clusterNode: boolean,
  timeoutMs: number,
): Promise<RerankBatchError | undefined> {
  const options: RedisOptions = {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    // The ready check would print a warning of its own when INFO is refused; INFO below says it better.
    enableReadyCheck: false,
    ...(tls === undefined ? {} : { tls: { ...tls } }),
  };
  const client = 'url' in target ? new Redis(target.url, options) : new Redis({ ...target.options, ...options });
  const errors: unknown[] = [];
  let connected = false;
  client.on('error', (error: Error) => {
    scrubCredentials(error);
    errors.push(error);
  });
  client.on('connect', () => {
    connected = true;
  });
  try {
    await client.connect();
    // A Redis loading its data answers LOADING: it is there and took the credentials; BullMQ waits for it.
    await client.ping().catch((error: unknown) => {
      if (!(error instanceof Error && error.message.startsWith('LOADING'))) throw error;
    });
    const info = await client.info();
    // A cluster client would wait forever for the slot map of a server that has none.
    if (clusterNode && !/^cluster_enabled:1\s*$/m.test(info)) {
      return new RerankBatchError('ERR_REDIS_URL', `${attempt.displayUrl} names a Redis Cluster, but the server is not one (cluster_enabled:0): use a redis:// or rediss:// URL`);
    }
    return undefined;
  } catch (error) {
    if (error instanceof Error) scrubCredentials(error);
    errors.push(error);
    return mostTelling(errors, { ...attempt, connected });
  } finally {
    client.disconnect();
  }
}

/**
 * Check a Redis once, at the start of a command: a refused password or ACL user (ERR_REDIS_AUTH), a
 * certificate problem (ERR_REDIS_TLS) or no answer (ERR_REDIS_UNAVAILABLE) is returned within seconds,
 * where the long-lived connections would retry it forever. A cluster is checked on its first seed node
 * that answers: credentials and certificates are the same on every node.
 */
export async function probeRedis(url: string, tls: RedisTls | undefined, timeoutMs = PROBE_TIMEOUT_MS): Promise<RerankBatchError | undefined> {
  const displayUrl = redactRedisUrl(url);
  const clientCert = tls?.cert !== undefined;
  if (!isClusterUrl(url)) {
    let username: string | undefined;
    try {
      username = decodeURIComponent(new URL(url).username) || undefined;
    } catch {
      throw new RerankBatchError('ERR_REDIS_URL', `cannot parse the Redis URL ${displayUrl}`);
    }
    return probeNode({ url }, tls ?? (isTlsUrl(url) ? {} : undefined), { displayUrl, tls: isTlsUrl(url), clientCert, username }, false, timeoutMs);
  }
  const cluster = parseClusterUrl(url);
  let unavailable: RerankBatchError | undefined;
  for (const seed of cluster.seeds) {
    const options: RedisOptions = {
      host: seed.host,
      port: seed.port,
      ...(cluster.username === undefined ? {} : { username: cluster.username }),
      ...(cluster.password === undefined ? {} : { password: cluster.password }),
    };
    const failure = await probeNode({ options }, cluster.tls ? (tls ?? {}) : undefined, { displayUrl, tls: cluster.tls, clientCert, username: cluster.username }, true, timeoutMs);
    if (failure === undefined) return undefined;
    if (failure.code !== 'ERR_REDIS_UNAVAILABLE') return failure;
    unavailable ??= failure;
  }
  return unavailable;
}

/**
 * Find a Redis: `settings.url` (--redis or REDIS_URL, read by the options layer); else 127.0.0.1:6379
 * when it answers; else a private redis-server from PATH on a free port, stopped by `close()`; else
 * ERR_REDIS_UNAVAILABLE. A configured Redis is checked once here (see probeRedis), so a refused
 * password or an untrusted certificate ends the command before anything else starts. Every connection
 * `connect()` opens has an error listener (logged at debug level; ioredis reconnects).
 */
export async function resolveRedis(settings: RedisSettings, logger: Logger, options: { allowPrivate?: boolean } = {}): Promise<ResolvedRedis> {
  const configured = settings.url === '' ? undefined : settings.url;
  const tls = await loadTls(settings);
  if (tls !== undefined && (configured === undefined || !isTlsUrl(configured))) {
    throw new UsageError(
      `--redis-tls-ca, --redis-tls-cert and --redis-tls-key are for TLS: give a rediss:// or rediss+cluster:// URL with --redis or REDIS_URL${configured === undefined ? '' : ` (got ${redactRedisUrl(configured)})`}`,
    );
  }
  const fixed = (url: string, source: ResolvedRedis['source']): ResolvedRedis => ({
    displayUrl: redactRedisUrl(url),
    source,
    connect: () => openConnection(url, { tls, onError: (error) => logger.debug({ redis: redactRedisUrl(url), error: error.message }, 'Redis connection error (ioredis reconnects)') }),
    close: async () => undefined,
  });
  if (configured !== undefined) {
    const failure = await probeRedis(configured, tls);
    if (failure !== undefined) throw failure;
    return fixed(configured, 'option');
  }
  const local = await probeRedis(DEFAULT_REDIS_URL, undefined, 1_000);
  if (local === undefined) return fixed(DEFAULT_REDIS_URL, 'default');
  // A Redis is there but refuses us: say so, rather than quietly using another one.
  if (local.code !== 'ERR_REDIS_UNAVAILABLE') throw local;
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
