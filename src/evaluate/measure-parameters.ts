import { UsageError } from '../errors/usage-error.js';
import { atof, atol } from './c-numbers.js';
import { formatFixed } from './printf.js';
import type { GainPair } from './gains.js';
import type { MeasureFamily, MeasureParameters } from './measure-catalog.js';

/**
 * A family's parameters as trec_eval reads them from `-m name.params` (meas_init.c): integer cutoffs with
 * `atol` (so `23.4` is 23), sorted, positive and distinct; fractions with `atof`, sorted and distinct;
 * numbers with `atof`, in the order given; `name=value` pairs. A family without parameters ignores any
 * given, as trec_eval does.
 * @throws UsageError where trec_eval refuses them (it stops with "Cannot initialize measure").
 */
export function parseParameters(family: MeasureFamily, text: string): MeasureParameters {
  const spec = family.parameters;
  const items = text.split(',');
  switch (spec.kind) {
    case 'none':
      return defaultParameters(family);
    case 'cutoffs': {
      const values = items.map(atol).sort((a, b) => a - b);
      if ((values[0] ?? 0) <= 0) throw new UsageError(`measure "${family.name}.${text}": cutoffs must be positive integers`);
      if (values.some((v, i) => i > 0 && v === values[i - 1])) throw new UsageError(`measure "${family.name}.${text}": duplicate cutoffs`);
      return { values, pairs: [], text };
    }
    case 'fractions': {
      const values = items.map(atof).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (values.some((v, i) => i > 0 && v === values[i - 1])) throw new UsageError(`measure "${family.name}.${text}": duplicate cutoffs`);
      return { values, pairs: [], text };
    }
    case 'numbers': {
      const values = items.map(atof);
      if (family.name === 'utility' && values.length !== 4) {
        throw new UsageError(`measure "utility.${text}": utility takes 4 coefficients (relevant retrieved, non-relevant retrieved, relevant missed, non-relevant missed)`);
      }
      return { values, pairs: [], text };
    }
    case 'pairs':
      return { values: [], pairs: parsePairs(family.name, text), text };
  }
}

/** A family's default parameters (trec_eval's built-in ones). */
export function defaultParameters(family: MeasureFamily): MeasureParameters {
  const spec = family.parameters;
  return { values: spec.kind === 'none' || spec.kind === 'pairs' ? [] : [...spec.defaults], pairs: [], text: undefined };
}

/**
 * The names a family prints its values under, as trec_eval's init_meas builds them: `name_k` per integer
 * cutoff, `name_%3.2f` per fraction (cut, like trec_eval's buffer, to the name's length + 9 characters),
 * and for numbers and pairs `name_<params as given>`, or the bare name with the defaults.
 */
export function printedNames(family: MeasureFamily, parameters: MeasureParameters): string[] {
  switch (family.parameters.kind) {
    case 'cutoffs':
      return parameters.values.map((k) => `${family.name}_${k}`);
    case 'fractions':
      return parameters.values.map((x) => `${family.name}_${formatFixed(x, 2).padStart(3)}`.slice(0, family.name.length + 9));
    case 'numbers':
    case 'pairs':
      return [parameters.text === undefined ? family.name : `${family.name}_${parameters.text}`];
    case 'none':
      return [family.name];
  }
}

/**
 * trec_eval's get_param_pairs: comma-separated `name=value` items, values read with `atof`. It refuses two
 * commas or two `=` in a row and a list that does not end in a value.
 */
function parsePairs(measure: string, text: string): GainPair[] {
  let lastSeen = ',';
  for (const c of text) {
    if (c === ',') {
      if (lastSeen === ',') break;
      lastSeen = ',';
    } else if (c === '=') {
      if (lastSeen === '=') {
        lastSeen = ',';
        break;
      }
      lastSeen = '=';
    }
  }
  if (lastSeen !== '=') throw new UsageError(`measure "${measure}.${text}": malformed pair parameters (expected level=gain,...)`);
  const pairs: GainPair[] = [];
  let name = '';
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = text[i];
    if (c === '=') {
      name = text.slice(start, i);
      start = i + 1;
    } else if (c === ',' || c === undefined) {
      pairs.push({ name, value: atof(text.slice(start, i)) });
      start = i + 1;
    }
  }
  return pairs;
}
