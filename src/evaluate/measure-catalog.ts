/**
 * The measures rerank-batch computes: every measure trec_eval 10.0 computes from TREC qrels and runs, with
 * its names, print order, parameters, defaults and summaries (measures.c), plus a few beyond trec_eval
 * (ndcg_exp, ndcg_exp_cut, judged).
 */
import type { GainPair } from './gains.js';
import { averagePrecision, averagePrecisionAt, inferredAveragePrecision, logAveragePrecision, yetAnotherAveragePrecision } from './measures/average-precision.js';
import { bpref, logBpref } from './measures/bpref.js';
import { binaryGain, discountedGains, exponentialGain, ndcg, ndcgAt, ndcgRelevant, normalizedGain, rNdcg } from './measures/cumulative-gain.js';
import { interpolatedPrecisionAt, interpolatedPrecisionAverage } from './measures/interpolated-precision.js';
import { precisionAt, rPrecision, rPrecisionMultiples, recallAt, reciprocalRank, relativePrecisionAt, successAt } from './measures/precision.js';
import { rankBiasedPrecision, rankBiasedPrecisionResidual } from './measures/rank-biased-precision.js';
import { relevanceString } from './measures/relstring.js';
import { nonRelevantJudgedRetrieved, setAveragePrecision, setF, setPrecision, setRecall, setRelativePrecision, utility } from './measures/set-measures.js';
import { judgedAt, unjudgedAt } from './measures/unjudged.js';
import type { JudgedRanking } from './ranking.js';

/**
 * How a family takes parameters after its name (`-m name.params`), trec_eval's init_meas kinds:
 * `cutoffs` positive integers (sorted, no duplicates; each printed `name_k`), `fractions` decimals
 * (sorted, no duplicates; printed `name_%3.2f`), `numbers` decimals kept in order and `pairs`
 * `name=value` items (the family prints as one value, named `name_<params as given>` when given).
 */
export type ParameterSpec =
  | { kind: 'none' }
  | { kind: 'cutoffs'; defaults: readonly number[] }
  | { kind: 'fractions'; defaults: readonly number[] }
  | { kind: 'numbers'; defaults: readonly number[] }
  | { kind: 'pairs' };

/** A family's parameters in force: the defaults, or those given. */
export interface MeasureParameters {
  /** Cutoffs, fractions or numbers. */
  values: number[];
  /** `name=value` pairs (kind `pairs`). */
  pairs: GainPair[];
  /** The parameter text as given on the command line (trec_eval's printable_params); undefined for the defaults. */
  text: string | undefined;
}

/** What a measure may need beyond the ranking. */
export interface MeasureContext {
  /** Documents in the collection (trec_eval -N, default 0): utility's fourth coefficient multiplies what it leaves. */
  numDocsInCollection: number;
}

/** How a family's summary line ("all") is made from its per-query values. */
export type SummaryKind =
  /** Mean over the queries (trec_eval te_calc_avg_meas_s). */
  | 'mean'
  /** Sum over the queries, printed as an integer. */
  | 'sum'
  /** exp of the mean of the per-query logs (gm_map, gm_bpref). */
  | 'geometric-mean'
  /** The number of queries (num_q). */
  | 'queries'
  /** The per-query sum; under -c the number of qrels labels > 0 whatever the relevance level (num_rel, trec_eval 10.0). */
  | 'relevant'
  /** The run's tag (runid). */
  | 'run-id'
  /** No summary line (relstring). */
  | 'none';

/** How a measure family is computed, accumulated and printed. */
export interface MeasureFamily {
  /** trec_eval name (the `-m` name), e.g. "ndcg_cut". */
  name: string;
  /** Counts are summed over queries (not averaged) and printed as integers, as trec_eval does. */
  count: boolean;
  /** Default cutoffs for integer-cutoff measures (printed as `name_k`); undefined for the others. */
  defaultCutoffs?: readonly number[];
  parameters: ParameterSpec;
  summary: SummaryKind;
  /** Printed for each query with -q (gm_map, gm_bpref, num_q and runid are summary-only). */
  perQuery: boolean;
  /** trec_eval 10.0 -c sets it to 0 (relstring: empty) for a qrels query the run lacks, after evaluating its stand-in ranking. */
  zeroWhenMissing: boolean;
  /** A trec_eval measure (false: one of rerank-batch's own). */
  trecEval: boolean;
  /** In `eval`'s default set (`all`); eval offers every family with per-query numbers, trec_eval all of them. */
  inEvalDefault: boolean;
  /** Values of one query, one per printed name. Absent for runid and relstring, whose values are text. */
  compute?: (ranking: JudgedRanking, parameters: MeasureParameters, context: MeasureContext) => number[];
  /** relstring's text of one query. */
  text?: (ranking: JudgedRanking, parameters: MeasureParameters) => string;
  /** One line of documentation. */
  description: string;
}

