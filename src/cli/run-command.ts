import type { Command } from 'commander';
import { Lifecycle } from '../lifecycle-events.js';
import { createLogger, type Logger } from '../logger.js';
import { runResolved } from '../orchestrate/run-pipeline.js';
import { submitResolved } from '../orchestrate/submit.js';
import { defineCommand } from './command-options.js';
import { exitCodeFor, ExitCode } from './exit-codes.js';
import { processStopSignal } from './stop-signal.js';

/** A command's logger (its --log-level and --log-format) and lifecycle events, the events logged through the logger. */
export function commandContext(options: { logLevel: string; logFormat?: 'json' | 'pretty' | undefined }): { logger: Logger; events: Lifecycle } {
  const logger = createLogger({ level: options.logLevel, ...(options.logFormat === undefined ? {} : { format: options.logFormat }) });
  return { logger, events: new Lifecycle().logTo(logger) };
}

export function registerRunCommands(program: Command, setExitCode: (code: number) => void): void {
  defineCommand(program, 'run', async (input) => {
    const { logger, events } = commandContext(input.options);
    const report = await runResolved(input, { logger, events, signal: processStopSignal(events, input.options.shutdownGraceMs) });
    setExitCode(exitCodeFor(report.outcome));
  });

  defineCommand(program, 'submit', async (input) => {
    const { logger, events } = commandContext(input.options);
    const result = await submitResolved(input, { logger, events, signal: processStopSignal(events, 0) });
    process.stdout.write(`${result.runId}\n`);
    logger.info(result, 'run submitted');
    setExitCode(ExitCode.Ok);
  });
}
