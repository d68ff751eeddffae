import type { Lifecycle } from '../lifecycle-events.js';
import { ExitCode } from './exit-codes.js';

/**
 * SIGINT/SIGTERM for long commands: the first aborts the returned signal (the command follows the
 * shutdown policy: in-flight requests get the grace period, then what is collected is written); a second
 * exits at once with 130.
 */
export function processStopSignal(events: Lifecycle): AbortSignal {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      process.stderr.write(`rerank-batch: second ${signal}: exiting at once\n`);
      process.exit(ExitCode.Interrupted);
    }
    events.emit('shutdown-requested', { signal });
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return controller.signal;
}
