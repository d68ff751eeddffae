import type { Command } from 'commander';
import { formatRunStatus, progressOf, runStatus, type RunStatusReport, type RunStatusSource } from '../collect/run-status.js';
import { PROGRESS_TICK_MS } from '../collect/progress-ticker.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { collectResolved } from '../orchestrate/collect.js';
import { openExistingRun } from '../orchestrate/open-run.js';
import { redisSettingsOf } from '../redis/connect.js';
import { serveWorkers } from '../orchestrate/serve-workers.js';
import { defineCommand } from './command-options.js';
import { ExitCode } from './exit-codes.js';
import { closeRun } from './closing-summary.js';
import { ProgressDisplay, progressModeOf } from './progress-display.js';
import { commandContext, gatesOf, progressContext } from './run-command.js';
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
      // The qrels may come from the submitted run: a gate without them fails once the run is known.
      const gates = gatesOf(input.options, false);
      const { logger, events, display } = progressContext(input.options);
      const resolve = (submission?: Record<string, unknown>) => (submission === undefined ? input : input.withSubmission(submission));
      try {
        const report = await collectResolved(name, resolve, { logger, events, signal: processStopSignal(events, input.options.shutdownGraceMs) });
        display.stop();
        setExitCode(closeRun(report, input.options.out, gates, input.options.json));
      } finally {
        display.stop();
      }
    });
  }

  defineCommand(program, 'status', async ({ options }) => {
    const { logger } = commandContext(options);
    const handle = await openExistingRun(options.runId, redisSettingsOf(options), options.prefix, logger);
    try {
      const report = options.watch ? await watchRun(handle, new ProgressDisplay(progressModeOf({ quiet: false, logFormat: options.logFormat }), options.progressInterval, logger)) : await runStatus(handle);
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

/**
 * `status --watch`: the run's progress, read every second, until it is no longer running (collected and
 * written, or aborted). Returns the last report.
 */
async function watchRun(handle: RunStatusSource, display: ProgressDisplay): Promise<RunStatusReport> {
  try {
    for (;;) {
      const state = await handle.store.get(handle.runId);
      if (state === undefined) throw new RerankBatchError('ERR_RUN_UNKNOWN', `run ${handle.runId} has no state in Redis any more (cancelled?)`);
      const report = await runStatus({ ...handle, state });
      display.update(progressOf(report));
      if (state.status !== 'running') return report;
      await new Promise((resolve) => setTimeout(resolve, PROGRESS_TICK_MS));
    }
  } finally {
    display.stop();
  }
}
