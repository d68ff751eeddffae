import { UsageError } from '../errors/usage-error.js';

/**
 * ir_measures' measure names (`nDCG@10`, `P(rel=2)@5`, `AP`, `RR`, `R@100`, ...) read as the trec_eval-style
 * items `selectMeasures` takes. Names, parameters and defaults are ir_measures' own (terrierteam/ir_measures:
 * ir_measures/measures/*.py, read as ir_measures/util.py `parse_measure` reads them: `Name`, `Name@at`,
 * `Name(param=value, ...)@at`), and each maps to the trec_eval measure ir_measures itself asks trec_eval
 * for (ir_measures/providers/pytrec_eval_provider.py, `_build_invokers`).
 */

/** What one ir_measures name asks of the evaluation. */
export interface IrMeasureTranslation {
  /** trec_eval-style items for `selectMeasures`, e.g. `['ndcg_cut.10']`. */
  items: string[];
  /**
   * The relevance level the measure is computed at: its `rel=` or, not given, ir_measures' default 1. Only
   * for measures that have one (AP, RR, P, R, Success, Rprec, Bpref, infAP, IPrec, NumRel, NumRet(rel=...),
   * SetP, SetR, SetF, SetAP); undefined for those whose value does not depend on it (nDCG, Judged, NumQ,
   * NumRet). One evaluation has one level for all its measures (trec_eval's `-l`, `--rel-level`).
   */
  relLevel: number | undefined;
}

/** A measure list with its ir_measures names translated, and the one relevance level they need. */
export interface TranslatedMeasureList {
  /** Every item: translations in place of the ir_measures names, the other items as they were. */
  items: string[];
  /** The level every ir_measures name that has one agrees on; undefined when none has one. */
  relLevel: number | undefined;
}

type ParamKind = 'int' | 'float' | 'bool' | 'str';
/** A parameter value as written: Python's int and float differ (`5` is a cutoff, `5.0` is not). */
type Param = ({ kind: 'int' | 'float'; value: number } | { kind: 'bool'; value: boolean } | { kind: 'str'; value: string }) & { text: string };
type Params = ReadonlyMap<string, Param['value']>;

interface MeasureSpec {
  /** The parameters ir_measures' definition takes, with their types (its `SUPPORTED_PARAMS`). */
  params: Readonly<Record<string, ParamKind>>;
  /** The parameter `@` sets (its `AT_PARAM`). */
  at: 'cutoff' | 'recall';
  /** Called with parameters of the kinds `params` declares; `name` is the name as given, for messages. */
  translate(params: Params, name: string): IrMeasureTranslation;
}

const BINARY = { rel: 'int', judged_only: 'bool' } as const;