/** trec_eval's default cutoffs for P, recall, ndcg_cut, map_cut and relative_P. */
export const DEFAULT_CUTOFFS: readonly number[] = [5, 10, 15, 20, 30, 100, 200, 500, 1000];
/** trec_eval's default recall levels of iprec_at_recall and 11pt_avg. */
const RECALL_LEVELS: readonly number[] = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0];

type Defaults = Pick<MeasureFamily, 'summary' | 'perQuery' | 'zeroWhenMissing' | 'trecEval' | 'inEvalDefault'>;
const RATE: Defaults = { summary: 'mean', perQuery: true, zeroWhenMissing: false, trecEval: true, inEvalDefault: false };

/** A family averaged over queries and printed %6.4f. */
function rate(
  name: string,
  parameters: ParameterSpec,
  compute: NonNullable<MeasureFamily['compute']>,
  description: string,
  overrides: Partial<Defaults> = {},
): MeasureFamily {
  const defaultCutoffs = parameters.kind === 'cutoffs' ? parameters.defaults : undefined;
  return { name, count: false, parameters, compute, description, ...RATE, ...overrides, ...(defaultCutoffs === undefined ? {} : { defaultCutoffs }) };
}

/** A family summed over queries and printed as an integer. */
function count(name: string, compute: (ranking: JudgedRanking) => number, description: string, overrides: Partial<Defaults> = {}): MeasureFamily {
  return { name, count: true, parameters: NONE, compute: (r) => [compute(r)], description, ...RATE, summary: 'sum', ...overrides };
}

const NONE: ParameterSpec = { kind: 'none' };
const PAIRS: ParameterSpec = { kind: 'pairs' };
const cutoffs = (defaults: readonly number[]): ParameterSpec => ({ kind: 'cutoffs', defaults });
const single = (f: (r: JudgedRanking, p: MeasureParameters, c: MeasureContext) => number) => (r: JudgedRanking, p: MeasureParameters, c: MeasureContext) => [f(r, p, c)];

/**
 * Every family, in trec_eval 10.0's print order (te_trec_measures in measures.c, less the preference and
 * judgment-group measures, which need other qrels formats); the families trec_eval lacks come last.
 */
