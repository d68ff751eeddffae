import { UsageError } from '../errors/usage-error.js';
import { MEASURE_FAMILIES, findFamily, type MeasureFamily } from './measure-catalog.js';

/** One selected family with its cutoffs (sorted ascending; undefined for single-valued families). */
export interface SelectedFamily {
  family: MeasureFamily;
  cutoffs: number[] | undefined;
}

/** A compiled measure selection: families in trec_eval order and the printed names they produce. */
export interface MeasureSelection {
  families: SelectedFamily[];
  /** Printed names in output order, e.g. ["num_q", "map", "P_5", "P_10", "ndcg_cut_10"]. */
  names: string[];
}

/**
 * Compiles measure names written trec_eval style into a selection. Each item is one of:
 * `name` (a cutoff family gets its default cutoffs), `name.k1,k2,...` (trec_eval `-m` form),
 * the printed form `name_k` (e.g. `ndcg_cut_10`), or `all` (every family, default cutoffs).
 * Cutoffs given several times for one family are merged (trec_eval would use only the first list);
 * a bare name adds the defaults only when no explicit cutoffs are given for that family.
 * Output order is always trec_eval's, whatever the order of the items.
 * @param items default: every family with its default cutoffs.
 * @throws UsageError for an unknown measure or a cutoff that is not a positive integer.
 */
export function selectMeasures(items?: readonly string[]): MeasureSelection {
  const wanted = new Map<string, { bare: boolean; cutoffs: Set<number> }>();
  const want = (family: MeasureFamily): { bare: boolean; cutoffs: Set<number> } => {
    let entry = wanted.get(family.name);
    if (entry === undefined) {
      entry = { bare: false, cutoffs: new Set() };
      wanted.set(family.name, entry);
    }
    return entry;
  };
  const list = items === undefined || items.length === 0 ? ['all'] : items;
  for (const raw of list) {
    const item = raw.trim();
    if (item === '') continue;
    if (item === 'all') {
      for (const family of MEASURE_FAMILIES) want(family).bare = true;
      continue;
    }
    const dot = item.indexOf('.');
    if (dot >= 0) {
      const family = requireFamily(item.slice(0, dot), raw);
      if (family.defaultCutoffs === undefined) throw new UsageError(`measure "${raw}": ${family.name} takes no cutoffs`);
      const entry = want(family);
      for (const k of item.slice(dot + 1).split(',')) entry.cutoffs.add(parseCutoff(k, raw));
      continue;
    }
    const direct = findFamily(item);
    if (direct !== undefined) {
      want(direct).bare = true;
      continue;
    }
    // Printed form name_k, e.g. ndcg_cut_10 or P_5.
    const m = /^(.+)_(\d+)$/.exec(item);
    const family = m?.[1] === undefined ? undefined : findFamily(m[1]);
    if (m?.[2] === undefined || family?.defaultCutoffs === undefined) throw unknownMeasure(raw);
    want(family).cutoffs.add(parseCutoff(m[2], raw));
  }
  const families: SelectedFamily[] = [];
  const names: string[] = [];
  for (const family of MEASURE_FAMILIES) {
    const entry = wanted.get(family.name);
    if (entry === undefined) continue;
    if (family.defaultCutoffs === undefined) {
      families.push({ family, cutoffs: undefined });
      names.push(family.name);
      continue;
    }
    const cutoffs = entry.cutoffs.size > 0 ? [...entry.cutoffs] : [...family.defaultCutoffs];
    cutoffs.sort((a, b) => a - b);
    families.push({ family, cutoffs });
    for (const k of cutoffs) names.push(`${family.name}_${k}`);
  }
  return { families, names };
}

/**
 * Splits a command-line measure list into items for {@link selectMeasures}. Items are separated by
 * whitespace or commas; a purely numeric token after a comma continues the previous item's cutoffs, so
 * `"ndcg_cut.10,map,P.5,10"` gives `["ndcg_cut.10", "map", "P.5,10"]`.
 */
export function splitMeasureList(list: string): string[] {
  const items: string[] = [];
  for (const word of list.split(/\s+/)) {
    for (const token of word.split(',')) {
      if (token === '') continue;
      const last = items.length - 1;
      if (/^\d+$/.test(token) && last >= 0 && (items[last] ?? '').includes('.')) items[last] += `,${token}`;
      else items.push(token);
    }
  }
  return items;
}

function requireFamily(name: string, raw: string): MeasureFamily {
  const family = findFamily(name);
  if (family === undefined) throw unknownMeasure(raw);
  return family;
}

function parseCutoff(text: string, raw: string): number {
  const k = Number(text.trim());
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(k) || k <= 0) {
    throw new UsageError(`measure "${raw}": cutoff "${text}" is not a positive integer`);
  }
  return k;
}

function unknownMeasure(raw: string): UsageError {
  const known = MEASURE_FAMILIES.map((f) => (f.defaultCutoffs === undefined ? f.name : `${f.name}.k`)).join(', ');
  return new UsageError(`unknown measure "${raw}"; known measures: ${known} (or all)`);
}