/** The ir_measures measures trec_eval computes, by their canonical names. */
const SPECS: Readonly<Record<string, MeasureSpec>> = {
  AP: {
    params: { cutoff: 'int', ...BINARY },
    at: 'cutoff',
    translate: (p, name) => {
      const k = cutoff(p, name, false);
      return binary(p, name, k === undefined ? 'map' : `map_cut.${k}`);
    },
  },
  RR: {
    params: { cutoff: 'int', ...BINARY },
    at: 'cutoff',
    translate: (p, name) => {
      // ir_measures computes RR@k with its msmarco provider (MS MARCO's MRR@10); its pytrec_eval provider
      // takes RR only without a cutoff (`_RR(cutoff=Choices(NOT_PROVIDED))`).
      if (p.has('cutoff')) throw refusal(name, "trec_eval's recip_rank takes no cutoff, so RR@k (MS MARCO's MRR@10) has no trec_eval counterpart; use RR");
      return binary(p, name, 'recip_rank');
    },
  },
  P: { params: { cutoff: 'int', ...BINARY }, at: 'cutoff', translate: (p, name) => binary(p, name, `P.${cutoff(p, name, true)}`) },
  R: { params: { cutoff: 'int', ...BINARY }, at: 'cutoff', translate: (p, name) => binary(p, name, `recall.${cutoff(p, name, true)}`) },
  Success: { params: { cutoff: 'int', ...BINARY }, at: 'cutoff', translate: (p, name) => binary(p, name, `success.${cutoff(p, name, true)}`) },
  Rprec: { params: BINARY, at: 'cutoff', translate: (p, name) => binary(p, name, 'Rprec') },
  Bpref: { params: { rel: 'int' }, at: 'cutoff', translate: (p, name) => binary(p, name, 'bpref') },
  infAP: { params: { rel: 'int' }, at: 'cutoff', translate: (p, name) => binary(p, name, 'infAP') },
  IPrec: {
    params: { recall: 'float', ...BINARY },
    at: 'recall',
    translate: (p, name) => {
      const recall = p.get('recall');
      if (recall === undefined) throw refusal(name, 'IPrec needs a recall level, e.g. IPrec@0.5');
      if (typeof recall !== 'number' || !(recall >= 0 && recall <= 1)) throw refusal(name, `the recall level must be from 0 to 1, got ${String(recall)}`);
      return binary(p, name, `iprec_at_recall.${String(recall)}`);
    },
  },
  nDCG: {
    params: { cutoff: 'int', dcg: 'str', judged_only: 'bool' },
    at: 'cutoff',
    translate: (p, name) => {
      refuseJudgedOnly(p, name);
      const dcg = p.get('dcg') ?? 'log2';
      // exp-log2 (gdeval's, trectools' and ranx's nDCG): gain 2^rel - 1, discount log2(rank + 1), our ndcg_exp.
      const family = dcg === 'log2' ? 'ndcg' : dcg === 'exp-log2' ? 'ndcg_exp' : undefined;
      if (family === undefined) throw refusal(name, `dcg must be 'log2' or 'exp-log2', got ${JSON.stringify(dcg)}`);
      const k = cutoff(p, name, false);
      return { items: [k === undefined ? family : `${family}_cut.${k}`], relLevel: undefined };
    },
  },
  Judged: { params: { cutoff: 'int' }, at: 'cutoff', translate: (p, name) => ({ items: [`judged.${cutoff(p, name, true)}`], relLevel: undefined }) },
  NumQ: { params: {}, at: 'cutoff', translate: () => ({ items: ['num_q'], relLevel: undefined }) },
  NumRet: {
    params: { rel: 'int' },
    at: 'cutoff',
    // Without rel every document retrieved (num_ret); with it those labelled >= rel (num_rel_ret).
    translate: (p, name) => (p.has('rel') ? binary(p, name, 'num_rel_ret') : { items: ['num_ret'], relLevel: undefined }),
  },
  NumRel: {
    params: { rel: 'int' },
    at: 'cutoff',
    translate: (p, name) => {
      const translation = binary(p, name, 'num_rel');
      if (translation.relLevel !== 1) {
        throw refusal(
          name,
          "only NumRel(rel=1) has a trec_eval counterpart: trec_eval's num_rel summary counts every label > 0 whatever the relevance level (ir_measures' pytrec_eval provider takes rel=1 only, for that reason)",
        );
      }
      return translation;
    },
  },
  SetP: { params: { relative: 'bool', ...BINARY }, at: 'cutoff', translate: (p, name) => binary(p, name, p.get('relative') === true ? 'set_relative_P' : 'set_P') },
  SetR: { params: { rel: 'int' }, at: 'cutoff', translate: (p, name) => binary(p, name, 'set_recall') },
  SetAP: { params: BINARY, at: 'cutoff', translate: (p, name) => binary(p, name, 'set_map') },
  SetF: {
    params: { beta: 'float', ...BINARY },
    at: 'cutoff',
    translate: (p, name) => {
      const beta = p.get('beta') ?? 1;
      if (typeof beta !== 'number' || !(beta > 0)) throw refusal(name, `beta must be a positive number, got ${String(beta)}`);
      // trec_eval prints set_F whatever its beta; `set_F.0.5` is its -m form for another beta.
      return binary(p, name, beta === 1 ? 'set_F' : `set_F.${String(beta)}`);
    },
  },
};

/** ir_measures' other names for these measures (ir_measures/measures/*.py `register`), with the parameters they fix. */
const ALIASES: Readonly<Record<string, { canonical: string; preset?: Readonly<Record<string, Param['value']>> }>> = {
  MAP: { canonical: 'AP' },
  MRR: { canonical: 'RR' },
  NDCG: { canonical: 'nDCG' },
  Precision: { canonical: 'P' },
  Recall: { canonical: 'R' },
  RPrec: { canonical: 'Rprec' },
  BPref: { canonical: 'Bpref' },
  NumRelRet: { canonical: 'NumRet', preset: { rel: 1 } },
  SetRelP: { canonical: 'SetP', preset: { relative: true } },
};