export const MEASURE_FAMILIES: readonly MeasureFamily[] = [
  { name: 'runid', count: false, parameters: NONE, summary: 'run-id', perQuery: false, zeroWhenMissing: false, trecEval: true, inEvalDefault: false, description: 'the run tag of the run file (its last line\'s)' },
  count('num_q', () => 1, 'number of queries averaged over (with -c every query of the qrels)', { summary: 'queries', perQuery: false, inEvalDefault: true }),
  count('num_ret', (r) => r.rels.length, 'number of documents retrieved (sum over queries)', { zeroWhenMissing: true, inEvalDefault: true }),
  count('num_rel', (r) => r.numRel, 'number of relevant documents (sum over queries)', { summary: 'relevant', inEvalDefault: true }),
  count('num_rel_ret', (r) => r.numRelRet, 'number of relevant documents retrieved (sum over queries)', { inEvalDefault: true }),
  rate('map', NONE, single((r) => averagePrecision(r)), 'mean average precision', { inEvalDefault: true }),
  rate('gm_map', NONE, single(logAveragePrecision), 'geometric mean of average precision (each at least 0.00001); summary only', { summary: 'geometric-mean', perQuery: false }),
  rate('Rprec', NONE, single(rPrecision), 'precision after R documents, R = number of relevant documents', { inEvalDefault: true }),
  rate('bpref', NONE, single(bpref), 'binary preference: how often judged relevant documents come before judged non-relevant ones'),
  rate('recip_rank', NONE, single(reciprocalRank), 'reciprocal rank of the first relevant document', { inEvalDefault: true }),
  rate('iprec_at_recall', { kind: 'fractions', defaults: RECALL_LEVELS }, (r, p) => interpolatedPrecisionAt(r, p.values), 'interpolated precision at recall levels'),
  rate('P', cutoffs(DEFAULT_CUTOFFS), (r, p) => precisionAt(r, p.values), 'precision at k (missing ranks count as non-relevant)', { inEvalDefault: true }),
  {
    name: 'relstring',
    count: false,
    parameters: { kind: 'numbers', defaults: [10] },
    summary: 'none',
    perQuery: true,
    zeroWhenMissing: true,
    trecEval: true,
    inEvalDefault: false,
    text: (r, p) => relevanceString(r, p.values[0] ?? 10),
    description: "relevance of the first N (10) documents, one character each: 0-9, '>' above 9, '-' not in the qrels, '.' unjudged; per query only",
  },
  rate('recall', cutoffs(DEFAULT_CUTOFFS), (r, p) => recallAt(r, p.values), 'recall at k', { inEvalDefault: true }),
  rate('infAP', NONE, single(inferredAveragePrecision), 'inferred average precision (Yilmaz and Aslam): judged documents sampled from the pool'),
  rate('gm_bpref', NONE, single(logBpref), 'geometric mean of bpref (each at least 0.00001); summary only', { summary: 'geometric-mean', perQuery: false }),
  rate('Rprec_mult', { kind: 'fractions', defaults: [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0] }, (r, p) => rPrecisionMultiples(r, p.values), 'precision after x times R documents'),
  rate('utility', { kind: 'numbers', defaults: [1.0, -1.0, 0.0, 0.0] }, single((r, p, c) => utility(r, p.values, c.numDocsInCollection)), 'a·rel_ret + b·nonrel_ret + c·rel_not_ret + d·nonrel_not_ret, coefficients a,b,c,d', { zeroWhenMissing: true }),
  rate('11pt_avg', { kind: 'numbers', defaults: RECALL_LEVELS }, single((r, p) => interpolatedPrecisionAverage(r, p.values)), 'interpolated precision averaged over recall levels (11 by default)'),
  rate('binG', NONE, single(binaryGain), 'binary G: mean over relevant documents of 1/log2(2 + non-relevant above it)'),
  rate('G', PAIRS, single((r, p) => normalizedGain(r, p.pairs)), 'normalized gain (experimental), gains level=gain'),
  rate('dcg', PAIRS, single((r, p) => discountedGains(r, p.pairs).dcg), 'discounted cumulative gain, gains level=gain'),
  rate('ideal_dcg', PAIRS, single((r, p) => discountedGains(r, p.pairs).idealDcg), 'ideal discounted cumulative gain, gains level=gain'),
  rate('ndcg', PAIRS, single((r, p) => ndcg(r, p.pairs)), 'nDCG over the whole ranking, gain = relevance (or level=gain), discount log2(rank+1)', { inEvalDefault: true }),
  rate('ndcg_rel', PAIRS, single((r, p) => ndcgRelevant(r, p.pairs)), 'nDCG averaged over the relevant documents'),
  rate('Rndcg', PAIRS, single((r, p) => rNdcg(r, p.pairs)), 'nDCG averaged at the R levels of each gain'),
  rate('ndcg_cut', cutoffs(DEFAULT_CUTOFFS), (r, p) => ndcgAt(r, p.values), 'nDCG at k, gain = relevance', { inEvalDefault: true }),
  rate('map_cut', cutoffs(DEFAULT_CUTOFFS), (r, p) => averagePrecisionAt(r, p.values), 'average precision at k', { inEvalDefault: true }),
  rate('relative_P', cutoffs(DEFAULT_CUTOFFS), (r, p) => relativePrecisionAt(r, p.values), 'precision at k over the best possible, min(k, R)'),
  rate('success', cutoffs([1, 5, 10]), (r, p) => successAt(r, p.values), '1 if a relevant document is in the top k', { inEvalDefault: true }),
  rate('set_P', NONE, single(setPrecision), 'precision of the retrieved set'),
  rate('set_relative_P', NONE, single(setRelativePrecision), 'precision of the retrieved set over the best possible'),
  rate('set_recall', NONE, single(setRecall), 'recall of the retrieved set'),
  rate('set_map', NONE, single(setAveragePrecision), 'set precision times set recall'),
  rate('set_F', { kind: 'numbers', defaults: [1.0] }, single((r, p) => setF(r, p.values[0] ?? 1.0)), 'F measure of the retrieved set, recall weighted x (1) against precision'),
  count('num_nonrel_judged_ret', nonRelevantJudgedRetrieved, 'number of judged non-relevant documents retrieved (sum over queries)'),
  rate('yaap', NONE, single(yetAnotherAveragePrecision), "Robertson's yet another average precision, log((1 + AP sum) / (1 + R - AP sum))"),
  rate('rbp', PAIRS, single((r, p) => rankBiasedPrecision(r, p.pairs)), 'rank-biased precision, persistence p=0.9 (pair p=...), gains rescaled to [0,1]'),
  rate('rbp_resid', PAIRS, single((r, p) => rankBiasedPrecisionResidual(r, p.pairs)), 'residual of rbp: what unjudged documents and the tail could add', { zeroWhenMissing: true }),
  rate('unj', cutoffs([5, 10, 20]), (r, p) => unjudgedAt(r, p.values), 'fraction of the top k not judged', { zeroWhenMissing: true }),
  rate('ndcg_exp', NONE, (r) => ndcgAt(r, [Infinity], exponentialGain), 'nDCG over the whole ranking, gain = 2^relevance - 1', { trecEval: false, inEvalDefault: true }),
  rate('ndcg_exp_cut', cutoffs(DEFAULT_CUTOFFS), (r, p) => ndcgAt(r, p.values, exponentialGain), 'nDCG at k, gain = 2^relevance - 1', { trecEval: false, inEvalDefault: true }),
  rate(
    'judged',
    cutoffs(DEFAULT_CUTOFFS),
    (r, p) => judgedAt(r, p.values),
    'fraction of the top min(k, retrieved) documents judged in the qrels (label >= 0), as ir_measures Judged@k',
    { trecEval: false, inEvalDefault: true },
  ),
];

