import { UsageError } from '../errors/usage-error.js';
import { translateMeasureList } from './ir-measures-names.js';
import { MEASURE_FAMILIES, MEASURE_NICKNAMES, OTHER_FORMAT_MEASURES, findFamily, type MeasureFamily, type MeasureParameters } from './measure-catalog.js';
import { defaultParameters, parseParameters, printedNames } from './measure-parameters.js';

/** One selected family with its parameters and the names its values print under. */
export interface SelectedFamily {
  family: MeasureFamily;
  parameters: MeasureParameters;
  /** Printed names of its values, in order (one per cutoff, or one). */
  names: string[];
  /** Integer cutoffs (sorted ascending) of a cutoff family; undefined for the others. */
  cutoffs: number[] | undefined;
}

/** A compiled measure selection: families in trec_eval order and the printed names they produce. */
export interface MeasureSelection {
  families: SelectedFamily[];
  /** Printed names in output order, e.g. ["num_q", "map", "P_5", "P_10", "ndcg_cut_10"]. */
  names: string[];
}

/** The families `eval` offers: every one with a number per query (not runid, relstring, gm_map, gm_bpref). */
const EVAL_FAMILIES = MEASURE_FAMILIES.filter((f) => f.compute !== undefined && f.summary !== 'geometric-mean');
/** `eval`'s default set (and `run`'s metrics): trec_eval's main measures and rerank-batch's own. */
const EVAL_DEFAULT = EVAL_FAMILIES.filter((f) => f.inEvalDefault);

/**
 * Compiles `eval`'s measure names, written trec_eval style, into a selection. Each item is one of:
 * `name` (a cutoff family gets its default cutoffs), `name.k1,k2,...` (trec_eval `-m` form),
 * the printed form `name_k` (e.g. `ndcg_cut_10`), or `all` (eval's default set, default cutoffs).
 * Cutoffs given several times for one family are merged (trec_eval would use only the first list);
 * a bare name adds the defaults only when no explicit cutoffs are given for that family. Other
 * parameters (`iprec_at_recall.0.5`, `set_F.0.5`, `rbp.p=0.8`) are read as trec_eval reads them, the
 * first given winning. Output order is always trec_eval's, whatever the order of the items.
 * gm_map, gm_bpref, runid and relstring have no number per query: `rerank-batch trec_eval` prints them
 * (see {@link selectTrecEvalMeasures}).
 * @param items default: eval's default set with default cutoffs.
 * @throws UsageError for an unknown measure, a cutoff that is not a positive integer, or parameters
 *   given to a measure that takes none.
 */
export function selectMeasures(items?: readonly string[]): MeasureSelection {
  const wanted = new Map<string, { bare: boolean; cutoffs: Set<number>; parameters?: MeasureParameters }>();
  const want = (family: MeasureFamily): { bare: boolean; cutoffs: Set<number>; parameters?: MeasureParameters } => {
    let entry = wanted.get(family.name);
    if (entry === undefined) {
      entry = { bare: false, cutoffs: new Set() };
      wanted.set(family.name, entry);
    }
    return entry;
  };
  // ir_measures names (nDCG@10, P(rel=2)@5, AP) become the trec_eval items they stand for.
  const list = items === undefined || items.length === 0 ? ['all'] : translateMeasureList(items).items;
  for (const raw of list) {
    const item = raw.trim();
    if (item === '') continue;
    if (item === 'all') {
      for (const family of EVAL_DEFAULT) want(family).bare = true;
      continue;
    }
    const dot = item.indexOf('.');
    if (dot >= 0) {
      const family = requireEvalFamily(item.slice(0, dot), raw);
      const entry = want(family);
      const kind = family.parameters.kind;
      if (kind === 'none') throw new UsageError(`measure "${raw}": ${family.name} takes no cutoffs`);
      if (kind === 'cutoffs') for (const k of item.slice(dot + 1).split(',')) entry.cutoffs.add(parseCutoff(k, raw));
      else entry.parameters ??= parseParameters(family, item.slice(dot + 1));
      continue;
    }
    const direct = findEvalFamily(item);
    if (direct !== undefined) {
      want(direct).bare = true;
      continue;
    }
    // Printed form name_k, e.g. ndcg_cut_10 or P_5.
    const m = /^(.+)_(\d+)$/.exec(item);
    const family = m?.[1] === undefined ? undefined : findEvalFamily(m[1]);
    if (m?.[2] === undefined || family?.defaultCutoffs === undefined) throw unknownMeasure(raw);
    want(family).cutoffs.add(parseCutoff(m[2], raw));
  }
  const families: SelectedFamily[] = [];
  for (const family of EVAL_FAMILIES) {
    const entry = wanted.get(family.name);
    if (entry === undefined) continue;
    const parameters = entry.parameters ?? defaultParameters(family);
    if (family.defaultCutoffs !== undefined && entry.cutoffs.size > 0) parameters.values = [...entry.cutoffs].sort((a, b) => a - b);
    families.push(selected(family, parameters));
  }
  return { families, names: families.flatMap((f) => f.names) };
}

