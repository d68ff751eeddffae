import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RerankBatchError } from '../errors/rerank-batch-error.js';

export interface RedisServerOptions {
  /** TCP port on 127.0.0.1. Default: a free port chosen by the OS. */
  port?: number;
  /** Data directory. Default: a new temporary directory, removed by `stop()`. */
  dir?: string;
  /** Turn on AOF persistence (appendonly yes, appendfsync always), so a restart keeps the data. Default: false. */
  appendOnly?: boolean;
  /** Extra `--name value` arguments for redis-server, e.g. `['--cluster-enabled', 'yes']`. */
  extraArgs?: string[];
  /** The executable. Default: `redis-server` from PATH. */
  executable?: string;
}

/** A redis-server child process on loopback, for the embedded default and for tests. */
export interface RedisServerProcess {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stop the server (SHUTDOWN NOSAVE when not persistent, SIGTERM otherwise) and wait for it to exit. */
  stop(options?: { keepDir?: boolean }): Promise<void>;
  /** Stop and start again on the same port and directory (AOF data survives). */
  restart(): Promise<void>;
}

/** Ask the OS for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitForPing(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new RerankBatchError('ERR_REDIS_START', `redis-server exited with code ${child.exitCode} before answering`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 500 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      // not up yet
    } finally {
      client.disconnect();
    }
    if (Date.now() > deadline) throw new RerankBatchError('ERR_REDIS_START', `redis-server on ${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Start `redis-server` from PATH on a free loopback port. Throws ERR_REDIS_START when it cannot. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerProcess> {
  const port = options.port ?? (await freePort());
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'rerank-batch-redis-')));
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', options.appendOnly === true ? 'yes' : 'no',
    ...(options.appendOnly === true ? ['--appendfsync', 'always'] : []),
    '--maxmemory-policy', 'noeviction', '--protected-mode', 'no', '--loglevel', 'warning',
    ...(options.extraArgs ?? []),
  ];
  const executable = options.executable ?? 'redis-server';
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess;

  const launch = async (): Promise<void> => {
    const proc = spawn(executable, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = proc;
    const spawned = new Promise<void>((resolve, reject) => {
      proc.once('spawn', () => resolve());
      proc.once('error', (err) => reject(new RerankBatchError('ERR_REDIS_START', `cannot start ${executable}: ${err.message}`, { cause: err })));
    });
    await spawned;
    await waitForPing(url, proc, 10_000);
  };

  const halt = async (): Promise<void> => {
    const proc = child;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  return {
    url,
    port,
    dir,
    async stop(stopOptions = {}) {
      await halt();
      if (ownDir && stopOptions.keepDir !== true) await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      await halt();
      await launch();
    },
  };
}
