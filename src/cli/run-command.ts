import type { Command } from 'commander';
import { UsageError } from '../errors/usage-error.js';
import { parseRegressionGates } from '../evaluate/index.js';
import { Lifecycle } from '../lifecycle-events.js';
import { createLogger, type Logger } from '../logger.js';
import { runResolved } from '../orchestrate/run-pipeline.js';
import { submitResolved } from '../orchestrate/submit.js';
import { closeRun } from './closing-summary.js';
import { defineCommand } from './command-options.js';
import { ExitCode } from './exit-codes.js';
import { ProgressDisplay, progressModeOf } from './progress-display.js';
import { processStopSignal } from './stop-signal.js';

type LogOptions = { logLevel: string; logFormat?: 'json' | 'pretty' | undefined };

/** A command's logger (its --log-level and --log-format) and lifecycle events, the events logged through the logger. */
export function commandContext(options: LogOptions): { logger: Logger; events: Lifecycle } {
  const logger = createLogger({ level: options.logLevel, ...(options.logFormat === undefined ? {} : { format: options.logFormat }) });
  return { logger, events: new Lifecycle().logTo(logger) };
}

/**
 * The context of a command that waits on a run (`run`, `collect`, `retry-failed`): its progress shown as
 * --quiet, --log-format and the terminal say, the log printed above a progress bar.
 */
export function progressContext(options: LogOptions & { quiet: boolean; progressInterval: number }): { logger: Logger; events: Lifecycle; display: ProgressDisplay } {
  const mode = progressModeOf(options);
  const sink = { write: (text: string) => display.write(text) };
  const logger = createLogger({ level: options.logLevel, ...(options.logFormat === undefined ? {} : { format: options.logFormat }), ...(mode === 'bar' ? { prettyTo: sink } : {}) });
  const display = new ProgressDisplay(mode, options.progressInterval, logger);
  const events = new Lifecycle().logTo(logger);
  display.follow(events);
  return { logger, events, display };
}

/** The `--fail-on-regression` gates, checked before anything runs. */
export function gatesOf(options: { failOnRegression?: string[] | undefined; qrels?: string | undefined }, qrelsKnown: boolean) {
  const gates = parseRegressionGates(options.failOnRegression ?? []);
  if (gates.length > 0 && qrelsKnown && options.qrels === undefined) throw new UsageError('--fail-on-regression needs --qrels: the measures are computed against them');
  return gates;
}

export function registerRunCommands(program: Command, setExitCode: (code: number) => void): void {
  defineCommand(program, 'run', async (input) => {
    const gates = gatesOf(input.options, true);
    const { logger, events, display } = progressContext(input.options);
    try {
      const report = await runResolved(input, { logger, events, signal: processStopSignal(events, input.options.shutdownGraceMs) });
      display.stop();
      setExitCode(closeRun(report, input.options.out, gates, input.options.json));
    } finally {
      display.stop();
    }
  });

  defineCommand(program, 'submit', async (input) => {
    const { logger, events } = commandContext(input.options);
    const result = await submitResolved(input, { logger, events, signal: processStopSignal(events, 0) });
    process.stdout.write(`${result.runId}\n`);
    logger.info(result, 'run submitted');
    setExitCode(ExitCode.Ok);
  });
}
