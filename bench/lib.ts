/** Shared pieces of the benchmarks: child processes, RSS sampling, Redis memory, temp dirs, the result shape. */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createLogger, type Logger } from '../src/logger.js';
import type { RerankServerOptions } from '../src/serve/rerank-server.js';
import type { ServerChildMessage, ServerChildStats, ServerParentMessage } from './server-child.js';

/** dist/bench/lib.js -> the repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const cliPath = join(repoRoot, 'bin', 'rerank-batch.js');
const serverChildPath = join(dirname(fileURLToPath(import.meta.url)), 'server-child.js');

/** One line of the results table. */
export interface BenchRow {
  benchmark: string;
  /** What was measured, with its unit, e.g. "pipeline 41.2 s vs direct 36.0 s". */
  figure: string;
  target: string;
  /** The number compared against the target (e.g. 1.14 for 1.14x, 0.97 for 97%); null when informative only. */
  ratio: number | null;
  /** Whether the target holds; null when there is no target. */
  holds: boolean | null;
}

export interface BenchResult {
  name: string;
  rows: BenchRow[];
  /** Free-form observations printed under the table. */
  notes: string[];
  /** Raw numbers for latest.json. */
  details: Record<string, unknown>;
}

export interface BenchContext {
  /** Scale factor: 1 for the full suite, 0.1 with --quick. */
  scale: number;
  quick: boolean;
  /** Pairs of the large runs of memory and cache (default 2,000,000; --large-pairs N). */
  largePairs: number;
  /** Added to the seed of every synthetic corpus (--seed N; default 0): another corpus of the same shape. */
  seed: number;
  /** A pairs file of the user's (--input FILE), for the overhead benchmark instead of a synthetic corpus. */
  input: string | undefined;
  logger: Logger;
}

/** The pipeline's own logger, quiet: warnings and errors only, JSON on stderr. */
export function benchLogger(): Logger {
  return createLogger({ level: 'warn', format: 'json' });
}

export async function withTempDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), `rerank-bench-${prefix}-`));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(0)} MB`;
}

export function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

/** A rerank server in a child process (see server-child.ts). */
export interface ServerChild {
  url: string;
  pid: number;
  stats(): Promise<ServerChildStats>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function startServerChild(options: RerankServerOptions): Promise<ServerChild> {
  const child = fork(serverChildPath, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const next = <T extends ServerChildMessage['type']>(type: T): Promise<Extract<ServerChildMessage, { type: T }>> =>
    new Promise((resolvePromise, reject) => {
      const onMessage = (message: ServerChildMessage): void => {
        if (message.type !== type) return;
        cleanup();
        resolvePromise(message as Extract<ServerChildMessage, { type: T }>);
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`rerank server child exited (${String(code)}) before answering ${type}`));
      };
      const cleanup = (): void => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ask = (message: ServerParentMessage): void => {
    child.send(message);
  };
  let ready: { url: string };
  try {
    ready = await next('ready');
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return {
    url: ready.url,
    pid: child.pid ?? -1,
    async stats() {
      const answer = next('stats');
      ask({ type: 'stats' });
      return (await answer).stats;
    },
    async reset() {
      const answer = next('reset');
      ask({ type: 'reset' });
      await answer;
    },
    close: () => stopChild(child),
  };
}

/** Stop a child with SIGTERM (SIGKILL after 10 s) and wait for it to exit. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolvePromise) => child.once('exit', () => resolvePromise()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A CLI process (`node bin/rerank-batch.js ...`) with its output captured. */
export interface CliProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the output contains `text`; rejects when the process exits first or after `timeoutMs`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv = process.env, nodeArgs: string[] = []): CliProcess {
  const child = spawn(process.execPath, [...nodeArgs, cliPath, ...args], { cwd: repoRoot, env: { ...env, LOG_FORMAT: 'json' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    // Keep the tail only: a long run must not grow this string without bound.
    if (output.length > 1_000_000) output = output.slice(-500_000);
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolvePromise, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolvePromise(code));
  });
  exited.catch(() => undefined);
  return {
    child,
    output: () => output,
    exited,
    waitForOutput(text, timeoutMs = 30_000) {
      return new Promise((resolvePromise, reject) => {
        const check = (): void => {
          if (output.includes(text)) {
            done();
            resolvePromise();
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for "${text}" from ${args[0] ?? 'cli'}: ${output.slice(-2000)}`));
        }, timeoutMs);
        const onExit = (): void => {
          done();
          reject(new Error(`${args[0] ?? 'cli'} exited before printing "${text}": ${output.slice(-2000)}`));
        };
        const done = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off('exit', onExit);
        };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      });
    },
  };
}

