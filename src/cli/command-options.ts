import { Option, type Command } from 'commander';
import { COMMANDS, commandDef, type CommandName } from '../options/commands.js';
import { loadConfigFile, type ConfigFile } from '../options/config-file.js';
import { formatKindValue, parseKindText } from '../options/option-kinds.js';
import { DEFAULTS, OPTIONS, optionName, type OptionDef, type OptionKey } from '../options/option-table.js';
import { resolveOptions, type OptionLayers, type Resolved } from '../options/resolve-options.js';

/** What a command's action gets: its options resolved from every source, and how to resolve them again. */
export interface CommandInput<C extends CommandName> extends Resolved<C> {
  /** Resolve again with the submitted run's settings as a layer (collect, retry-failed). */
  withSubmission(submission: Record<string, unknown>): Resolved<C>;
}

function defaultText(command: CommandName, key: OptionKey): string {
  const def: OptionDef = OPTIONS[key];
  const commandDefaults = commandDef(command).defaults ?? {};
  if (key in commandDefaults) return formatKindValue(commandDefaults[key]);
  if (key in DEFAULTS) return formatKindValue(DEFAULTS[key as keyof typeof DEFAULTS]);
  return def.defaultDoc ?? '';
}

/** A commander Option for one option of the table. Values are checked by the option's schema later, not here. */
function flagFor(command: CommandName, key: OptionKey): Option {
  const def: OptionDef = OPTIONS[key];
  const name = optionName(key);
  const fallback = defaultText(command, key);
  const doc = `${def.doc}${fallback === '' || def.negatable === true ? '' : ` (default: ${fallback})`}${def.env === undefined ? '' : ` [env ${def.env}]`}`;
  const flags = def.negatable === true ? `--no-${name}` : `${def.short === undefined ? '' : `${def.short}, `}--${name}${def.arg === undefined ? '' : ` ${def.arg}`}`;
  const option = new Option(flags, doc);
  if (def.kind.type === 'choice') option.choices(def.kind.choices);
  else if (def.arg !== undefined) option.argParser((text: string, previous: unknown) => parseKindText(def.kind, text, previous));
  return option;
}

/**
 * The flags given on the command line, by option key (never commander's implied defaults, such as
 * `--no-x`'s true). commander names a value after its flag, which may differ from the key
 * (`--run-id <id...>` is runIds).
 */
function givenFlags(command: Command, flags: ReadonlyMap<OptionKey, string>): Record<string, unknown> {
  const given: Record<string, unknown> = {};
  const values = command.opts<Record<string, unknown>>();
  for (const [key, attribute] of flags) if (command.getOptionValueSource(attribute) === 'cli') given[key] = values[attribute];
  return given;
}

/**
 * Register command `name` with every option the table gives it, plus `--config FILE`. The action gets the
 * options resolved from the command line, environment, config file and defaults.
 */
export function defineCommand<C extends CommandName>(
  program: Command,
  name: C,
  action: (input: CommandInput<C>, command: Command) => Promise<void>,
  env: NodeJS.ProcessEnv = process.env,
  /** The name under `program` when it differs from the command's key (a subcommand: `cache stats` is 'cache-stats' under `cache`). */
  as: string = name,
): Command {
  const def = COMMANDS[name];
  const keys: readonly OptionKey[] = def.options;
  const command = program.command(as).description(def.description);
  const flags = new Map<OptionKey, string>();
  for (const key of keys) {
    const option = flagFor(name, key);
    command.addOption(option);
    flags.set(key, option.attributeName());
  }
  command.option('--config <file>', 'config file (YAML or JSON) holding any option; `rerank-batch init` writes one');
  command.addHelpText('after', '\nPrecedence: command line > environment > --config file > defaults.');
  command.action(async () => {
    const configPath = command.opts<{ config?: string }>().config;
    const file: ConfigFile | undefined = configPath === undefined ? undefined : await loadConfigFile(configPath);
    const layers: OptionLayers = { cli: givenFlags(command, flags), env, ...(file === undefined ? {} : { file }) };
    const resolved = resolveOptions(name, layers);
    await action({ ...resolved, withSubmission: (submission) => resolveOptions(name, { ...layers, submission }) }, command);
  });
  return command;
}
