/** Public API of the IR evaluator (trec_eval 10.0 `-c` compatible). */
export { compareUtf8 } from '../read/byte-order.js';
export { readQrels, type Qrels } from '../read/qrels-file.js';
export { readTrecRun, type Run } from './trec-run.js';
export { iterateRankedJsonl, readRankedJsonlRun, type RankedJsonlQuery } from './ranked-jsonl-run.js';
export { compareTrecOrder, sortTrecOrder, type ScoredDoc } from '../read/trec-order.js';
export { DEFAULT_CUTOFFS, MEASURE_FAMILIES, type MeasureFamily } from './measure-catalog.js';
export { selectMeasures, selectTrecEvalMeasures, splitMeasureList, type MeasureSelection, type SelectedFamily } from './measure-selection.js';
export { trecEval, type TrecEvalOptions } from './trec-eval.js';
export { readRunTag } from './run-tag.js';
export { evaluateRunFile } from './evaluate-file.js';
export { Evaluator, evaluate, type EvaluateOptions, type EvaluationResult, type QuerySource } from './evaluator.js';
export { compare, type ComparisonOptions, type MeasureComparison } from './compare.js';
export { compareRuns, RunComparator, PAIRED_TESTS, type PairedTest, type RunComparisonOptions, type RunComparisonTable, type RunMeasureComparison } from './run-comparison.js';
export { adjustPValues, CORRECTIONS, type Correction } from './multiple-testing.js';
export { wilcoxonSignedRank, type WilcoxonResult } from './wilcoxon.js';
export { permutationTest, SignFlipTest } from './permutation-test.js';
export { comparisonLegend, formatComparison, formatRunComparison, runComparisonCsv, runComparisonJson } from './format-comparison.js';
export { pairedTTest, studentTTwoSidedP, regularizedIncompleteBeta, type PairedTTest } from './student-t.js';
export { mulberry32 } from '../mulberry32.js';
export { formatFixed, formatMeasureValue, formatTrecEval, formatTrecEvalLine, isCountMeasure } from './format.js';
export {
  RANKING_DIFF_DEFAULTS,
  diffQuery,
  diffRankings,
  formatRankingDiff,
  kendallTau,
  rankBiasedOverlap,
  rankingDiffJson,
  topKOverlap,
  type DiffRankingsOptions,
  type QueryDiff,
  type RankingDiff,
  type RankingDiffSummary,
} from './ranking-diff.js';
export { GATE_P_VALUE, judgeRegressionGates, parseRegressionGates, type GateVerdict, type RegressionGate } from './regression-gate.js';
