/**
 * `npm run soak [-- --minutes 5 --seed 1 --pairs 100000 ...]`: the chaos soak (issue 17). Not part of `npm test`.
 *
 * Deployment shape: a real redis-server with AOF (`appendfsync everysec`, as docker-compose.yml), several
 * `worker` processes, one `submit` and one separate `collect --no-workers` per run, and the project's rerank
 * server in a child process behind a counting proxy (bench/soak-server-child.ts), all on 127.0.0.1. For
 * `--minutes` of wall time a seeded scheduler (bench/soak-plan.ts) SIGKILLs workers and starts
 * replacements, restarts Redis, SIGSTOPs/SIGCONTs it, turns API faults on and off, and SIGKILLs and restarts
 * `collect`. Runs of `--pairs` synthetic pairs follow one another until the window closes (the last one then
 * finishes in calm), so the chaos covers the whole window whatever the machine's speed.
 *
 * Then each run is made again, clean (same input and options, fault-free server, no chaos), and compared:
 * ranked.trec, ranked.jsonl and metrics.json byte for byte; every pair once; repeated API requests within
 * what the SIGKILLed workers had in flight; memory of workers, collect and Redis flat over the runs; no hang,
 * no process exiting by itself. Prints a table, writes bench/results/soak-latest.{json,md}, exits 0 when
 * every check holds and 1 otherwise (130 on SIGINT/SIGTERM). Every child process is stopped on the way out.
 */
import { cp, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerProcess } from '../src/redis/redis-server-process.js';
import type { RerankServerOptions } from '../src/serve/rerank-server.js';
import { RunStore } from '../src/state/run-store.js';
import { machineFacts, mb, repoRoot, type MachineFacts } from './lib.js';
import { BENCH_ENV } from './pipeline.js';
import { pairCoverage, pairKeys, writeQrels } from './soak-corpus.js';
import { CHAOS_KINDS, FAULT_PRESETS, NO_FAULTS, chaosSchedule, describeAction, type ChaosEvent, type ChaosKind, type FaultRates } from './soak-plan.js';
import { ProcRegistry, rssBytes, type ExitInfo, type Proc } from './soak-procs.js';
import type { SoakServerMessage, SoakServerRequest, SoakServerStats } from './soak-server-child.js';
import { writeCorpus } from './synthetic-corpus.js';

/** Candidates per query in the synthetic corpora. */
const PER_QUERY = 100;
const PREFIX = '{soak}';
/**
 * Worker lock: a live worker renews it every 10 s, so a SIGSTOP of Redis (at most 4 s) never lets a live
 * worker's lock expire; a SIGKILLed worker's jobs are taken over after at most 20 s + the stalled interval.
 */
const LOCK_DURATION_MS = 20_000;
const STALLED_INTERVAL_MS = 5_000;
/** Request timeout of the runs: bounds how long a hung request holds a worker slot. */
const TIMEOUT_MS = 5_000;
const SAMPLE_EVERY_MS = 2_000;
/** Most runs in one soak (small --pairs make short runs; each is made again clean at the end). */
const MAX_RUNS = 20;

interface SoakOptions {
  minutes: number;
  seed: number;
  pairs: number;
  workers: number;
  concurrency: number;
  latencyMs: number;
  maxDocs: number;
  /** Longest time a run may go without a new batch on the collector's disk before it counts as a hang. */
  stallSeconds: number;
  /** How long the last run may take to finish after the window closes. */
  drainMinutes: number;
  /** Memory: largest allowed ratio of the last run's peak to the first run's. */
  growthFactor: number;
  keep: boolean;
}

const USAGE =
  'usage: npm run soak -- [--minutes 5] [--seed 1] [--pairs 100000] [--workers 4] [--concurrency 2] [--latency-ms 50] ' +
  '[--max-docs 10] [--stall-seconds 180] [--drain-minutes 10] [--keep]';

function parseArgs(argv: string[]): SoakOptions {
  const options: SoakOptions = {
    minutes: 5,
    seed: 1,
    pairs: 100_000,
    workers: 4,
    concurrency: 2,
    latencyMs: 50,
    maxDocs: 10,
    stallSeconds: 180,
    drainMinutes: 10,
    growthFactor: 1.5,
    keep: false,
  };
  const number = (name: string, raw: string | undefined, check: (n: number) => boolean, what: string): number => {
    const n = Number(raw);
    if (raw === undefined || raw === '' || !check(n)) throw new Error(`--${name} must be ${what}, got ${String(raw)}\n${USAGE}`);
    return n;
  };
  const int = (min: number) => (n: number) => Number.isSafeInteger(n) && n >= min;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--keep') options.keep = true;
    else if (arg === '--minutes') options.minutes = number('minutes', argv[++i], (n) => Number.isFinite(n) && n > 0 && n <= 24 * 60, 'a number of minutes > 0');
    else if (arg === '--seed') options.seed = number('seed', argv[++i], int(0), 'an integer >= 0');
    else if (arg === '--pairs') options.pairs = number('pairs', argv[++i], int(PER_QUERY), `an integer >= ${PER_QUERY}`);
    else if (arg === '--workers') options.workers = number('workers', argv[++i], (n) => int(2)(n) && n <= 16, 'an integer in 2..16');
    else if (arg === '--concurrency') options.concurrency = number('concurrency', argv[++i], (n) => int(1)(n) && n <= 64, 'an integer in 1..64');
    else if (arg === '--latency-ms') options.latencyMs = number('latency-ms', argv[++i], int(0), 'an integer >= 0');
    else if (arg === '--max-docs') options.maxDocs = number('max-docs', argv[++i], (n) => int(1)(n) && n <= 1000, 'an integer in 1..1000');
    else if (arg === '--stall-seconds') options.stallSeconds = number('stall-seconds', argv[++i], int(30), 'an integer >= 30');
    else if (arg === '--drain-minutes') options.drainMinutes = number('drain-minutes', argv[++i], (n) => Number.isFinite(n) && n > 0, 'a number > 0');
    else throw new Error(`unknown argument "${String(arg)}"\n${USAGE}`);
  }
  return options;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

// ---------------------------------------------------------------------------------------------------------
// Event log

interface LogEntry {
  /** Seconds since the soak started. */
  t: number;
  kind: string;
  text: string;
  details?: Record<string, unknown>;
}

class EventLog {
  readonly entries: LogEntry[] = [];
  constructor(readonly t0: number) {}

  seconds(at = Date.now()): number {
    return Math.round((at - this.t0) / 100) / 10;
  }

  add(kind: string, text: string, details?: Record<string, unknown>): LogEntry {
    const entry: LogEntry = { t: this.seconds(), kind, text, ...(details === undefined ? {} : { details }) };
    this.entries.push(entry);
    process.stdout.write(`${formatEntry(entry)}\n`);
    return entry;
  }

  /** Entries within `spanSeconds` of `t` (seconds since start). */
  around(t: number, spanSeconds = 30): LogEntry[] {
    return this.entries.filter((entry) => Math.abs(entry.t - t) <= spanSeconds);
  }
}

function formatEntry(entry: LogEntry): string {
  return `[${entry.t.toFixed(1).padStart(7)} s] ${entry.kind.padEnd(14)} ${entry.text}`;
}

// ---------------------------------------------------------------------------------------------------------
// The rerank API child (server + counting proxy)

