import { z } from 'zod';
import { PAIR_ROLES, type PairRole } from '../read/column-map.js';

/**
 * The kinds of value an option takes. A kind decides the option's zod schema, how its text is parsed
 * (command line, environment) and how the config template shows it: declaring an option is naming its
 * kind and bounds, never writing a parser or a check by hand.
 */
export type OptionKind =
  | { type: 'string'; pattern?: RegExp; patternDoc?: string }
  | { type: 'url'; protocols: readonly string[] }
  | { type: 'int'; min: number; max?: number }
  | { type: 'number'; min: number; exclusiveMin?: boolean; max?: number }
  | { type: 'boolean' }
  | { type: 'choice'; choices: readonly [string, ...string[]] }
  | { type: 'list' }
  | { type: 'columns' }
  | { type: 'duration'; min: number };

/** The TypeScript type of a kind's values. */
export type KindValue<K extends OptionKind> = K extends { type: 'int' | 'number' | 'duration' }
  ? number
  : K extends { type: 'boolean' }
    ? boolean
    : K extends { type: 'choice'; choices: readonly (infer C)[] }
      ? C
      : K extends { type: 'list' }
        ? string[]
        : K extends { type: 'columns' }
          ? Partial<Record<PairRole, string>>
          : string;

/** Column names of the `columns` kind as users write them (`query_id=qid`), by role. */
const COLUMN_ROLE_NAMES: Record<string, PairRole> = {
  query_id: 'queryId',
  query: 'query',
  doc_id: 'docId',
  document: 'document',
  score: 'score',
  rank: 'rank',
  label: 'label',
};

const columnsSchema = z
  .record(z.string(), z.string().min(1))
  .superRefine((value, ctx) => {
    for (const key of Object.keys(value)) {
      if (!(PAIR_ROLES as readonly string[]).includes(key) && COLUMN_ROLE_NAMES[key] === undefined) {
        ctx.addIssue({ code: 'custom', message: `unknown role "${key}" (roles: ${Object.keys(COLUMN_ROLE_NAMES).join(', ')})` });
      }
    }
  })
  .transform((value): Partial<Record<PairRole, string>> => {
    const out: Partial<Record<PairRole, string>> = {};
    for (const [key, column] of Object.entries(value)) {
      const role = COLUMN_ROLE_NAMES[key] ?? PAIR_ROLES.find((r) => r === key);
      if (role !== undefined) out[role] = column;
    }
    return out;
  });

/** The schema that checks a value of `kind` (from a config file, the library API, or parsed text). */
export function kindSchema<K extends OptionKind>(kind: K): z.ZodType<KindValue<K>> {
  return schemaOf(kind) as z.ZodType<KindValue<K>>;
}

function schemaOf(kind: OptionKind): z.ZodType {
  switch (kind.type) {
    case 'string': {
      const text = z.string().min(1, 'must not be empty');
      return kind.pattern === undefined ? text : text.regex(kind.pattern, kind.patternDoc ?? `must match ${String(kind.pattern)}`);
    }
    case 'url':
      return z.string().refine((value) => {
        try {
          return kind.protocols.includes(new URL(value).protocol.replace(/:$/, ''));
        } catch {
          return false;
        }
      }, `expected a ${kind.protocols.join(' or ')} URL`);
    case 'int': {
      const int = z.number().int('expected an integer').min(kind.min, `expected an integer >= ${kind.min}`);
      return kind.max === undefined ? int : int.max(kind.max, `expected an integer <= ${kind.max}`);
    }
    case 'number': {
      let num = z.number().finite('expected a finite number');
      num = kind.exclusiveMin === true ? num.gt(kind.min, `expected a number > ${kind.min}`) : num.min(kind.min, `expected a number >= ${kind.min}`);
      return kind.max === undefined ? num : num.max(kind.max, `expected a number <= ${kind.max}`);
    }
    case 'boolean':
      return z.boolean();
    case 'choice':
      return z.enum(kind.choices as [string, ...string[]], { error: `expected one of ${kind.choices.join(', ')}` });
    case 'list':
      // A single value is a list of one (`run-id: r1` in a config file).
      return z.union([z.string().min(1).transform((value) => [value]), z.array(z.string().min(1)).min(1)]);
    case 'columns':
      return columnsSchema;
    case 'duration':
      // In ms; text such as "10m" is turned into ms by parseKindText, and a config file may say either.
      return z
        .union([z.number(), z.string().transform((text, ctx) => {
          const ms = durationMs(text);
          if (ms === undefined) {
            ctx.addIssue({ code: 'custom', message: 'expected a duration such as 500ms, 30s, 10m or 1h' });
            return z.NEVER;
          }
          return ms;
        })])
        .pipe(z.number().int('expected whole milliseconds').min(kind.min, `expected a duration of at least ${kind.min} ms`));
  }
}

/**
 * Text (a command-line argument or an environment variable) to the value the kind's schema checks.
 * Returns the text itself when it cannot be converted, so the schema reports what is wrong with it.
 */
export function parseKindText(kind: OptionKind, text: string, previous?: unknown): unknown {
  switch (kind.type) {
    case 'int':
      return /^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : text;
    case 'duration':
      return durationMs(text) ?? text;
    case 'number':
      return text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    case 'boolean':
      return /^(true|1|yes|on)$/i.test(text) ? true : /^(false|0|no|off)$/i.test(text) ? false : text;
    case 'list':
      // A repeated flag adds to the list (`--run a.trec --run b.trec`).
      return [...(Array.isArray(previous) ? previous : []), text];
    case 'columns': {
      const out: Record<string, string> = typeof previous === 'object' && previous !== null ? { ...(previous as Record<string, string>) } : {};
      for (const part of text.split(',')) {
        const eq = part.indexOf('=');
        if (eq <= 0) return `${text} (expected ROLE=COLUMN pairs)`;
        out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
      }
      return out;
    }
    default:
      return text;
  }
}

/** How a kind's value is written in a YAML config (the `init` template) and in README tables. */
export function formatKindValue(value: unknown): string {
  if (typeof value === 'string') return /^[A-Za-z0-9._/-]+$/.test(value) && !/^(true|false|null|yes|no|on|off|~)$/i.test(value) && !/^[-+.\d]/.test(value) ? value : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => formatKindValue(item)).join(', ')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${k}: ${formatKindValue(v)}`).join(', ')} }`;
  }
  return String(value);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "500ms", "30s", "10m", "1.5h" or a plain number of ms, in ms; undefined when it is none of these. */
export function durationMs(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (match === null) return undefined;
  return Math.round(Number(match[1]) * (DURATION_UNITS[match[2] ?? 'ms'] ?? 1));
}
