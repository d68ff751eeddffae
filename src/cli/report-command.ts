import type { Command } from 'commander';
import { createLogger } from '../logger.js';
import { writeReport } from '../report/write-report.js';
import { defineCommand } from './command-options.js';
import { ExitCode } from './exit-codes.js';

/**
 * Registers `report --out DIR`: writes DIR/report.html from the outputs there and prints its path. Errors
 * are thrown (InputError: no such directory or manifest, a malformed output) for main() to map to exit 2.
 */
export function registerReportCommand(program: Command, setExitCode: (code: number) => void): void {
  defineCommand(program, 'report', async ({ options }) => {
    const logger = createLogger({ level: options.logLevel, ...(options.logFormat === undefined ? {} : { format: options.logFormat }) });
    const path = await writeReport(options.out);
    logger.info({ out: options.out, path }, 'report written');
    process.stdout.write(`${path}\n`);
    setExitCode(ExitCode.Ok);
  });
}
