import type { Command } from 'commander';
import { estimateResolved, formatEstimate } from '../orchestrate/estimate.js';
import { defineCommand } from './command-options.js';
import { ExitCode } from './exit-codes.js';

/** `estimate`: what a run of these options would send and cost, without calling the API or Redis. */
export function registerEstimateCommand(program: Command, setExitCode: (code: number) => void): void {
  defineCommand(program, 'estimate', async (input) => {
    const report = await estimateResolved(input);
    process.stdout.write(input.options.json ? `${JSON.stringify(report, null, 2)}\n` : formatEstimate(report));
    setExitCode(ExitCode.Ok);
  });
}
