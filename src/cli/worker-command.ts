import { Command } from 'commander';
import { DEFAULT_PREFIX } from '../../jobs/names.js';
import { WorkerHost } from '../../workers/worker-host.js';
import { DEFAULT_CONCURRENCY } from '../../workers/worker-options.js';
import { createLogger } from '../logger.js';
import { resolveRedis } from '../redis/connect.js';
import { warnOnEvictionPolicy } from '../redis/eviction-policy.js';
import { intArg } from './parse-option.js';

interface WorkerFlags {
  redis?: string;
  prefix: string;
  concurrency: number;
  runId?: string[];
  logLevel?: string;
}

/** Wait for SIGINT/SIGTERM; a second signal exits at once. */
function untilSignal(onSecond: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const handler = (signal: NodeJS.Signals): void => {
      if (seen) onSecond();
      seen = true;
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

export function registerWorkerCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('worker')
    .description('serve runs from Redis: take batches, call the rerank API (RERANK_API_KEY from the environment), until SIGINT/SIGTERM')
    .option('--redis <url>', 'Redis URL (default: REDIS_URL, else 127.0.0.1:6379)')
    .option('--prefix <prefix>', 'Redis key prefix', DEFAULT_PREFIX)
    .option('--concurrency <n>', 'API requests in flight in this process', intArg, DEFAULT_CONCURRENCY)
    .option('--run-id <id...>', 'serve only these runs (default: every active run)')
    .option('--log-level <level>', 'pino log level (default: LOG_LEVEL or info)')
    .action(async (flags: WorkerFlags) => {
      const logger = createLogger(flags.logLevel === undefined ? {} : { level: flags.logLevel });
      // A worker joins an existing Redis: it never starts a private one nobody else could reach.
      const redis = await resolveRedis(flags.redis, logger, { allowPrivate: false });
      const probe = redis.connect();
      await warnOnEvictionPolicy(probe, logger);
      await probe.quit();
      const host = new WorkerHost(() => redis.connect(), { prefix: flags.prefix, concurrency: flags.concurrency, ...(flags.runId === undefined ? {} : { runIds: flags.runId }) }, logger, process.env.RERANK_API_KEY);
      await host.start();
      logger.info({ redis: redis.displayUrl, prefix: flags.prefix, concurrency: flags.concurrency }, 'worker started');
      const signal = await untilSignal(() => process.exit(130));
      logger.info({ signal }, 'stopping: finishing in-flight requests (signal again to exit at once)');
      await host.close();
      setExitCode(0);
    });
}