/**
 * Peak RSS of a process: VmHWM from /proc/PID/status, sampled until stop() (the process may have exited by then).
 * Beside it, the largest RssAnon (heap, stacks, malloc) and RssFile (mapped files: the node binary, an LMDB
 * map) seen by the samples: sampled, so a spike between two samples is missed, unlike VmHWM.
 */
export interface RssWatcher {
  stop(): Promise<{ peakBytes: number; samples: number; peakAnonBytes: number; peakFileBytes: number }>;
}

interface RssStatus {
  hwm: number;
  anon: number;
  file: number;
}

async function readRssStatus(pid: number): Promise<RssStatus | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number | undefined => {
      const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
      return match?.[1] === undefined ? undefined : Number(match[1]) * 1024;
    };
    const hwm = kb('VmHWM');
    return hwm === undefined ? undefined : { hwm, anon: kb('RssAnon') ?? 0, file: kb('RssFile') ?? 0 };
  } catch {
    return undefined;
  }
}

export function watchRss(pid: number, intervalMs = 100): RssWatcher {
  let peak = 0;
  let peakAnon = 0;
  let peakFile = 0;
  let samples = 0;
  let reading: Promise<void> = Promise.resolve();
  const sample = (): void => {
    reading = readRssStatus(pid).then((status) => {
      if (status !== undefined) {
        samples++;
        peak = Math.max(peak, status.hwm);
        peakAnon = Math.max(peakAnon, status.anon);
        peakFile = Math.max(peakFile, status.file);
      }
    });
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    async stop() {
      clearInterval(timer);
      await reading;
      return { peakBytes: peak, samples, peakAnonBytes: peakAnon, peakFileBytes: peakFile };
    },
  };
}

/** Fields of Redis `INFO <section>` as a map. */
export async function redisInfo(url: string, section: string): Promise<Map<string, string>> {
  const client = new Redis(url, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await client.connect();
    const text = await client.info(section);
    const fields = new Map<string, string>();
    for (const line of text.split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0) fields.set(line.slice(0, colon), line.slice(colon + 1));
    }
    return fields;
  } finally {
    client.disconnect();
  }
}

/** CPU seconds (user + system) a live process has used so far, from /proc/PID/stat; undefined when it is gone. */
export async function cpuSecondsOf(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at state: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Linux reports them in clock ticks of 1/100 s (USER_HZ) on every architecture Node runs on.
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** CPU seconds a Redis server has used so far (INFO cpu: used_cpu_user + used_cpu_sys). */
export async function redisCpuSeconds(url: string): Promise<number> {
  const info = await redisInfo(url, 'cpu');
  return Number(info.get('used_cpu_user') ?? Number.NaN) + Number(info.get('used_cpu_sys') ?? Number.NaN);
}

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  redis: string;
  platform: string;
}

export async function machineFacts(): Promise<MachineFacts> {
  const redis = await new Promise<string>((resolvePromise) => {
    const child = spawn('redis-server', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', () => resolvePromise('unknown'));
    child.on('close', () => resolvePromise(/v=(\S+)/.exec(out)?.[1] ?? (out.trim() || 'unknown')));
  });
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    redis,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** `count` rounded to a whole number, at least `min`. */
export function scaled(count: number, scale: number, min = 1): number {
  return Math.max(min, Math.round(count * scale));
}