/**
 * Compiles trec_eval `-m` arguments (trec_eval.c's mark_measure and each measure's init_meas): each is a
 * measure name, optionally followed by `.parameters`, or a set (`official`, `all_trec`, `set`). A measure
 * named twice keeps the parameters of its first `name.params` argument; those given to a set are ignored.
 * Output order is trec_eval's. Parameters: see {@link parseParameters}.
 * @param items default `official`, trec_eval's default.
 * @throws UsageError for an unknown measure, empty parameters (`P.`), parameters trec_eval refuses, or a
 *   measure that needs a qrels format other than trec qrels (preference and judgment-group measures).
 */
export function selectTrecEvalMeasures(items: readonly string[] = []): MeasureSelection {
  const marked = new Set<string>();
  const given = new Map<string, string>();
  for (const item of items.length === 0 ? ['official'] : items) {
    const dot = item.indexOf('.');
    const name = dot < 0 ? item : item.slice(0, dot);
    if (dot >= 0) {
      const text = item.slice(dot + 1);
      if (text === '') throw new UsageError(`measure "${item}": no parameters after the "."`);
      if (!given.has(name)) given.set(name, text);
    }
    const members = MEASURE_NICKNAMES.get(name);
    if (members !== undefined) {
      for (const member of members) marked.add(member);
      continue;
    }
    if (OTHER_FORMAT_MEASURES.has(name)) {
      throw new UsageError(`measure "${item}" needs preference or judgment-group qrels (trec_eval -R prefs, qrels_prefs, qrels_jg), which are not supported`);
    }
    if (findFamily(name) === undefined) throw unknownTrecEvalMeasure(item);
    marked.add(name);
  }
  const families: SelectedFamily[] = [];
  for (const family of MEASURE_FAMILIES) {
    if (!marked.has(family.name)) continue;
    const text = given.get(family.name);
    families.push(selected(family, text === undefined ? defaultParameters(family) : parseParameters(family, text)));
  }
  return { families, names: families.flatMap((f) => f.names) };
}

/**
 * Splits a command-line measure list into items for {@link selectMeasures}. Items are separated by
 * whitespace or commas; a number after a comma continues the parameters of the previous item, so
 * `"ndcg_cut.10,map,P.5,10"` gives `["ndcg_cut.10", "map", "P.5,10"]` and `"iprec_at_recall.0.1,0.5"`
 * one item.
 */
export function splitMeasureList(list: string): string[] {
  const items: string[] = [];
  for (const word of list.split(/\s+/)) {
    for (const token of word.split(',')) {
      if (token === '') continue;
      const last = items.length - 1;
      if (/^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(token) && last >= 0 && (items[last] ?? '').includes('.')) items[last] += `,${token}`;
      else items.push(token);
    }
  }
  return items;
}

function selected(family: MeasureFamily, parameters: MeasureParameters): SelectedFamily {
  return { family, parameters, names: printedNames(family, parameters), cutoffs: family.parameters.kind === 'cutoffs' ? [...parameters.values] : undefined };
}

function findEvalFamily(name: string): MeasureFamily | undefined {
  return EVAL_FAMILIES.find((f) => f.name === name);
}

function requireEvalFamily(name: string, raw: string): MeasureFamily {
  const family = findEvalFamily(name);
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
  const known = EVAL_FAMILIES.map((f) => (f.defaultCutoffs === undefined ? f.name : `${f.name}.k`)).join(', ');
  return new UsageError(`unknown measure "${raw}"; known measures: ${known} (or all); gm_map, gm_bpref, relstring: rerank-batch trec_eval`);
}

function unknownTrecEvalMeasure(raw: string): UsageError {
  const known = MEASURE_FAMILIES.map((f) => f.name);
  return new UsageError(`unknown measure "${raw}"; known measures: ${known.join(', ')}; sets: ${[...MEASURE_NICKNAMES.keys()].join(', ')}`);
}
