import { writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../errors/usage-error.js';
import { configTemplate } from '../options/config-template.js';
import { ExitCode } from './exit-codes.js';

/** `init [FILE]`: write a config template with every option and its default, commented out. */
export function registerInitCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('init')
    .description('write a config file template (every option with its default, commented out) for --config')
    .argument('[file]', 'where to write it', 'rerank-batch.yaml')
    .option('--force', 'overwrite the file if it exists')
    .action(async (file: string, flags: { force?: boolean }) => {
      try {
        await writeFile(file, configTemplate(), { flag: flags.force === true ? 'w' : 'wx' });
      } catch (err) {
        if (err instanceof Error && 'code' in err && err.code === 'EEXIST') throw new UsageError(`init: ${file} exists (--force overwrites it)`);
        throw err;
      }
      process.stdout.write(`${file}\n`);
      setExitCode(ExitCode.Ok);
    });
}
