import type { Command } from 'commander';
import { DEFAULT_PREFIX } from '../../jobs/names.js';
import { WorkerHost } from '../../workers/worker-host.js';
import { DEFAULT_CONCURRENCY } from '../../workers/worker-options.js';
import { collectRun, type OutputSettings } from '../orchestrate/collect-run.js';
import { formatRunStatus, runStatus } from '../collect/run-status.js';
import { submitInput } from '../orchestrate/submit-input.js';
import { commandLogger } from '../logger.js';
import { openExistingRun, openSubmittedRun } from '../orchestrate/open-run.js';
import { normalizeRunOptions } from '../options/run-options.js';
import type { RunState } from '../state/run-store.js';
import { intArg } from './parse-option.js';
import { addInputAndApiFlags, addOutputFlags, runOptionsFromFlags, type RunFlags } from './run-flags.js';
import { shutdownSignal } from '../orchestrate/shutdown.js';

interface ExistingRunFlags {
  runId: string;
  redis?: string;
  prefix: string;
  logLevel?: string;
}

interface CollectFlags extends ExistingRunFlags {
  out: string;
  qrels?: string;
  topN?: number;
  runTag?: string;
  relLevel?: number;
  workers: boolean;
  concurrency: number;
}

function addExistingRunFlags(command: Command): Command {
  return command
    .requiredOption('--run-id <id>', 'the run (printed by submit and run, and in manifest.json)')
    .option('--redis <url>', 'Redis URL (default: REDIS_URL, else 127.0.0.1:6379)')
    .option('--prefix <prefix>', 'Redis key prefix', DEFAULT_PREFIX)
    .option('--log-level <level>', 'pino log level (default: LOG_LEVEL or info)');
}

/** Output settings: flags first, then what the run was submitted with. */
function outputSettings(flags: CollectFlags, state: RunState): OutputSettings {
  const submitted = state.submission?.options ?? {};
  const pick = <T>(flag: T | undefined, key: string, fallback: T): T => flag ?? (submitted[key] as T | undefined) ?? fallback;
  const qrels = pick<string | undefined>(flags.qrels, 'qrels', undefined);
  const topN = pick<number | undefined>(flags.topN, 'topN', undefined);
  return {
    outDir: flags.out,
    runTag: pick(flags.runTag, 'runTag', 'rerank-batch'),
    relLevel: pick(flags.relLevel, 'relLevel', 1),
    ...(qrels === undefined ? {} : { qrels }),
    ...(topN === undefined ? {} : { topN }),
  };
}

/** Collect a run into --out, with workers in this process unless --no-workers (collect, retry-failed). */
async function collectCommand(flags: CollectFlags, retryFailed: boolean): Promise<number> {
  const logger = commandLogger(flags);
  const handle = await openExistingRun(flags.runId, flags.redis, flags.prefix, logger);
  let host: WorkerHost | undefined;
  try {
    if (retryFailed) {
      const failed = await handle.queue.getFailedCount();
      await handle.store.register(handle.state.config);
      await handle.queue.retryJobs({ state: 'failed' });
      logger.info({ runId: flags.runId, failed }, 'failed batches queued again');
    }
    if (flags.workers) {
      host = new WorkerHost(() => handle.redis.connect(), { prefix: flags.prefix, concurrency: flags.concurrency, runIds: [flags.runId] }, logger, process.env.RERANK_API_KEY);
      await host.start();
    }
    const report = await collectRun(handle, outputSettings(flags, handle.state), logger, { stop: shutdownSignal(logger) });
    return report?.exitCode ?? 1;
  } finally {
    host?.handBackInFlight();
    await host?.close();
    await handle.close();
  }
}

export function registerRunAdminCommands(program: Command, setExitCode: (code: number) => void): void {
  const submit = program
    .command('submit')
    .description('read the input and queue the run on Redis, then return; `worker`s score it and `collect` writes it');
  addInputAndApiFlags(submit)
    .option('--rejects <file>', 'where rows skipped with --on-bad-row skip are listed', 'rejects.jsonl')
    .action(async (flags: RunFlags & { rejects: string }) => {
      const logger = commandLogger(flags);
      const options = normalizeRunOptions(runOptionsFromFlags(flags));
      const handle = await openSubmittedRun(options, logger, process.env, { allowBuiltinServer: false });
      try {
        const report = await submitInput(handle, options, flags.rejects, logger, shutdownSignal(logger));
        process.stdout.write(`${handle.runId}\n`);
        logger.info({ runId: handle.runId, ...report }, 'run submitted');
        setExitCode(0);
      } finally {
        await handle.close();
      }
    });

  for (const [name, retry, description] of [
    ['collect', false, 'wait for a run to finish and write its outputs to --out (resumable; several collect calls may share one --out one after another)'],
    ['retry-failed', true, 'queue the failed batches of a run again, then collect it into --out (merged into the same outputs)'],
  ] as const) {
    const command = program.command(name).description(description).requiredOption('-o, --out <dir>', 'output directory');
    addExistingRunFlags(command);
    addOutputFlags(command)
      .option('--no-workers', 'start no workers here (workers run elsewhere)')
      .option('--concurrency <n>', 'API requests in flight in this process', intArg, DEFAULT_CONCURRENCY)
      .action(async (flags: CollectFlags) => setExitCode(await collectCommand(flags, retry)));
  }

  addExistingRunFlags(program.command('status').description('progress of a run: batches done/total, pairs/s, ETA, retries, 429s, failures'))
    .option('--json', 'print JSON')
    .action(async (flags: ExistingRunFlags & { json?: boolean }) => {
      const logger = commandLogger(flags);
      const handle = await openExistingRun(flags.runId, flags.redis, flags.prefix, logger);
      try {
        const report = await runStatus(handle);
        process.stdout.write(flags.json === true ? `${JSON.stringify(report, null, 2)}\n` : formatRunStatus(report));
        setExitCode(0);
      } finally {
        await handle.close();
      }
    });

  addExistingRunFlags(program.command('cancel').description('remove a run: its pending jobs and all its Redis state (outputs on disk stay)')).action(
    async (flags: ExistingRunFlags) => {
      const logger = commandLogger(flags);
      const handle = await openExistingRun(flags.runId, flags.redis, flags.prefix, logger);
      try {
        await handle.store.delete(flags.runId);
        await handle.queue.obliterate({ force: true });
        logger.info({ runId: flags.runId }, 'run cancelled: its jobs and state are gone from Redis');
        setExitCode(0);
      } finally {
        await handle.close();
      }
    },
  );
}
