import type { Logger } from '../logger.js';

/** Exit code of a command stopped by SIGINT/SIGTERM (128 + SIGINT's number, the shell convention). */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Graceful shutdown for long commands: the first SIGINT/SIGTERM aborts the returned signal (the command
 * finishes what is in flight and writes what it has); a second one exits at once.
 */
export function shutdownSignal(logger: Logger): AbortSignal {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) {
      logger.warn({ signal }, 'second signal: exiting at once');
      process.exit(INTERRUPTED_EXIT_CODE);
    }
    logger.warn({ signal }, 'stopping: finishing in-flight requests and writing what is collected (signal again to exit at once)');
    controller.abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return controller.signal;
}