/** ir_measures' measures trec_eval does not compute, with the ir_measures provider that does (docs/measures.rst). */
const NOT_IN_TREC_EVAL: Readonly<Record<string, string>> = {
  ERR: 'gdeval',
  RBP: 'cwl_eval and trectools',
  BPM: 'cwl_eval',
  INST: 'cwl_eval',
  INSQ: 'cwl_eval',
  SDCG: 'cwl_eval',
  NERR8: 'cwl_eval',
  NERR9: 'cwl_eval',
  NERR10: 'cwl_eval',
  NERR11: 'cwl_eval',
  alpha_DCG: 'pyndeval',
  α_DCG: 'pyndeval',
  alpha_nDCG: 'pyndeval',
  α_nDCG: 'pyndeval',
  ERR_IA: 'pyndeval',
  nERR_IA: 'pyndeval',
  NRBP: 'pyndeval',
  nNRBP: 'pyndeval',
  AP_IA: 'pyndeval',
  MAP_IA: 'pyndeval',
  P_IA: 'pyndeval',
  StRecall: 'pyndeval',
  STREC: 'pyndeval',
  Compat: 'its compat provider',
  Accuracy: 'its accuracy provider',
  rND: 'its fairness measures',
  rKL: 'its fairness measures',
  rRD: 'its fairness measures',
  NormalizedDiscountedDifference: 'its fairness measures',
  NormalizedDiscountedKlDivergence: 'its fairness measures',
  NormalizedDiscountedRatio: 'its fairness measures',
};

/** Bare names trec_eval has too, left to trec_eval's reading (`P` alone: P at trec_eval's default cutoffs). */
const TREC_EVAL_NAMES = new Set(['P', 'Rprec', 'infAP']);

const NAME = /^\s*([\p{L}_][\p{L}\p{N}_]*)\s*(?:\((.*)\))?\s*(?:@\s*(\S+))?\s*$/u;

/**
 * Translates one ir_measures measure name into trec_eval-style items, e.g. `nDCG@10` -> `ndcg_cut.10`,
 * `AP@100` -> `map_cut.100`, `P(rel=2)@5` -> `P.5` at relevance level 2, `R@100` -> `recall.100`,
 * `RR` -> `recip_rank`, `Judged@10` -> `judged.10`, `IPrec@0.5` -> `iprec_at_recall.0.5`.
 *
 * A name is ir_measures style when it has `@` or `(` (no trec_eval name has either) or is an ir_measures
 * name (case-sensitive: `NDCG` is, `ndcg` is trec_eval's). A bare name trec_eval has too (`P`, `Rprec`,
 * `infAP`) is left to trec_eval's reading. Integer parameters must be written as integers (`P@5.0` is
 * refused, as ir_measures refuses it); a number parameter may be written either way (`IPrec@1`).
 * @returns undefined when `name` is not ir_measures style: it goes to selectMeasures as it is.
 * @throws UsageError for an ir_measures name without a trec_eval counterpart (ERR, RBP, alpha_nDCG, RR@k,
 *   nDCG with custom gains, judged_only=True, NumRel(rel=2), ...), saying why, and for one that cannot be
 *   read (an unknown measure, a parameter it does not take, a missing or bad value).
 */
