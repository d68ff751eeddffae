import { z } from 'zod';
import { UsageError } from '../errors/usage-error.js';
import { COMMANDS, commandDef, type CommandKey, type CommandName } from './commands.js';
import type { ConfigFile } from './config-file.js';
import { kindSchema, parseKindText } from './option-kinds.js';
import { DEFAULTS, OPTIONS, optionName, type OptionDef, type OptionKey, type OptionValue } from './option-table.js';

/** Where an option's effective value came from, highest precedence first. */
export const OPTION_SOURCES = ['cli', 'api', 'env', 'file', 'submission', 'default'] as const;
export type OptionSource = (typeof OPTION_SOURCES)[number];

type Required<C extends CommandName> = (typeof COMMANDS)[C]['required'][number];
type Defaulted = keyof typeof DEFAULTS;

/** Options of command C as a caller gives them (the library API, the CLI after parsing): all optional. */
export type GivenOptions<C extends CommandName> = { [K in CommandKey<C>]?: OptionValue<K> };

/** Options of command C after resolution: defaulted and required options always hold a value. */
export type ResolvedOptions<C extends CommandName> = {
  [K in CommandKey<C>]: K extends Defaulted | Required<C> ? OptionValue<K> : OptionValue<K> | undefined;
};

export type OptionSources<C extends CommandName> = { [K in CommandKey<C>]: OptionSource };

export interface Resolved<C extends CommandName> {
  options: ResolvedOptions<C>;
  sources: OptionSources<C>;
}

/** What resolution reads, each layer optional. */
export interface OptionLayers {
  /** Flags given on the command line (only those given: commander's own defaults are not passed). */
  cli?: Record<string, unknown>;
  /** Options passed to the library API. Same rank as the command line. */
  api?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  file?: ConfigFile;
  /** The submitted run's own settings (`collect`, `retry-failed`), below a config file. */
  submission?: Record<string, unknown>;
}

function check(key: OptionKey, value: unknown, where: string): unknown {
  const result = kindSchema(OPTIONS[key].kind).safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new UsageError(`${where}: ${issue?.message ?? 'invalid value'}, got ${JSON.stringify(value)}`);
}

/**
 * The one place options get their values: command line (or library call) > environment > config file >
 * the submitted run's settings > defaults. Every value is checked with its option's schema, and an error
 * names where the bad value came from (the flag, the variable, or the file and line).
 */
export function resolveOptions<C extends CommandName>(command: C, layers: OptionLayers): Resolved<C> {
  const def = commandDef(command);
  const keys = def.options;
  const commandDefaults = def.defaults ?? {};
  const fromSubmission = def.fromSubmission ?? [];
  const known = new Set<string>(keys);
  for (const layer of [layers.cli, layers.api]) {
    for (const key of Object.keys(layer ?? {})) {
      if (!known.has(key)) throw new UsageError(`${command}: unknown option "${key}" (options: ${keys.join(', ')})`);
    }
  }
  const options: Record<string, unknown> = {};
  const sources: Record<string, OptionSource> = {};
  for (const key of keys) {
    const spec: OptionDef = OPTIONS[key];
    const name = optionName(key);
    const set = (value: unknown, source: OptionSource, where: string): void => {
      options[key] = check(key, value, where);
      sources[key] = source;
    };
    const envText = spec.env === undefined ? undefined : layers.env?.[spec.env];
    const fileEntry = layers.file?.values.get(name);
    if (layers.cli?.[key] !== undefined) set(layers.cli[key], 'cli', `--${name}`);
    else if (layers.api?.[key] !== undefined) set(layers.api[key], 'api', `option ${key}`);
    else if (envText !== undefined && envText !== '' && spec.env !== undefined) set(parseKindText(spec.kind, envText), 'env', `environment variable ${spec.env}`);
    else if (fileEntry !== undefined && layers.file !== undefined) set(fileEntry.value, 'file', `${layers.file.path}:${fileEntry.line}: ${name}`);
    else if (fromSubmission.includes(key) && layers.submission?.[key] !== undefined) set(layers.submission[key], 'submission', `the run's submitted ${name}`);
    else if (key in commandDefaults) set(commandDefaults[key], 'default', `default of ${name}`);
    else if (key in DEFAULTS) set(DEFAULTS[key as Defaulted], 'default', `default of ${name}`);
    else sources[key] = 'default';
  }
  for (const key of def.required) {
    if (options[key] === undefined) throw new UsageError(`${command}: --${optionName(key)} is required (on the command line, in the config file, or as option ${key})`);
  }
  // Each value passed its option's schema above, and every key of the command has an entry.
  return { options: options as ResolvedOptions<C>, sources: sources as OptionSources<C> };
}

/**
 * A zod schema of the options of the given commands as stored (in Redis): each one optional, checked with
 * its kind. What goes into Redis is parsed back with it, never cast.
 */
export function storedOptionsSchema<C extends CommandName>(...commands: C[]): z.ZodType<GivenOptions<C>> {
  const shape: Record<string, z.ZodType> = {};
  for (const command of commands) for (const key of COMMANDS[command].options as readonly OptionKey[]) shape[key] = kindSchema(OPTIONS[key].kind).optional();
  // Built from the same table as GivenOptions<C>: every key of those commands, each checked by its kind.
  return z.object(shape) as unknown as z.ZodType<GivenOptions<C>>;
}

/** The schema of a sources record (option -> where its value came from). */
export const optionSourcesSchema = z.record(z.string(), z.enum(OPTION_SOURCES));
