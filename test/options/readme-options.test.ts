import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS, type CommandName } from '../../src/options/commands.js';
import { optionsTable } from '../helpers/option-docs.js';
import { repoRoot } from '../helpers/paths.js';

const readmePath = join(repoRoot, 'README.md');

/** The README block between `<!-- options:NAME -->` and `<!-- /options:NAME -->`. */
function block(readme: string, command: CommandName): string | undefined {
  const match = new RegExp(`<!-- options:${command} -->\\n([\\s\\S]*?)\\n<!-- /options:${command} -->`).exec(readme);
  return match?.[1];
}

describe("README's option tables", () => {
  // UPDATE_README=1 rewrites the tables from the option table (then review the diff).
  if (process.env.UPDATE_README === '1') {
    let readme = readFileSync(readmePath, 'utf8');
    for (const command of Object.keys(COMMANDS) as CommandName[]) {
      readme = readme.replace(new RegExp(`(<!-- options:${command} -->)[\\s\\S]*?(<!-- /options:${command} -->)`), (_all, open: string, close: string) => `${open}\n${optionsTable(command)}\n${close}`);
    }
    writeFileSync(readmePath, readme);
  }

  it.each(Object.keys(COMMANDS) as CommandName[])('%s: every option, flag and default as the schemas declare them', (command) => {
    const readme = readFileSync(readmePath, 'utf8');
    expect(block(readme, command), `README.md has no <!-- options:${command} --> block`).toBeDefined();
    expect(block(readme, command)).toBe(optionsTable(command));
  });

});