export function translateIrMeasure(name: string): IrMeasureTranslation | undefined {
  const styled = /[@(]/.test(name);
  const match = NAME.exec(name);
  if (match === null) {
    if (!styled) return undefined;
    throw refusal(name, 'cannot read it as an ir_measures name: Name, Name@k or Name(param=value, ...)@k');
  }
  const [, measure = '', paramText, atText] = match;
  if (!styled && (TREC_EVAL_NAMES.has(measure) || !isIrMeasuresName(measure))) return undefined;
  const provider = NOT_IN_TREC_EVAL[measure];
  if (provider !== undefined) {
    throw refusal(name, `ir_measures' ${measure} has no trec_eval counterpart (ir_measures computes it with ${provider}); rerank-batch evaluates trec_eval's measures`);
  }
  const alias = ALIASES[measure];
  const canonical = alias?.canonical ?? measure;
  const spec = SPECS[canonical];
  if (spec === undefined) {
    const known = [...Object.keys(SPECS), ...Object.keys(ALIASES)].find((k) => k.toLowerCase() === measure.toLowerCase());
    throw refusal(name, `${measure} is not an ir_measures measure${known === undefined ? '' : ` (did you mean ${known}?)`}`);
  }
  const given = parseParams(paramText, name);
  // As parse_measure: `@` sets the AT_PARAM, over a value given in the parentheses.
  if (atText !== undefined) given.set(spec.at, parseValue(atText, name));
  const params = new Map<string, Param['value']>(Object.entries(alias?.preset ?? {}));
  for (const [key, param] of given) {
    const kind = spec.params[key];
    if (kind === undefined) {
      const accepted = Object.keys(spec.params);
      throw refusal(name, `${canonical} has no parameter ${key}; ${accepted.length === 0 ? 'it takes none' : `it takes ${accepted.join(', ')}`}`);
    }
    if (!(param.kind === kind || (kind === 'float' && param.kind === 'int'))) throw refusal(name, `${key} must be ${KIND_NAMES[kind]}, got ${param.text}`);
    params.set(key, param.value);
  }
  return spec.translate(params, name);
}

/**
 * Translates the ir_measures names of a measure list (items as `splitMeasureList` gives them), leaving the
 * trec_eval-style items as they are, and finds the one relevance level the list needs. One evaluation has
 * one level for all its measures, so ir_measures names that need different levels (`P(rel=2)@5` beside
 * `P@10`, which is rel=1 in ir_measures) are refused rather than computed at a level they did not ask for.
 * The list's trec_eval-style items take that level as they take trec_eval's `-l`; a caller with a level of
 * its own (`--rel-level`) should refuse a different one here in the same way.
 * @throws UsageError as translateIrMeasure, or naming two measures that need different levels.
 */
export function translateMeasureList(items: readonly string[]): TranslatedMeasureList {
  const out: string[] = [];
  let level: { relLevel: number; item: string } | undefined;
  for (const item of items) {
    const translation = translateIrMeasure(item);
    if (translation === undefined) {
      out.push(item);
      continue;
    }
    out.push(...translation.items);
    if (translation.relLevel === undefined) continue;
    if (level === undefined) {
      level = { relLevel: translation.relLevel, item };
    } else if (level.relLevel !== translation.relLevel) {
      throw new UsageError(
        `measures "${level.item}" and "${item}" need relevance levels ${level.relLevel} and ${translation.relLevel} (ir_measures' rel=, default 1), but one evaluation has one relevance level: evaluate them separately`,
      );
    }
  }
  return { items: out, relLevel: level?.relLevel };
}

function isIrMeasuresName(name: string): boolean {
  return name in SPECS || name in ALIASES || name in NOT_IN_TREC_EVAL;
}

function refusal(name: string, reason: string): UsageError {
  return new UsageError(`measure "${name}": ${reason}`);
}

const KIND_NAMES: Readonly<Record<ParamKind, string>> = { int: 'an integer', float: 'a number', bool: 'True or False', str: 'a quoted string' };

/** `k1=v1, k2=v2` in a name's parentheses, values written as Python literals (ir_measures parses them so). */
function parseParams(text: string | undefined, name: string): Map<string, Param> {
  const params = new Map<string, Param>();
  if (text === undefined || text.trim() === '') return params;
  // Values are numbers, booleans or strings without commas (dcg='exp-log2'): a comma always separates.
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    if (eq < 0 || !/^[A-Za-z_]\w*$/.test(key)) throw refusal(name, `parameters are written param=value, got "${part.trim()}"`);
    if (params.has(key)) throw refusal(name, `parameter ${key} is given twice`);
    // A gains dict ({0: 0, 1: 1, ...}) would not split on commas: say what it is before failing to read it.
    if (key === 'gains') throw refusal(name, "custom nDCG gains (gains=...) are not supported: nDCG's gain is the label, or 2^label - 1 with dcg='exp-log2'");
    params.set(key, parseValue(part.slice(eq + 1), name));
  }
  return params;
}

function parseValue(raw: string, name: string): Param {
  const text = raw.trim();
  if (/^[+-]?\d+$/.test(text)) return { kind: 'int', value: Number(text), text };
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+(?=e))(e[+-]?\d+)?$/i.test(text)) return { kind: 'float', value: Number(text), text };
  if (text === 'True' || text === 'False') return { kind: 'bool', value: text === 'True', text };
  const quoted = /^'([^'\\]*)'$|^"([^"\\]*)"$/.exec(text);
  if (quoted !== null) return { kind: 'str', value: quoted[1] ?? quoted[2] ?? '', text };
  throw refusal(name, `cannot read the value ${JSON.stringify(text)}: a number, True, False or a quoted string`);
}

/** The item at the measure's relevance level (`rel`, ir_measures' default 1); judged_only=True is refused. */
function binary(params: Params, name: string, item: string): IrMeasureTranslation {
  refuseJudgedOnly(params, name);
  const rel = params.get('rel') ?? 1;
  if (typeof rel !== 'number' || rel < 0) throw refusal(name, `rel (the relevance level) must be a non-negative integer, got ${String(rel)}`);
  return { items: [item], relLevel: rel };
}

function refuseJudgedOnly(params: Params, name: string): void {
  if (params.get('judged_only') === true) {
    throw refusal(name, 'judged_only=True (trec_eval -J: unjudged documents left out of the ranking) is not supported');
  }
}

function cutoff(params: Params, name: string, required: true): number;
function cutoff(params: Params, name: string, required: false): number | undefined;
function cutoff(params: Params, name: string, required: boolean): number | undefined {
  const k = params.get('cutoff');
  if (k === undefined) {
    if (required) throw refusal(name, 'this measure needs a cutoff, e.g. @10');
    return undefined;
  }
  if (typeof k !== 'number' || !Number.isSafeInteger(k) || k <= 0) throw refusal(name, `the cutoff must be a positive integer, got ${String(k)}`);
  return k;
}
