import { COMMANDS, commandDef, type CommandName } from '../../src/options/commands.js';
import { formatKindValue } from '../../src/options/option-kinds.js';
import { DEFAULTS, OPTIONS, optionName, type OptionDef } from '../../src/options/option-table.js';

/** The README's option table of a command, as the option table says it must read. */
export function optionsTable(command: CommandName): string {
  const rows = ['| option | default | meaning |', '|---|---|---|'];
  const commandDefaults = commandDef(command).defaults ?? {};
  for (const key of COMMANDS[command].options) {
    const def: OptionDef = OPTIONS[key];
    const name = optionName(key);
    const flag = def.negatable === true ? `--no-${name}` : `${def.short === undefined ? '' : `${def.short}, `}--${name}${def.arg === undefined ? '' : ` ${def.arg}`}`;
    const fallback = key in commandDefaults ? commandDefaults[key] : key in DEFAULTS ? DEFAULTS[key as keyof typeof DEFAULTS] : undefined;
    const shown = fallback === undefined ? (def.defaultDoc ?? '—') : `\`${formatKindValue(fallback)}\``;
    const doc = `${def.doc}${def.env === undefined ? '' : ` (env \`${def.env}\`)`}`.replace(/\|/g, '\\|');
    rows.push(`| \`${flag.replace(/\|/g, '\\|')}\` | ${shown.replace(/\|/g, '\\|')} | ${doc} |`);
  }
  return rows.join('\n');
}
