import { Command } from 'commander';
import { DEFAULT_PREFIX } from '../../jobs/names.js';
import { WorkerHost } from '../../workers/worker-host.js';
import { DEFAULT_CONCURRENCY, DEFAULT_LOCK_DURATION_MS, DEFAULT_STALLED_INTERVAL_MS } from '../../workers/worker-options.js';
import { commandLogger } from '../logger.js';
import { resolveRedis } from '../redis/connect.js';
import { warnOnEvictionPolicy } from '../redis/eviction-policy.js';
import { intArg } from './parse-option.js';
import { shutdownSignal } from '../orchestrate/shutdown.js';

interface WorkerFlags {
  redis?: string;
  prefix: string;
  concurrency: number;
  runId?: string[];
  lockDurationMs: number;
  stalledIntervalMs: number;
  shutdownGraceMs: number;
  logLevel?: string;
}

export function registerWorkerCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('worker')
    .description('serve runs from Redis: take batches, call the rerank API (RERANK_API_KEY from the environment), until SIGINT/SIGTERM')
    .option('--redis <url>', 'Redis URL (default: REDIS_URL, else 127.0.0.1:6379)')
    .option('--prefix <prefix>', 'Redis key prefix', DEFAULT_PREFIX)
    .option('--concurrency <n>', 'API requests in flight in this process', intArg, DEFAULT_CONCURRENCY)
    .option('--run-id <id...>', 'serve only these runs (default: every active run)')
    .option('--lock-duration-ms <n>', 'BullMQ lock duration: how soon a killed worker\'s jobs go to others', intArg, DEFAULT_LOCK_DURATION_MS)
    .option('--stalled-interval-ms <n>', 'how often to look for jobs of killed workers', intArg, DEFAULT_STALLED_INTERVAL_MS)
    .option('--shutdown-grace-ms <n>', 'on SIGINT/SIGTERM, how long in-flight requests may finish before their jobs are handed back', intArg, 10_000)
    .option('--log-level <level>', 'pino log level (default: LOG_LEVEL or info)')
    .action(async (flags: WorkerFlags) => {
      const logger = commandLogger(flags);
      // A worker joins an existing Redis: it never starts a private one nobody else could reach.
      const redis = await resolveRedis(flags.redis, logger, { allowPrivate: false });
      const probe = redis.connect();
      await warnOnEvictionPolicy(probe, logger);
      await probe.quit();
      const host = new WorkerHost(() => redis.connect(), {
          prefix: flags.prefix,
          concurrency: flags.concurrency,
          lockDurationMs: flags.lockDurationMs,
          stalledIntervalMs: flags.stalledIntervalMs,
          ...(flags.runId === undefined ? {} : { runIds: flags.runId }),
        }, logger, process.env.RERANK_API_KEY);
      await host.start();
      logger.info({ redis: redis.displayUrl, prefix: flags.prefix, concurrency: flags.concurrency }, 'worker started');
      const stop = shutdownSignal(logger);
      await new Promise((resolve) => stop.addEventListener('abort', resolve, { once: true }));
      const closing = host.close();
      const grace = setTimeout(() => {
        logger.warn({ graceMs: flags.shutdownGraceMs }, 'in-flight requests did not finish in time: handing their jobs back');
        host.handBackInFlight();
      }, flags.shutdownGraceMs);
      await closing;
      clearTimeout(grace);
      setExitCode(0);
    });
}