interface SoakServer {
  url: string;
  child: ChildProcess;
  setFaults(faults: FaultRates): Promise<void>;
  /** The proxy's counts; rejects after `timeoutMs` (the child may be busy, or stopped). */
  stats(timeoutMs?: number): Promise<SoakServerStats>;
  close(): Promise<void>;
}

/** `Omit` over each member of a union. */
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

async function startSoakServer(childPath: string, server: RerankServerOptions): Promise<SoakServer> {
  const child = fork(childPath, [JSON.stringify({ server })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = new Promise<string>((resolve, reject) => {
    const onMessage = (message: SoakServerMessage): void => {
      if (message.type !== 'ready') return;
      child.off('message', onMessage);
      resolve(message.url);
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`soak server child exited (${String(code)}) before it was ready`)));
  });
  ready.catch(() => undefined);
  let lastId = 0;
  /** Send a question, resolve with the answer of the same id. */
  const ask = (message: WithoutId<SoakServerRequest>, timeoutMs: number): Promise<SoakServerMessage> =>
    new Promise((resolve, reject) => {
      const id = ++lastId;
      const onMessage = (answer: SoakServerMessage): void => {
        if (answer.type === 'ready' || answer.id !== id) return;
        cleanup();
        resolve(answer);
      };
      const onExit = (code: number | null): void => {
        cleanup();
        reject(new Error(`soak server child exited (${String(code)}) before answering ${message.type}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`soak server child did not answer ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ ...message, id } as SoakServerRequest);
    });
  let url: string;
  try {
    url = await ready;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    child,
    async setFaults(faults) {
      await ask({ type: 'faults', faults }, 10_000);
    },
    async stats(timeoutMs = 10_000) {
      const answer = await ask({ type: 'stats' }, timeoutMs);
      if (answer.type !== 'stats') throw new Error(`unexpected answer ${answer.type}`);
      return answer.stats;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Supervised CLI processes

/**
 * A CLI process the soak keeps alive: restarted after a chaos kill (when told) and after an exit nobody asked
 * for (which is logged as an anomaly: the product did not ride through a fault). With `finishOnZero`
 * (submit, collect), exit code 0 means it is done.
 */
class Supervised {
  proc: Proc | undefined;
  finished = false;
  unexpectedExits = 0;
  starts = 0;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly soak: Soak,
    readonly name: string,
    private readonly args: () => string[],
    private readonly finishOnZero: boolean,
  ) {}

  start(): Proc {
    this.clearRestart();
    const proc = this.soak.registry.spawnCli(this.name, this.args());
    this.proc = proc;
    this.starts++;
    this.soak.log.add('spawn', `${this.name} pid ${proc.pid}`, { name: this.name, pid: proc.pid });
    void proc.exited.then((info) => this.onExit(proc, info));
    return proc;
  }

  private onExit(proc: Proc, info: ExitInfo): void {
    if (proc !== this.proc) return;
    if (this.finishOnZero && info.code === 0) {
      this.finished = true;
      this.soak.log.add('exit', `${this.name} pid ${proc.pid} finished (exit 0)`);
      return;
    }
    if (proc.expectedExit || this.soak.stopping) return;
    this.unexpectedExits++;
    this.soak.anomaly(`${this.name} (pid ${proc.pid}) exited by itself: code ${String(info.code)}, signal ${String(info.signal)}; log ${proc.logFile}`, proc.tail());
    if (this.unexpectedExits > 5) {
      this.soak.fail(`${this.name} exited by itself ${this.unexpectedExits} times; giving up on it`);
      return;
    }
    this.restartIn(1_000);
  }

  alive(): boolean {
    return this.proc?.alive() === true;
  }

  /** SIGKILL the current process; resolves with it (undefined when none was alive). */
  async kill(): Promise<Proc | undefined> {
    const proc = this.proc;
    if (proc === undefined || !proc.alive()) return undefined;
    await proc.kill('SIGKILL');
    return proc;
  }

  restartIn(ms: number): void {
    this.clearRestart();
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.soak.stopping && this.soak.fatal === undefined && !this.finished) this.start();
    }, ms);
  }

  get restartPending(): boolean {
    return this.restartTimer !== undefined;
  }

  /** Start now a restart that was waiting (the window closed: calm from here on). */
  restartNowIfPending(): void {
    if (this.restartTimer === undefined) return;
    this.clearRestart();
    if (!this.soak.stopping && this.soak.fatal === undefined && !this.finished) this.start();
  }

  clearRestart(): void {
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Records

interface KillRecord {
  t: number;
  slot: number;
  pid: number;
  /** Its concurrency: the most requests it can have had in flight. */
  concurrency: number;
  /** Requests in flight at the proxy (all workers) just before the kill. */
  inFlightAll: number;
}

interface RunRecord {
  index: number;
  runId: string;
  corpusSeed: number;
  corpus: string;
  qrels: string;
  out: string;
  pairs: number;
  queries: number;
  corpusBytes: number;
  relevantJudgments: number;
  startedT: number;
  finishedT: number | undefined;
  completed: boolean;
  collectStarts: number;
  submitStarts: number;
  maxProgressGapMs: number;
  chaosEvents: number;
  batches: number | undefined;
  manifest: { outcome?: string; complete?: boolean; counts?: Record<string, number | null> } | undefined;
}

interface Sample {
  t: number;
  run: number;
  sentinel: number | undefined;
  worker: number | undefined;
  collect: number | undefined;
  redis: number | undefined;
  /** Valid API answers so far, and requests in flight at the proxy (the run's pace). */
  answers: number | undefined;
  inFlight: number | undefined;
}

type SeriesName = 'sentinel' | 'worker' | 'collect' | 'redis';

const SERIES: { name: SeriesName; label: string }[] = [
  { name: 'sentinel', label: 'memory: sentinel worker RSS (never killed, serves every run)' },
  { name: 'worker', label: 'memory: other workers RSS (largest live one)' },
  { name: 'collect', label: 'memory: collect RSS' },
  { name: 'redis', label: 'memory: Redis used_memory' },
];

interface SeriesSummary {
  name: SeriesName;
  samples: number;
  start: number | undefined;
  peak: number | undefined;
  peakT: number | undefined;
  end: number | undefined;
  firstPeak: number | undefined;
  lastPeak: number | undefined;
  /** How the two peaks were taken: 'runs' (first and last run) or 'thirds' (first and last third of the samples). */
  basis: 'runs' | 'thirds';
  growth: number | undefined;
}

interface Check {
  check: string;
  figure: string;
  target: string;
  ratio: number | null;
  holds: boolean;
}

interface Problem {
  t: number;
  what: string;
}

// ---------------------------------------------------------------------------------------------------------
// The soak

class Soak {
  readonly log = new EventLog(Date.now());
  registry!: ProcRegistry;
  stopping = false;
  fatal: string | undefined;
  readonly anomalies: { t: number; text: string; tail: string }[] = [];
  readonly problems: Problem[] = [];
  readonly kills: KillRecord[] = [];
  readonly collectKills: { t: number; pid: number }[] = [];
  readonly executed: Record<ChaosKind, number> = { 'kill-worker': 0, 'restart-redis': 0, 'pause-redis': 0, 'api-faults': 0, 'kill-collect': 0 };
  readonly skipped: Record<ChaosKind, number> = { 'kill-worker': 0, 'restart-redis': 0, 'pause-redis': 0, 'api-faults': 0, 'kill-collect': 0 };
  readonly samples: Sample[] = [];
  readonly runs: RunRecord[] = [];
  workers: Supervised[] = [];
  currentCollect: Supervised | undefined;
  currentRun = 0;
  redis: RedisServerProcess | undefined;
  redisPid: number | undefined;
  redisRunning = false;
  pausedPid: number | undefined;
  refRedis: RedisServerProcess | undefined;
  server: SoakServer | undefined;
  cleanServer: SoakServer | undefined;
  info: Redis | undefined;
  work = '';
  app = '';
  windowStartT = 0;
  windowEndT = 0;
  private faultTimer: NodeJS.Timeout | undefined;
  private sampler: NodeJS.Timeout | undefined;
  private cleaned = false;

  constructor(readonly options: SoakOptions) {}

  anomaly(text: string, tail: string): void {
    const entry = this.log.add('ANOMALY', text);
    this.anomalies.push({ t: entry.t, text, tail: tail.slice(-4000) });
    this.problems.push({ t: entry.t, what: text });
  }

  fail(reason: string): void {
    if (this.fatal !== undefined) return;
    this.fatal = reason;
    const entry = this.log.add('FATAL', reason);
    this.problems.push({ t: entry.t, what: reason });
  }

  get cliPath(): string {
    return join(this.app, 'bin', 'rerank-batch.js');
  }

  /**
   * The code under test, as built when the soak starts: dist/ and bin/ copied to the work directory (other
   * builds of the checkout during the soak must not change what a replacement worker runs).
   */
  private async snapshot(): Promise<void> {
    this.app = join(this.work, 'app');
    await mkdir(this.app, { recursive: true });
    await cp(join(repoRoot, 'dist'), join(this.app, 'dist'), { recursive: true });
    await cp(join(repoRoot, 'bin'), join(this.app, 'bin'), { recursive: true });
    await cp(join(repoRoot, 'package.json'), join(this.app, 'package.json'));
    await symlink(join(repoRoot, 'node_modules'), join(this.app, 'node_modules'), 'dir');
  }

  async setUp(): Promise<void> {
    this.work = await mkdtemp(join(tmpdir(), 'rerank-soak-'));
    await mkdir(join(this.work, 'logs'), { recursive: true });
    await this.snapshot();
    this.registry = new ProcRegistry({ logDir: join(this.work, 'logs'), cliPath: this.cliPath, cwd: this.app, env: BENCH_ENV });
    this.log.add('setup', `work directory ${this.work}`);

    this.redis = await startRedisServer({ appendOnly: true, extraArgs: ['--appendfsync', 'everysec'] });
    this.redisRunning = true;
    this.info = new Redis(this.redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false, commandTimeout: 1_500, connectTimeout: 1_000, retryStrategy: () => 300 });
    this.info.on('error', () => undefined);
    this.redisPid = await this.currentRedisPid(15_000);
    const fsync = (await this.info.config('GET', 'appendfsync')) as string[];
    this.log.add('setup', `redis-server pid ${this.redisPid} on ${this.redis.url}, AOF appendfsync ${fsync[1] ?? '?'} in ${this.redis.dir}`);

    this.server = await startSoakServer(join(this.app, 'dist', 'bench', 'soak-server-child.js'), { latencyMs: this.options.latencyMs, seed: this.options.seed + 1, retryAfterSeconds: 1 });
    this.log.add('setup', `rerank server (latency ${this.options.latencyMs} ms) behind the counting proxy at ${this.server.url}`);

    for (let slot = 0; slot < this.options.workers; slot++) {
      const supervised = new Supervised(
        this,
        `worker-${slot}`,
        () => [
          'worker', '--redis', this.redisUrl, '--prefix', PREFIX, '--concurrency', String(this.options.concurrency),
          '--lock-duration-ms', String(LOCK_DURATION_MS), '--stalled-interval-ms', String(STALLED_INTERVAL_MS), '--log-level', 'info',
        ],
        false,
      );
      this.workers.push(supervised);
      supervised.start();
    }
    await Promise.all(this.workers.map((w) => w.proc?.waitForEvent('worker-started', 60_000)));
  }

  get redisUrl(): string {
    if (this.redis === undefined) throw new Error('no Redis');
    return this.redis.url;
  }

  private async currentRedisPid(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const text = await this.info?.info('server');
        const pid = Number(/process_id:(\d+)/.exec(text ?? '')?.[1]);
        if (pid > 0) return pid;
      } catch {
        // reconnecting
      }
      if (Date.now() > deadline) throw new Error(`Redis did not tell its pid within ${timeoutMs} ms`);
      await sleep(200);
    }
  }

  // --- memory ------------------------------------------------------------------------------------------

  startSampling(): void {
    let busy = false;
    const take = async (): Promise<void> => {
      if (busy) return;
      busy = true;
      try {
        const [sentinel, others, collect, redis, api] = await Promise.all([
          rssBytes(this.workers[0]?.proc?.alive() === true ? this.workers[0].proc.pid : undefined),
          Promise.all(this.workers.slice(1).map((w) => rssBytes(w.proc?.alive() === true ? w.proc.pid : undefined))),
          rssBytes(this.currentCollect?.proc?.alive() === true ? this.currentCollect.proc.pid : undefined),
          this.pausedPid !== undefined ? Promise.resolve(undefined) : this.usedMemory(),
          this.server?.stats(1_500).catch(() => undefined),
        ]);
        const live = others.filter((v): v is number => v !== undefined);
        this.samples.push({ t: this.log.seconds(), run: this.currentRun, sentinel, worker: live.length === 0 ? undefined : Math.max(...live), collect, redis, answers: api?.valid, inFlight: api?.inFlight });
      } finally {
        busy = false;
      }
    };
    void take();
    this.sampler = setInterval(() => void take(), SAMPLE_EVERY_MS);
  }

  stopSampling(): void {
    if (this.sampler !== undefined) clearInterval(this.sampler);
    this.sampler = undefined;
  }

  private async usedMemory(): Promise<number | undefined> {
    try {
      const text = await this.info?.info('memory');
      const value = Number(/used_memory:(\d+)/.exec(text ?? '')?.[1]);
      return Number.isFinite(value) && value > 0 ? value : undefined;
    } catch {
      return undefined;
    }
  }

  // --- chaos -------------------------------------------------------------------------------------------

  async chaos(schedule: ChaosEvent[], windowStart: number, windowEnd: number): Promise<void> {
    for (const event of schedule) {
      const at = windowStart + event.atMs;
      if (at >= windowEnd) break;
      while (Date.now() < at && this.fatal === undefined) await sleep(Math.min(500, at - Date.now()));
      if (this.fatal !== undefined || Date.now() >= windowEnd) break;
      try {
        await this.act(event);
      } catch (err) {
        this.fail(`chaos action "${describeAction(event.action)}" failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    while (Date.now() < windowEnd && this.fatal === undefined) await sleep(Math.min(500, windowEnd - Date.now()));
    await this.calm();
  }

  private async act(event: ChaosEvent): Promise<void> {
    const action = event.action;
    const server = this.server;
    if (server === undefined) throw new Error('no server');
    switch (action.kind) {
      case 'kill-worker': {
        const slot = this.workers[action.slot];
        if (slot === undefined || !slot.alive()) {
          this.skipped[action.kind]++;
          this.log.add('chaos-skip', `${describeAction(action)}: slot ${action.slot} has no live process (replacement pending)`);
          return;
        }
        const inFlightAll = await server.stats(2_000).then((stats) => stats.inFlight, () => -1);
        if (this.fatal !== undefined) return;
        const proc = await slot.kill();
        if (proc === undefined) {
          this.skipped[action.kind]++;
          return;
        }
        this.executed[action.kind]++;
        const entry = this.log.add('chaos', `${describeAction(action)}: killed pid ${proc.pid} (${inFlightAll < 0 ? 'unknown' : inFlightAll} requests in flight over all workers)`, { slot: action.slot, pid: proc.pid });
        this.kills.push({ t: entry.t, slot: action.slot, pid: proc.pid, concurrency: this.options.concurrency, inFlightAll });
        slot.restartIn(action.restartAfterMs);
        return;
      }
      case 'kill-collect': {
        const collect = this.currentCollect;
        if (collect === undefined || !collect.alive()) {
          this.skipped[action.kind]++;
          this.log.add('chaos-skip', `${describeAction(action)}: no collect running (between runs, or finishing)`);
          return;
        }
        const proc = await collect.kill();
        if (proc === undefined) {
          this.skipped[action.kind]++;
          return;
        }
        this.executed[action.kind]++;
        const entry = this.log.add('chaos', `${describeAction(action)}: killed ${collect.name} pid ${proc.pid}`);
        this.collectKills.push({ t: entry.t, pid: proc.pid });
        collect.restartIn(action.restartAfterMs);
        return;
      }
      case 'restart-redis': {
        const redis = this.redis;
        if (redis === undefined) throw new Error('no Redis');
        const started = Date.now();
        this.log.add('chaos', `${describeAction(action)}: stopping pid ${String(this.redisPid)}`);
        this.redisRunning = false;
        await redis.restart();
        this.redisRunning = true;
        this.redisPid = await this.currentRedisPid(15_000);
        this.executed[action.kind]++;
        this.log.add('chaos', `Redis back as pid ${this.redisPid} after ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return;
      }
      case 'pause-redis': {
        const pid = this.redisPid;
        if (pid === undefined) throw new Error('no Redis pid');
        process.kill(pid, 'SIGSTOP');
        this.pausedPid = pid;
        this.executed[action.kind]++;
        this.log.add('chaos', `${describeAction(action)}: SIGSTOP pid ${pid}`);
        try {
          await sleep(action.pauseMs);
        } finally {
          process.kill(pid, 'SIGCONT');
          this.pausedPid = undefined;
        }
        this.log.add('chaos', `SIGCONT Redis pid ${pid}`);
        return;
      }
      case 'api-faults': {
        if (this.faultTimer !== undefined) clearTimeout(this.faultTimer);
        await server.setFaults(FAULT_PRESETS[action.preset]);
        this.executed[action.kind]++;
        this.log.add('chaos', `${describeAction(action)}: ${JSON.stringify(FAULT_PRESETS[action.preset])}`);
        this.faultTimer = setTimeout(() => {
          this.faultTimer = undefined;
          void server
            .setFaults(NO_FAULTS)
            .then(() => this.log.add('chaos', 'API faults off'))
            .catch(() => undefined);
        }, action.forMs);
        return;
      }
    }
  }

  /** The window closed: faults off, Redis running, every process back. */
  private async calm(): Promise<void> {
    // A fatal problem closes the window early: say so in the figures.
    this.windowEndT = Math.min(this.windowEndT, this.log.seconds());
    if (this.faultTimer !== undefined) clearTimeout(this.faultTimer);
    this.faultTimer = undefined;
    await this.server?.setFaults(NO_FAULTS);
    if (this.pausedPid !== undefined) process.kill(this.pausedPid, 'SIGCONT');
    for (const worker of this.workers) worker.restartNowIfPending();
    this.currentCollect?.restartNowIfPending();
    this.log.add('calm', 'chaos window closed: API faults off, every process running; the current run finishes without chaos');
  }

  // --- runs --------------------------------------------------------------------------------------------

  async runLoop(windowEnd: number, hardDeadline: number): Promise<void> {
    let index = 0;
    while (this.fatal === undefined && (index === 0 || Date.now() < windowEnd)) {
      if (index === MAX_RUNS) {
        this.log.add('run', `${MAX_RUNS} runs done: no more (each needs a reference run at the end); the chaos goes on until the window closes`);
        break;
      }
      index++;
      await this.runOne(index, windowEnd, hardDeadline);
    }
  }

  private async runOne(index: number, windowEnd: number, hardDeadline: number): Promise<void> {
    const { options } = this;
    const dir = join(this.work, 'runs', `r${index}`);
    await mkdir(dir, { recursive: true });
    const corpusPath = join(dir, 'pairs.csv');
    const qrelsPath = join(dir, 'qrels.trec');
    const out = join(dir, 'out');
    const corpusSeed = options.seed * 1000 + index;
    const runId = `soak-${options.seed}-r${index}`;
    const corpus = await writeCorpus({ out: corpusPath, queries: Math.ceil(options.pairs / PER_QUERY), perQuery: PER_QUERY, seed: corpusSeed, minWords: 15, maxWords: 60 });
    const qrels = await writeQrels(corpusPath, qrelsPath);
    const record: RunRecord = {
      index,
      runId,
      corpusSeed,
      corpus: corpusPath,
      qrels: qrelsPath,
      out,
      pairs: corpus.pairs,
      queries: corpus.queries,
      corpusBytes: corpus.bytes,
      relevantJudgments: qrels.relevant,
      startedT: this.log.seconds(),
      finishedT: undefined,
      completed: false,
      collectStarts: 0,
      submitStarts: 0,
      maxProgressGapMs: 0,
      chaosEvents: 0,
      batches: undefined,
      manifest: undefined,
    };
    this.runs.push(record);
    this.currentRun = index;
    this.log.add('run', `run ${index} (${runId}): ${corpus.pairs.toLocaleString('en-US')} pairs, ${mb(corpus.bytes)} CSV, corpus seed ${corpusSeed}, ${qrels.relevant.toLocaleString('en-US')} relevant judgments`);

    const submit = new Supervised(
      this,
      `submit-r${index}`,
      () => [
        'submit', '--input', corpusPath, '--api-url', this.server?.url ?? '', '--redis', this.redisUrl, '--prefix', PREFIX, '--run-id', runId,
        '--max-docs-per-request', String(options.maxDocs), '--timeout-ms', String(TIMEOUT_MS), '--log-level', 'info',
      ],
      true,
    );
    submit.start();
    await this.waitRegistered(runId, submit, 120_000);
    const collect = new Supervised(
      this,
      `collect-r${index}`,
      () => ['collect', '--run-id', runId, '--out', out, '--qrels', qrelsPath, '--redis', this.redisUrl, '--prefix', PREFIX, '--no-workers', '--log-level', 'info'],
      true,
    );
    if (this.fatal === undefined) {
      this.currentCollect = collect;
      collect.start();
    }

    const spool = join(out, '.rerank-batch', `${runId}.spool`);
    let lastSize = -1;
    let lastProgress = Date.now();
    let maxGap = 0;
    while (this.fatal === undefined && !(collect.finished && submit.finished)) {
      await sleep(1_000);
      const size = await stat(spool).then((s) => s.size, () => 0);
      const now = Date.now();
      if (size !== lastSize) {
        maxGap = Math.max(maxGap, now - lastProgress);
        lastSize = size;
        lastProgress = now;
      } else if (now - lastProgress > options.stallSeconds * 1000 && !collect.finished) {
        this.fail(`hang: run ${index} (${runId}) put no new batch on the collector's disk for ${options.stallSeconds} s (spool ${(size / 1024).toFixed(0)} KB); see the logs in ${join(this.work, 'logs')}`);
      }
      if (now > hardDeadline && this.fatal === undefined) {
        this.fail(`hang: run ${index} (${runId}) not finished ${options.drainMinutes} min after the chaos window closed`);
      }
    }
    record.maxProgressGapMs = Math.max(maxGap, collect.finished ? 0 : Date.now() - lastProgress);
    record.finishedT = this.log.seconds();
    record.collectStarts = collect.starts;
    record.submitStarts = submit.starts;
    this.currentCollect = undefined;
    submit.clearRestart();
    collect.clearRestart();
    if (!(collect.finished && submit.finished)) {
      await submit.proc?.kill('SIGKILL');
      await collect.proc?.kill('SIGKILL');
      return;
    }
    record.completed = true;
    record.chaosEvents = this.log.entries.filter((e) => e.kind === 'chaos' && e.t >= record.startedT && e.t <= (record.finishedT ?? Infinity)).length;
    try {
      record.manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')) as RunRecord['manifest'];
      const batches = record.manifest?.counts?.batches;
      record.batches = typeof batches === 'number' ? batches : undefined;
    } catch (err) {
      this.problems.push({ t: this.log.seconds(), what: `run ${index}: manifest.json unreadable: ${String(err)}` });
    }
    const late = Date.now() > windowEnd ? ' (after the window closed)' : '';
    this.log.add(
      'run',
      `run ${index} finished${late} in ${(record.finishedT - record.startedT).toFixed(0)} s: outcome ${String(record.manifest?.outcome)}, ${String(record.batches)} batches, ` +
        `collect started ${record.collectStarts}x, submit ${record.submitStarts}x, longest wait for progress ${(record.maxProgressGapMs / 1000).toFixed(0)} s`,
    );
  }

  /** Wait until `submit` has registered the run in Redis (collect needs it to exist). */
  private async waitRegistered(runId: string, submit: Supervised, timeoutMs: number): Promise<void> {
    if (this.info === undefined) throw new Error('no Redis client');
    const store = new RunStore(this.info, PREFIX);
    const deadline = Date.now() + timeoutMs;
    while (this.fatal === undefined) {
      try {
        if ((await store.get(runId)) !== undefined) return;
      } catch {
        // Redis restarting or paused: try again
      }
      if (submit.finished) return;
      if (Date.now() > deadline) {
        this.fail(`submit of ${runId} did not register the run within ${timeoutMs / 1000} s`);
        return;
      }
      await sleep(250);
    }
  }

  // --- the end -----------------------------------------------------------------------------------------

  /** Stop workers (SIGTERM: they must exit 0), the API child and Redis; returns the API's final counts. */
  async tearDownChaos(): Promise<SoakServerStats | undefined> {
    this.stopSampling();
    let stats: SoakServerStats | undefined;
    try {
      stats = await this.server?.stats();
    } catch (err) {
      this.problems.push({ t: this.log.seconds(), what: `could not read the API counts: ${String(err)}` });
    }
    this.stopping = true;
    for (const worker of this.workers) worker.clearRestart();
    const exits = await Promise.all(this.workers.map(async (worker) => ({ worker, info: worker.proc?.alive() === true ? await worker.proc.kill('SIGTERM', 30_000) : undefined })));
    // The documented shutdown: a worker stops taking jobs, logs worker-stopped and exits 130 (stopped by a signal).
    for (const { worker, info } of exits) {
      if (info === undefined) continue;
      // One started a moment ago (a replacement) may not have its signal handler yet: killed by the signal is fine then.
      const notStarted = worker.proc?.sawEvent('worker-started') !== true && info.signal === 'SIGTERM';
      if (!notStarted && (info.code !== 130 || worker.proc?.sawEvent('worker-stopped') !== true)) {
        this.anomaly(`${worker.name} (pid ${String(worker.proc?.pid)}) did not stop cleanly on SIGTERM: code ${String(info.code)}, signal ${String(info.signal)}, worker-stopped ${worker.proc?.sawEvent('worker-stopped') === true ? 'logged' : 'not logged'}`, worker.proc?.tail() ?? '');
      }
    }
    this.log.add('teardown', `workers stopped (SIGTERM): ${exits.map(({ worker, info }) => `${worker.name} ${info === undefined ? 'gone' : `exit ${String(info.code)}`}`).join(', ')}`);
    await this.server?.close();
    this.server = undefined;
    this.info?.disconnect();
    this.info = undefined;
    if (this.redis !== undefined) {
      this.redisRunning = false;
      await this.redis.stop();
      this.redis = undefined;
    }
    return stats;
  }

  /** Clean reference runs (fresh Redis, fault-free server, no chaos) and the comparisons. */
  async verify(): Promise<{ index: number; identical: boolean; differences: string[]; coverage: ReturnType<typeof pairCoverage> | undefined; failuresEmpty: boolean; referenceSeconds: number }[]> {
    const results = [];
    const completed = this.runs.filter((r) => r.completed);
    if (completed.length === 0) return [];
    this.refRedis = await startRedisServer();
    this.cleanServer = await startSoakServer(join(this.app, 'dist', 'bench', 'soak-server-child.js'), { latencyMs: 0 });
    try {
      for (const run of completed) {
        const refOut = join(this.work, 'runs', `r${run.index}`, 'reference');
        const started = Date.now();
        const proc = this.registry.spawnCli(`reference-r${run.index}`, [
          'run', '--input', run.corpus, '--qrels', run.qrels, '--out', refOut, '--redis', this.refRedis.url, '--prefix', '{soak-ref}', '--run-id', `reference-r${run.index}`,
          '--api-url', this.cleanServer.url, '--max-docs-per-request', String(this.options.maxDocs), '--timeout-ms', String(TIMEOUT_MS), '--concurrency', '8', '--log-level', 'warn',
        ]);
        const timer = setTimeout(() => void proc.kill('SIGKILL'), 15 * 60_000);
        const exit = await proc.exited;
        clearTimeout(timer);
        const referenceSeconds = (Date.now() - started) / 1000;
        const differences: string[] = [];
        if (exit.code !== 0) differences.push(`the clean reference run exited with ${String(exit.code)} (log ${proc.logFile})`);
        else {
          for (const file of ['ranked.trec', 'ranked.jsonl', 'metrics.json']) {
            const [got, want] = await Promise.all([readFile(join(run.out, file)).catch(() => undefined), readFile(join(refOut, file))]);
            if (got === undefined) differences.push(`${file}: missing from the soak run's outputs`);
            else if (want.length === 0) differences.push(`${file}: empty in the reference`);
            else if (!got.equals(want)) differences.push(`${file}: ${firstDifference(got.toString('utf8'), want.toString('utf8'))}`);
          }
        }
        const failures = await readFile(join(run.out, 'failures.jsonl'), 'utf8').catch(() => undefined);
        const failuresEmpty = failures === '';
        let coverage: ReturnType<typeof pairCoverage> | undefined;
        try {
          coverage = pairCoverage(await readFile(join(run.out, 'ranked.trec'), 'utf8'), await pairKeys(run.corpus));
        } catch {
          coverage = undefined;
        }
        const identical = differences.length === 0;
        this.log.add(
          'verify',
          `run ${run.index}: ${identical ? 'outputs byte-identical to the clean run' : `OUTPUTS DIFFER: ${differences.join('; ')}`}` +
            `; ${coverage === undefined ? 'ranked.trec unreadable' : `${coverage.lines} lines, ${coverage.lost} lost, ${coverage.duplicated} duplicated, ${coverage.extra} unknown`}` +
            `; failures.jsonl ${failuresEmpty ? 'empty' : failures === undefined ? 'missing' : 'NOT EMPTY'}; reference took ${referenceSeconds.toFixed(0)} s`,
        );
        results.push({ index: run.index, identical, differences, coverage, failuresEmpty, referenceSeconds });
      }
    } finally {
      await this.cleanServer.close();
      this.cleanServer = undefined;
      await this.refRedis.stop();
      this.refRedis = undefined;
    }
    return results;
  }

  /** Stop everything still running (also on failure or a signal); idempotent. */
  async cleanup(removeWork: boolean): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    this.stopping = true;
    this.stopSampling();
    if (this.faultTimer !== undefined) clearTimeout(this.faultTimer);
    if (this.pausedPid !== undefined) {
      try {
        process.kill(this.pausedPid, 'SIGCONT');
      } catch {
        // gone
      }
      this.pausedPid = undefined;
    }
    for (const worker of this.workers) worker.clearRestart();
    await this.registry?.stopAll(3_000);
    await this.server?.close().catch(() => undefined);
    await this.cleanServer?.close().catch(() => undefined);
    this.info?.disconnect();
    if (this.redis !== undefined) await this.redis.stop().catch(() => undefined);
    this.redisRunning = false;
    if (this.refRedis !== undefined) await this.refRedis.stop().catch(() => undefined);
    if (removeWork && this.work !== '') await rm(this.work, { recursive: true, force: true });
  }

  /** Synchronous last resort (process 'exit'): SIGKILL what is left, by pid. */
  killAllSync(): void {
    this.registry?.killAllSync();
    for (const child of [this.server?.child, this.cleanServer?.child]) {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    if (this.redisRunning && this.redisPid !== undefined) {
      try {
        process.kill(this.redisPid, 'SIGCONT');
        process.kill(this.redisPid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

function firstDifference(got: string, want: string): string {
  const a = got.split('\n');
  const b = want.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `first difference at line ${i + 1}: soak "${(a[i] ?? '<end>').slice(0, 160)}" vs clean "${(b[i] ?? '<end>').slice(0, 160)}" (${a.length} vs ${b.length} lines)`;
  }
  return 'same lines, different bytes';
}

// ---------------------------------------------------------------------------------------------------------
// Figures

function summarize(samples: Sample[], name: SeriesName): SeriesSummary {
  const points = samples.filter((s) => s[name] !== undefined) as (Sample & Record<SeriesName, number>)[];
  const summary: SeriesSummary = { name, samples: points.length, start: undefined, peak: undefined, peakT: undefined, end: undefined, firstPeak: undefined, lastPeak: undefined, basis: 'runs', growth: undefined };
  if (points.length === 0) return summary;
  summary.start = points[0]?.[name];
  summary.end = points[points.length - 1]?.[name];
  for (const p of points) {
    if (summary.peak === undefined || p[name] > summary.peak) {
      summary.peak = p[name];
      summary.peakT = p.t;
    }
  }
  const runs = [...new Set(points.map((p) => p.run))].filter((r) => r > 0).sort((x, y) => x - y);
  const peakOf = (list: typeof points): number | undefined => (list.length === 0 ? undefined : Math.max(...list.map((p) => p[name])));
  if (runs.length >= 2) {
    summary.firstPeak = peakOf(points.filter((p) => p.run === runs[0]));
    summary.lastPeak = peakOf(points.filter((p) => p.run === runs[runs.length - 1]));
  } else {
    summary.basis = 'thirds';
    const third = Math.floor(points.length / 3);
    summary.firstPeak = peakOf(points.slice(0, Math.max(1, third)));
    summary.lastPeak = peakOf(points.slice(points.length - Math.max(1, third)));
  }
  if (summary.firstPeak !== undefined && summary.lastPeak !== undefined && summary.firstPeak > 0) summary.growth = summary.lastPeak / summary.firstPeak;
  return summary;
}

/** Valid answers per second over 10 s windows within a run: median and slowest (with when), or undefined. */
function pace(samples: Sample[], runs: RunRecord[]): { median: number; slowest: number; slowestT: number } | undefined {
  const rates: { rate: number; t: number }[] = [];
  const points = samples.filter((s) => s.answers !== undefined && s.run > 0);
  let j = 0;
  for (let i = 0; i < points.length; i++) {
    const a = points[i];
    if (a === undefined) continue;
    const run = runs.find((r) => r.index === a.run);
    if (run?.finishedT === undefined) continue;
    j = Math.max(j, i + 1);
    while (j < points.length && (points[j]?.t ?? Infinity) < a.t + 10) j++;
    const b = points[j];
    if (b === undefined || b.run !== a.run || b.t > run.finishedT) continue;
    rates.push({ rate: ((b.answers ?? 0) - (a.answers ?? 0)) / (b.t - a.t), t: a.t });
  }
  if (rates.length === 0) return undefined;
  const sorted = [...rates].sort((x, y) => x.rate - y.rate);
  const slowest = sorted[0] as { rate: number; t: number };
  return { median: sorted[Math.floor(sorted.length / 2)]?.rate ?? 0, slowest: slowest.rate, slowestT: slowest.t };
}

function markdownTable(checks: Check[]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  return [
    '| check | figure | target | ratio | holds |',
    '|---|---|---|---|---|',
    ...checks.map((c) => `| ${cell(c.check)} | ${cell(c.figure)} | ${cell(c.target)} | ${c.ratio === null ? '—' : String(c.ratio)} | ${c.holds ? 'yes' : '**NO**'} |`),
  ].join('\n');
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/** The code under test: the commit, and how many of its source files had uncommitted changes when the soak built it. */
function codeVersion(): string {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--', 'src', 'jobs', 'workers', 'bin'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .split('\n')
      .filter((line) => line.trim() !== '').length;
    return changed === 0 ? `commit ${commit}` : `commit ${commit} + uncommitted changes in ${changed} source files`;
  } catch {
    return 'unknown (no git)';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  const soak = new Soak(options);
  const began = Date.now();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      soak.killAllSync();
      process.exit(130);
    }
    interrupted = true;
    process.stdout.write(`\n${signal}: stopping every child process (again to exit at once)\n`);
    void soak
      .cleanup(!options.keep)
      .catch(() => undefined)
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => soak.killAllSync());

  let machine: MachineFacts | undefined;
  let serverStats: SoakServerStats | undefined;
  let verification: Awaited<ReturnType<Soak['verify']>> = [];
  let schedule: ChaosEvent[] = [];
  const windowMs = Math.round(options.minutes * 60_000);
  const code = codeVersion();
  try {
    machine = await machineFacts();
    soak.log.add('setup', `seed ${options.seed}, ${options.minutes} min window, ${options.pairs.toLocaleString('en-US')} pairs a run, ${options.workers} workers x concurrency ${options.concurrency}, latency ${options.latencyMs} ms, ${options.maxDocs} documents a request`);
    await soak.setUp();
    schedule = chaosSchedule({ seed: options.seed, windowMs, workers: options.workers });
    soak.log.add('setup', `chaos schedule: ${schedule.length} events (${CHAOS_KINDS.map((k) => `${k} ${schedule.filter((e) => e.action.kind === k).length}`).join(', ')})`);
    const windowStart = Date.now();
    const windowEnd = windowStart + windowMs;
    soak.windowStartT = soak.log.seconds(windowStart);
    soak.windowEndT = soak.log.seconds(windowEnd);
    soak.log.add('window', `chaos window opens; closes at ${soak.windowEndT.toFixed(0)} s`);
    soak.startSampling();
    const hardDeadline = windowEnd + options.drainMinutes * 60_000;
    await Promise.all([soak.chaos(schedule, windowStart, windowEnd), soak.runLoop(windowEnd, hardDeadline)]);
    serverStats = await soak.tearDownChaos();
    verification = await soak.verify();
  } catch (err) {
    soak.fail(`soak error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }

  // --- checks ------------------------------------------------------------------------------------------
  const checks: Check[] = [];
  const completed = soak.runs.filter((r) => r.completed);
  const totalPairs = completed.reduce((sum, r) => sum + r.pairs, 0);
  const totalBatches = completed.reduce((sum, r) => sum + (r.batches ?? 0), 0);
  const windowSeconds = soak.windowEndT - soak.windowStartT;
  const covered = soak.runs.reduce((sum, r) => sum + Math.max(0, Math.min(r.finishedT ?? soak.windowEndT, soak.windowEndT) - Math.max(r.startedT, soak.windowStartT)), 0);
  checks.push({
    check: 'runs under chaos',
    figure:
      `${completed.length} of ${soak.runs.length} runs completed, ${totalPairs.toLocaleString('en-US')} pairs, ${totalBatches.toLocaleString('en-US')} batches; ` +
      `window ${(windowSeconds / 60).toFixed(1)} min, a run in progress ${windowSeconds > 0 ? ((covered / windowSeconds) * 100).toFixed(0) : '0'}% of it`,
    target: `every run completes; window >= ${options.minutes} min`,
    ratio: null,
    holds: soak.runs.length > 0 && completed.length === soak.runs.length && windowSeconds >= options.minutes * 60 - 1,
  });
  const missingKinds = CHAOS_KINDS.filter((k) => soak.executed[k] === 0);
  checks.push({
    check: 'chaos events',
    figure:
      `${soak.executed['kill-worker']} worker SIGKILLs, ${soak.executed['restart-redis']} Redis restarts, ${soak.executed['pause-redis']} Redis SIGSTOPs, ` +
      `${soak.executed['api-faults']} API fault periods, ${soak.executed['kill-collect']} collect SIGKILLs` +
      (Object.values(soak.skipped).some((n) => n > 0) ? ` (${Object.entries(soak.skipped).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k} skipped`).join(', ')})` : ''),
    target: 'each kind at least once',
    ratio: null,
    holds: missingKinds.length === 0,
  });
  const identical = verification.filter((v) => v.identical).length;
  checks.push({
    check: 'outputs vs clean run',
    figure: `${identical} of ${completed.length} runs: ranked.trec, ranked.jsonl, metrics.json byte-identical`,
    target: 'all identical',
    ratio: null,
    holds: completed.length > 0 && identical === completed.length && verification.length === completed.length,
  });
  const lost = verification.reduce((sum, v) => sum + (v.coverage?.lost ?? 0), 0);
  const duplicated = verification.reduce((sum, v) => sum + (v.coverage?.duplicated ?? 0), 0);
  const extra = verification.reduce((sum, v) => sum + (v.coverage?.extra ?? 0), 0);
  const notEmpty = verification.filter((v) => !v.failuresEmpty).length;
  const outcomes = completed.filter((r) => r.manifest?.outcome !== 'complete').length;
  checks.push({
    check: 'pairs',
    figure: `${lost} lost, ${duplicated} duplicated, ${extra} unknown in ranked.trec; ${notEmpty} non-empty failures.jsonl; ${outcomes} runs not "complete"`,
    target: '0, 0, 0; 0; 0',
    ratio: null,
    holds: verification.length > 0 && lost + duplicated + extra + notEmpty + outcomes === 0 && verification.every((v) => v.coverage !== undefined),
  });
  const bound = soak.kills.reduce((sum, k) => sum + k.concurrency, 0);
  const repeated = serverStats === undefined ? undefined : serverStats.valid - serverStats.distinct;
  // A repeat a kill explains: the batch's first valid answer reached a worker at most 5 s before that worker was
  // SIGKILLed (answered, not yet marked done), and it was asked again once the lock expired.
  const attributed = (serverStats?.repeated ?? []).filter((batch) => {
    const first = soak.log.seconds(batch.times[0] ?? 0);
    return soak.kills.some((kill) => kill.t - first >= -0.5 && kill.t - first <= 5);
  }).length;
  checks.push({
    check: 'repeated API requests',
    figure:
      serverStats === undefined
        ? 'no counts'
        : `${serverStats.valid.toLocaleString('en-US')} valid answers for ${serverStats.distinct.toLocaleString('en-US')} distinct batches (${totalBatches.toLocaleString('en-US')} in the runs): ` +
          `${String(repeated)} repeated (${attributed} of ${serverStats.repeated.length} repeated batches first answered <= 5 s before a worker SIGKILL); ` +
          `bound ${soak.kills.length} worker kills x concurrency ${options.concurrency} = ${bound}`,
    target: `repeated <= bound; distinct = batches`,
    ratio: repeated === undefined || bound === 0 ? null : round2(repeated / bound),
    holds: serverStats !== undefined && repeated !== undefined && repeated <= bound && serverStats.distinct === totalBatches,
  });
  const maxGap = Math.max(0, ...soak.runs.map((r) => r.maxProgressGapMs));
  const hung = soak.fatal?.startsWith('hang') === true;
  checks.push({
    check: 'no hang',
    figure: `longest wait for a new batch on the collector's disk ${(maxGap / 1000).toFixed(0)} s${hung ? `; ${String(soak.fatal)}` : ''}`,
    target: `< ${options.stallSeconds} s; last run done <= ${options.drainMinutes} min after the window`,
    ratio: round2(maxGap / 1000 / options.stallSeconds),
    holds: !hung && maxGap < options.stallSeconds * 1000 && soak.runs.every((r) => r.completed),
  });
  checks.push({
    check: 'unexpected exits',
    figure: soak.anomalies.length === 0 ? 'none: every process exited only when the soak ended it (workers: exit 130 on SIGTERM, as documented)' : soak.anomalies.map((a) => `${a.t.toFixed(0)} s ${a.text}`).join('; '),
    target: '0',
    ratio: null,
    holds: soak.anomalies.length === 0,
  });
  const summaries = SERIES.map(({ name, label }) => ({ label, summary: summarize(soak.samples, name) }));
  for (const { label, summary } of summaries) {
    const fmt = (n: number | undefined): string => (n === undefined ? '—' : mb(n));
    checks.push({
      check: label,
      figure:
        summary.samples === 0
          ? 'no samples'
          : `start ${fmt(summary.start)}, peak ${fmt(summary.peak)} (at ${String(summary.peakT)} s), end ${fmt(summary.end)}; ` +
            `peak ${summary.basis === 'runs' ? 'first run' : 'first third'} ${fmt(summary.firstPeak)}, ${summary.basis === 'runs' ? 'last run' : 'last third'} ${fmt(summary.lastPeak)}`,
      target: `last/first peak <= ${options.growthFactor}x`,
      ratio: summary.growth === undefined ? null : round2(summary.growth),
      holds: summary.growth !== undefined && summary.growth <= options.growthFactor,
    });
  }
  if (soak.fatal !== undefined && !hung) checks.push({ check: 'soak ran to the end', figure: soak.fatal.split('\n')[0] ?? soak.fatal, target: 'no fatal error', ratio: null, holds: false });

  const ok = checks.every((c) => c.holds) && soak.fatal === undefined;
  const totalSeconds = (Date.now() - began) / 1000;
  const table = markdownTable(checks);
  const date = new Date().toISOString().slice(0, 10);
  const notes = [
    `Command: npm run soak -- --minutes ${options.minutes} --seed ${options.seed} --pairs ${options.pairs} --workers ${options.workers} --concurrency ${options.concurrency} --latency-ms ${options.latencyMs} --max-docs ${options.maxDocs}`,
    `Total time ${totalSeconds.toFixed(0)} s (chaos window ${windowSeconds.toFixed(0)} s, then the last run's drain and ${verification.length} clean reference runs).`,
    `Code under test: ${code} (dist/ as built by the soak's npm run build, copied before the first process started).`,
    machine === undefined ? '' : `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB RAM, ${machine.platform}; Node ${machine.node}; Redis ${machine.redis}.`,
    ...completed.map(
      (r) =>
        `Run ${r.index} (${r.runId}, corpus seed ${r.corpusSeed}): ${r.pairs.toLocaleString('en-US')} pairs, ${String(r.batches)} batches, ${((r.finishedT ?? 0) - r.startedT).toFixed(0)} s, ` +
        `${r.chaosEvents} chaos events during it, collect started ${r.collectStarts}x, API requests ${String(r.manifest?.counts?.api_requests)}, retries ${String(r.manifest?.counts?.retries)}, 429s ${String(r.manifest?.counts?.rate_limited)}.`,
    ),
    ((p) => (p === undefined ? '' : `Pace (valid answers/s over 10 s windows within a run): median ${p.median.toFixed(0)}, slowest ${p.slowest.toFixed(1)} (from ${p.slowestT.toFixed(0)} s).`))(pace(soak.samples, soak.runs)),
    serverStats === undefined
      ? ''
      : `API (proxy counts): ${serverStats.requests.toLocaleString('en-US')} requests; answers by status ${JSON.stringify(serverStats.byStatus)}; ` +
        `${serverStats.invalid200} malformed or incomplete 200s; ${serverStats.resets} resets; ${serverStats.abandoned} abandoned by the client (hung requests timed out).`,
    serverStats === undefined || serverStats.repeated.length === 0
      ? ''
      : `Batches answered validly more than once (first ${Math.min(10, serverStats.repeated.length)}; times in s): ${serverStats.repeated
          .slice(0, 10)
          .map((b) => `${b.key} at ${b.times.map((at) => soak.log.seconds(at).toFixed(1)).join(' and ')}`)
          .join('; ')}.`,
    soak.kills.length === 0 ? '' : `Worker kills (t, slot, pid, requests in flight over all workers just before): ${soak.kills.map((k) => `${k.t.toFixed(0)} s slot ${k.slot} pid ${k.pid} (${k.inFlightAll})`).join('; ')}.`,
  ].filter((line) => line !== '');

  process.stdout.write(`\n### Chaos soak (${date})\n\n${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n`);

  // --- what went wrong, with the event log around it ---------------------------------------------------------
  const problemTimes: Problem[] = [...soak.problems];
  if (serverStats !== undefined && repeated !== undefined && repeated > bound) {
    for (const batch of serverStats.repeated.slice(0, 20)) {
      const times = batch.times.map((at) => soak.log.seconds(at));
      problemTimes.push({ t: times[times.length - 1] ?? 0, what: `batch ${batch.key} (query "...${batch.query}") answered validly ${batch.times.length} times, at ${times.map((t) => `${t.toFixed(1)} s`).join(', ')}` });
    }
  }
  for (const v of verification.filter((x) => !x.identical)) {
    const run = soak.runs.find((r) => r.index === v.index);
    problemTimes.push({ t: run?.finishedT ?? 0, what: `run ${v.index} (${String(run?.runId)}, corpus seed ${String(run?.corpusSeed)}): ${v.differences.join('; ')}` });
  }
  let report = '';
  if (!ok) {
    report += `\nSOAK FAILED (seed ${options.seed}). What went wrong, each with the event log within 30 s of it:\n`;
    for (const problem of problemTimes.slice(0, 30)) {
      report += `\n* at ${problem.t.toFixed(1)} s: ${problem.what}\n`;
      for (const entry of soak.log.around(problem.t)) report += `    ${formatEntry(entry)}\n`;
    }
    for (const a of soak.anomalies.slice(0, 5)) report += `\n--- last output of the process behind "${a.text}" ---\n${a.tail.slice(-2000)}\n`;
    report += `\nLogs of every process: ${join(soak.work, 'logs')} (kept).\n`;
    process.stdout.write(report);
  } else {
    process.stdout.write(`\nSOAK PASSED: every check holds (seed ${options.seed}).\n`);
  }

  const results = join(repoRoot, 'bench', 'results');
  await mkdir(results, { recursive: true });
  const markdown =
    `### Chaos soak (${date})\n\n${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n\n` +
    (ok ? '' : `#### Problems\n\n\`\`\`\n${report.trim()}\n\`\`\`\n\n`) +
    `#### Event log\n\n\`\`\`\n${soak.log.entries.map(formatEntry).join('\n')}\n\`\`\`\n`;
  await writeFile(join(results, 'soak-latest.md'), markdown);
  await writeFile(
    join(results, 'soak-latest.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        ok,
        options,
        code,
        machine,
        totalSeconds,
        window: { startT: soak.windowStartT, endT: soak.windowEndT },
        checks,
        notes,
        schedule,
        executed: soak.executed,
        skipped: soak.skipped,
        kills: soak.kills,
        collectKills: soak.collectKills,
        runs: soak.runs.map(({ corpus: _c, qrels: _q, out: _o, ...rest }) => rest),
        verification,
        server: serverStats,
        memory: summaries.map((s) => s.summary),
        samples: soak.samples,
        anomalies: soak.anomalies,
        problems: problemTimes,
        fatal: soak.fatal,
        events: soak.log.entries,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`Wrote bench/results/soak-latest.json and soak-latest.md.\n`);
  await soak.cleanup(ok && !options.keep);
  if (!ok && !options.keep && soak.work !== '') {
    // Keep what explains the failure (logs, the failing runs' corpora and outputs), not what passed.
    await rm(join(soak.work, 'app'), { recursive: true, force: true });
    for (const v of verification) {
      if (v.identical && v.failuresEmpty && v.coverage !== undefined && v.coverage.lost + v.coverage.duplicated + v.coverage.extra === 0) {
        await rm(join(soak.work, 'runs', `r${v.index}`), { recursive: true, force: true });
      }
    }
  }
  if (!ok || options.keep) process.stdout.write(`Work directory kept: ${soak.work}\n`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
