import type { Command } from 'commander';
import { commandLogger } from '../logger.js';
import { runPipeline } from '../orchestrate/run-pipeline.js';
import { intArg } from './parse-option.js';
import { addInputAndApiFlags, addOutputFlags, runOptionsFromFlags, type RunFlags } from './run-flags.js';
import { shutdownSignal } from '../orchestrate/shutdown.js';

export function registerRunCommand(program: Command, setExitCode: (code: number) => void): void {
  const command = program
    .command('run')
    .description('rerank a corpus end to end: queue it, score it (workers here and on other machines), write outputs')
    .requiredOption('-o, --out <dir>', 'output directory');
  addInputAndApiFlags(command);
  addOutputFlags(command);
  command
    .option('--concurrency <n>', 'API requests in flight in this process (default: 8)', intArg)
    .option('--no-workers', 'start no workers here: only queue and collect (workers run elsewhere)')
    .option('--lock-duration-ms <n>', 'BullMQ lock duration of this process\'s workers (default: 30000)', intArg)
    .option('--stalled-interval-ms <n>', 'how often to look for jobs of killed workers (default: 15000)', intArg)
    .option('--shutdown-grace-ms <n>', 'on SIGINT/SIGTERM, how long in-flight requests may finish (default: 10000)', intArg)
    .action(async (flags: RunFlags) => {
      const logger = commandLogger(flags);
      const report = await runPipeline(runOptionsFromFlags(flags), logger, process.env, shutdownSignal(logger));
      setExitCode(report.exitCode);
    });
}
