import { Command, CommanderError } from 'commander';
import { InputError } from '../errors/input-error.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { UsageError } from '../errors/usage-error.js';
import { isRedisAuthError } from '../redis/redis-errors.js';
import { registerCacheCommands } from './cache-command.js';
import { registerDashboardCommand } from './dashboard-command.js';
import { registerDiffCommand } from './diff-command.js';
import { registerEstimateCommand } from './estimate-command.js';
import { registerEvalCommand } from './eval-command.js';
import { ExitCode } from './exit-codes.js';
import { registerInitCommand } from './init-command.js';
import { registerReportCommand } from './report-command.js';
import { registerRunAdminCommands } from './run-admin-commands.js';
import { registerRunCommands } from './run-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerTrecEvalCommand } from './trec-eval-command.js';

/** Build the `rerank-batch` program. */
export function buildProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('rerank-batch')
    .description('Offline batch reranking of query-candidate pairs through a rerank API, on BullMQ and Redis')
    .showHelpAfterError()
    .exitOverride();
  registerRunCommands(program, setExitCode);
  registerRunAdminCommands(program, setExitCode);
  registerServeCommand(program, setExitCode);
  registerDashboardCommand(program, setExitCode);
  registerEstimateCommand(program, setExitCode);
  registerEvalCommand(program, setExitCode);
  registerTrecEvalCommand(program, setExitCode);
  registerDiffCommand(program, setExitCode);
  registerReportCommand(program, setExitCode);
  registerCacheCommands(program, setExitCode);
  registerInitCommand(program, setExitCode);
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return program;
}

/** Run the CLI; returns the process exit code (see exit-codes.ts). */
export async function main(argv: string[]): Promise<number> {
  let code: number = ExitCode.Ok;
  const program = buildProgram((c) => {
    code = c;
  });
  try {
    await program.parseAsync(argv);
    return code;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit 0; every other commander error is bad usage, already printed.
      return err.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
    }
    if (err instanceof InputError || err instanceof UsageError) {
      process.stderr.write(`rerank-batch: error ${err.code}: ${err.message}\n`);
      return ExitCode.BadInput;
    }
    if (err instanceof RerankBatchError) {
      process.stderr.write(`rerank-batch: error ${err.code}: ${err.message}\n`);
      return ExitCode.Failures;
    }
    if (isRedisAuthError(err)) {
      // A permission the start-up check could not see (e.g. an ACL user without access to the prefix's keys).
      const reason = (err as Error).message.split('\n', 1)[0] ?? '';
      process.stderr.write(`rerank-batch: error ERR_REDIS_AUTH: Redis refused a command (${reason}): grant the Redis user the commands BullMQ uses on the keys of --prefix\n`);
      return ExitCode.Failures;
    }
    process.stderr.write(`rerank-batch: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return ExitCode.Failures;
  }
}