/** trec_eval's measure sets (`-m official`, `-m all_trec`, `-m set`), by name. */
export const MEASURE_NICKNAMES: ReadonlyMap<string, readonly string[]> = new Map([
  ['official', ['runid', 'num_q', 'num_ret', 'num_rel', 'num_rel_ret', 'map', 'gm_map', 'Rprec', 'bpref', 'recip_rank', 'iprec_at_recall', 'P']],
  ['set', ['runid', 'num_q', 'num_ret', 'num_rel', 'num_rel_ret', 'utility', 'set_P', 'set_recall', 'set_relative_P', 'set_map', 'set_F']],
  [
    'all_trec',
    [
      'runid', 'num_q', 'num_ret', 'num_rel', 'num_rel_ret', 'map', 'gm_map', 'Rprec', 'bpref', 'recip_rank', 'iprec_at_recall', 'P', 'relstring',
      'recall', 'unj', 'rbp', 'rbp_resid', 'infAP', 'gm_bpref', 'utility', '11pt_avg', 'ndcg', 'relative_P', 'Rprec_mult', 'success', 'map_cut',
      'ndcg_cut', 'ndcg_rel', 'Rndcg', 'binG', 'G', 'set_P', 'set_recall', 'set_relative_P', 'set_map', 'set_F', 'num_nonrel_judged_ret',
    ],
  ],
]);

/**
 * trec_eval measures and sets that need a rel_info format other than qrels (`-R prefs`, `qrels_prefs`,
 * `qrels_jg`), which rerank-batch does not read.
 */
export const OTHER_FORMAT_MEASURES: ReadonlySet<string> = new Set([
  'all_prefs', 'prefs', 'qrels_jg', 'prefs_num_prefs_poss', 'prefs_num_prefs_ful', 'prefs_num_prefs_ful_ret', 'prefs_simp', 'prefs_pair',
  'prefs_avgjg', 'prefs_avgjg_Rnonrel', 'prefs_simp_ret', 'prefs_pair_ret', 'prefs_avgjg_ret', 'prefs_avgjg_Rnonrel_ret', 'prefs_simp_imp',
  'prefs_pair_imp', 'prefs_avgjg_imp', 'map_avgjg', 'P_avgjg', 'Rprec_mult_avgjg',
]);

/** Looks a family up by its trec_eval name; undefined when unknown. */
export function findFamily(name: string): MeasureFamily | undefined {
  return MEASURE_FAMILIES.find((f) => f.name === name);
}
