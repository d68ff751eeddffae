import type { Lifecycle } from '../lifecycle-events.js';
import { FORCE_CLOSE_AFTER_MS } from '../orchestrate/shutdown.js';
import { ExitCode } from './exit-codes.js';

/** Past the grace period and the forced close, how long a stopping command may still take, ms. */
const BACKSTOP_MS = 10_000;

/**
 * SIGINT/SIGTERM for long commands: the first aborts the returned signal (the command follows the
 * shutdown policy: in-flight requests get `graceMs`, then what is collected is written); a second exits
 * at once with 130. A backstop exits 130 if the command is still running well past the grace period,
 * so a scheduler's stop always ends the process.
 */
export function processStopSignal(events: Lifecycle, graceMs: number): AbortSignal {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.stderr.write(`rerank-batch: second ${signal}: exiting at once\n`);
      process.exit(ExitCode.Interrupted);
    }
    events.emit('shutdown-requested', { signal });
    controller.abort();
    setTimeout(() => {
      process.stderr.write(`rerank-batch: still stopping ${Math.round((graceMs + FORCE_CLOSE_AFTER_MS + BACKSTOP_MS) / 1000)} s after ${signal}: exiting; run the same command again to resume\n`);
      process.exit(ExitCode.Interrupted);
    }, graceMs + FORCE_CLOSE_AFTER_MS + BACKSTOP_MS).unref();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return controller.signal;
}
