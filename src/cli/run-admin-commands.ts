import type { Command } from 'commander';
import { formatRunStatus, runStatus } from '../collect/run-status.js';
import { collectResolved } from '../orchestrate/collect.js';
import { openExistingRun } from '../orchestrate/open-run.js';
import { redisSettingsOf } from '../redis/connect.js';
import { serveWorkers } from '../orchestrate/serve-workers.js';
import { defineCommand } from './command-options.js';
import { exitCodeFor, ExitCode } from './exit-codes.js';
import { commandContext } from './run-command.js';
import { processStopSignal } from './stop-signal.js';

export function registerRunAdminCommands(program: Command, setExitCode: (code: number) => void): void {
  defineCommand(program, 'worker', async (input) => {
    const { logger, events } = commandContext(input.options);
    await serveWorkers(input, { logger, events, signal: processStopSignal(events, input.options.shutdownGraceMs) });
    // A worker ends only when told to: by a signal (the shell's 130) or, with an outage budget, by an error.
    setExitCode(ExitCode.Interrupted);
  });

  for (const name of ['collect', 'retry-failed'] as const) {
    defineCommand(program, name, async (input) => {
      const { logger, events } = commandContext(input.options);
      const resolve = (submission?: Record<string, unknown>) => (submission === undefined ? input : input.withSubmission(submission));
      const report = await collectResolved(name, resolve, { logger, events, signal: processStopSignal(events, input.options.shutdownGraceMs) });
      setExitCode(exitCodeFor(report.outcome));
    });
  }

  defineCommand(program, 'status', async ({ options }) => {
    const { logger } = commandContext(options);
    const handle = await openExistingRun(options.runId, redisSettingsOf(options), options.prefix, logger);
    try {
      const report = await runStatus(handle);
      process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatRunStatus(report));
      setExitCode(ExitCode.Ok);
    } finally {
      await handle.close();
    }
  });

  defineCommand(program, 'cancel', async ({ options }) => {
    const { logger } = commandContext(options);
    const handle = await openExistingRun(options.runId, redisSettingsOf(options), options.prefix, logger);
    try {
      await handle.store.delete(options.runId);
      await handle.queue.obliterate({ force: true });
      logger.info({ runId: options.runId }, 'run cancelled: its jobs and state are gone from Redis');
      setExitCode(ExitCode.Ok);
    } finally {
      await handle.close();
    }
  });
}
