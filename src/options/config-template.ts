import { COMMANDS, type CommandName } from './commands.js';
import { formatKindValue } from './option-kinds.js';
import { DEFAULTS, OPTIONS, optionName, type OptionConcern, type OptionDef, type OptionKey } from './option-table.js';

const CONCERN_TITLES: Record<OptionConcern, string> = {
  input: 'input (run, submit)',
  request: 'the rerank API (run, submit)',
  queue: 'queue and run',
  cache: 'the score cache (run, submit, collect, cache)',
  output: 'outputs (run, collect, retry-failed)',
  labelling: 'labelling outputs: scored rows, labels, training data, review samples (run, collect, retry-failed)',
  worker: 'workers in this process (run, worker, collect)',
  monitoring: 'metrics and traces (run, worker, collect)',
  evaluation: 'evaluation (eval; the regression gate also run, collect)',
  server: 'the built-in server (serve) and the dashboard',
  common: 'every command',
};

/** The commands that take an option, for the template's comments. */
function commandsOf(key: OptionKey): CommandName[] {
  return (Object.keys(COMMANDS) as CommandName[]).filter((name) => (COMMANDS[name].options as readonly OptionKey[]).includes(key));
}

/**
 * The config file `init` writes: every option, grouped by concern, each commented out with its default
 * and what it does, so the file is valid as it is (it sets nothing) and a line is set by uncommenting it.
 */
export function configTemplate(): string {
  const lines = [
    '# rerank-batch config file (YAML; JSON works too). Give it to any command with --config FILE.',
    '# Every option is listed with its default, commented out: uncomment a line to set it.',
    '# Precedence: command line > environment (REDIS_URL, RERANK_API_URL, LOG_LEVEL) > this file > defaults.',
    '# A command ignores the options it does not take, so one file can serve run, submit, worker and collect.',
    '# Secrets never go here: the API key comes from RERANK_API_KEY, a Redis password from REDIS_URL.',
  ];
  const byConcern = new Map<OptionConcern, OptionKey[]>();
  for (const key of Object.keys(OPTIONS) as OptionKey[]) {
    const def: OptionDef = OPTIONS[key];
    byConcern.set(def.concern, [...(byConcern.get(def.concern) ?? []), key]);
  }
  for (const [concern, keys] of byConcern) {
    lines.push('', `## ${CONCERN_TITLES[concern]}`);
    for (const key of keys) {
      const def: OptionDef = OPTIONS[key];
      const fallback = key in DEFAULTS ? formatKindValue(DEFAULTS[key as keyof typeof DEFAULTS]) : '';
      const commands = commandsOf(key).join(', ');
      lines.push(`# ${def.doc}${def.defaultDoc === undefined ? '' : ` (default: ${def.defaultDoc})`} [${commands}]`);
      lines.push(`# ${optionName(key)}:${fallback === '' ? '' : ` ${fallback}`}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
