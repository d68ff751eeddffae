import type { Command } from 'commander';
import { startDashboardResolved, type RunningDashboard } from '../dashboard/dashboard.js';
import { DASHBOARD_PASSWORD_ENV } from '../dashboard/access.js';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import { Lifecycle } from '../lifecycle-events.js';
import { defineCommand } from './command-options.js';
import { ExitCode } from './exit-codes.js';
import { commandContext } from './run-command.js';
import { processStopSignal } from './stop-signal.js';

/**
 * `rerank-batch dashboard`: serve the runs page and Bull Board until SIGINT/SIGTERM. Prints the page's URL
 * on stdout, logs on stderr.
 */
export function registerDashboardCommand(program: Command, setExitCode: (code: number) => void): void {
  const command = defineCommand(program, 'dashboard', async (input) => {
    const { logger } = commandContext(input.options);
    let dashboard: RunningDashboard;
    try {
      dashboard = await startDashboardResolved(input, { logger });
    } catch (error) {
      if (error instanceof RerankBatchError) throw error;
      logger.error({ err: error, host: input.options.host, port: input.options.port }, 'dashboard could not start');
      setExitCode(ExitCode.Failures);
      return;
    }
    process.stdout.write(`${dashboard.url}\n`);
    // Nothing to finish on a stop: no lifecycle messages about in-flight work, just the signal handling.
    const stop = processStopSignal(new Lifecycle(), 0);
    await new Promise<void>((resolve) => stop.addEventListener('abort', () => resolve(), { once: true }));
    await dashboard.close();
    logger.info('dashboard stopped');
    setExitCode(ExitCode.Ok);
  });
  command.addHelpText('after', `\nSet ${DASHBOARD_PASSWORD_ENV} to require basic auth (required when --host is not a loopback address).`);
}
