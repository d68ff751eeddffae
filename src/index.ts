/**
 * rerank-batch as a library: `import { evaluate } from 'rerank-batch'`. The package's only entry point
 * (package.json `exports`); everything else under dist/ is internal and may change between versions.
 */
import { UsageError } from './errors/usage-error.js';
import { evaluateRunFile, readQrels, splitMeasureList, type EvaluationResult } from './evaluate/index.js';

// ---------------------------------------------------------------------------------------------------
// Evaluation: trec_eval 10.0 `-c`, as `rerank-batch eval`.
// ---------------------------------------------------------------------------------------------------

/** What {@link evaluate} reads and computes. */
export interface EvaluateFilesOptions {
  /** TREC qrels file: `qid iter docid rel` (or `qid docid rel`). */
  qrels: string;
  /** Run file: a TREC run (`qid Q0 docid rank score tag`), or a ranked.jsonl (name ending `.jsonl` or `.jsonl.gz`). */
  run: string;
  /**
   * Measures, trec_eval `-m` style, as `eval --measures` takes them: a list such as
   * `"ndcg_cut.10,map,P.5,10"`, or an array of such lists. Default: every measure.
   */
  measures?: string | readonly string[];
  /** Minimum label counted relevant by the binary measures (trec_eval `-l`). Default 1. */
  relLevel?: number;
}

/**
 * Evaluates a run file against a qrels file exactly as `trec_eval -c` (10.0) does, and as
 * `rerank-batch eval --qrels QRELS --run RUN` prints it: `formatTrecEval(result)` is trec_eval's output
 * byte for byte. Run queries absent from the qrels are ignored and listed in `ignoredRunQueries`.
 * @throws InputError for an unreadable or malformed file (file and line named); UsageError for a bad
 *   measure or relevance level.
 */
export async function evaluate(options: EvaluateFilesOptions): Promise<EvaluationResult> {
  if (typeof options.qrels !== 'string' || options.qrels === '') throw new UsageError('evaluate: give the qrels file path as `qrels`');
  if (typeof options.run !== 'string' || options.run === '') throw new UsageError('evaluate: give the run file path as `run`');
  const lists = typeof options.measures === 'string' ? [options.measures] : (options.measures ?? []);
  const qrels = await readQrels(options.qrels);
  return evaluateRunFile(qrels, options.run, { relLevel: options.relLevel ?? 1, measures: lists.flatMap(splitMeasureList) });
}

export { compare, formatComparison, formatTrecEval, selectTrecEvalMeasures, trecEval, readRunTag } from './evaluate/index.js';
export type { TrecEvalOptions } from './evaluate/index.js';
// Many runs against a baseline: paired tests (t, Wilcoxon, randomization) and multiple-testing corrections.
export { adjustPValues, compareRuns, formatRunComparison, permutationTest, wilcoxonSignedRank } from './evaluate/index.js';
export type { Correction, PairedTest, RunComparisonOptions, RunComparisonTable } from './evaluate/index.js';
export type { ComparisonOptions, EvaluationResult, MeasureComparison } from './evaluate/index.js';

// Ranking comparison, as `rerank-batch diff A B`: Kendall's tau, RBO, top-k overlap per query.
export { diffRankings, formatRankingDiff, rankingDiffJson } from './evaluate/index.js';
export type { DiffRankingsOptions, QueryDiff, RankingDiff, RankingDiffSummary } from './evaluate/index.js';

// ---------------------------------------------------------------------------------------------------
// Errors: every error rerank-batch raises on purpose is a RerankBatchError with a stable `code`.
// ---------------------------------------------------------------------------------------------------

export { ERROR_CODES, type ErrorCode } from './errors/error-codes.js';
export { RerankBatchError } from './errors/rerank-batch-error.js';
export { InputError } from './errors/input-error.js';
export { UsageError } from './errors/usage-error.js';
export { RerankApiError, type ApiErrorCode, type RerankApiErrorDetails } from './rerank/errors/rerank-api-error.js';
export { RetryableApiError, type RetryableApiErrorCode } from './rerank/errors/retryable-api-error.js';
export { PermanentApiError, type PermanentApiErrorCode } from './rerank/errors/permanent-api-error.js';
export { AuthError } from './rerank/errors/auth-error.js';
export { OutputError } from './collect/durable-file.js';
export { RunAbortedError } from './collect/collector.js';

// ---------------------------------------------------------------------------------------------------
// Shared vocabulary.
// ---------------------------------------------------------------------------------------------------

export type { Pair, ProducerTotals, ShapingTotals, SourcePosition } from './interfaces.js';

// ---------------------------------------------------------------------------------------------------
// Runs: the CLI's commands as functions, taking the CLI's options (camelCase) with the same checks and
// defaults, and returning typed summaries. Lifecycle events say what happens as it happens.
// ---------------------------------------------------------------------------------------------------

export { run, type RunContext, type RunReport } from './orchestrate/run-pipeline.js';
export { submit, type SubmitResult } from './orchestrate/submit.js';
export { collect, retryFailed, type CollectResult } from './orchestrate/collect.js';
export { estimate, formatEstimate, type EstimateOptions, type EstimateReport, type Price } from './orchestrate/estimate.js';
export { PROVIDERS, PROVIDER_NAMES, type ProviderName, type ProviderSpec, type BillingUnit } from './rerank/providers/index.js';
export type { CollectReport } from './orchestrate/collect-run.js';
export type { SubmitReport } from './orchestrate/submit-input.js';
export type { OutputSummary } from './write/write-outputs.js';
// Labelling outputs (scored rows, labels, agreement): their summary, and the statistics for other uses.
export type { LabellingSummary } from './write/labelling-outputs.js';
export { ROW_STATUSES, type RowStatus } from './write/scored-rows.js';
export { AgreementAccumulator, type Agreement, type LabelScores } from './label/agreement.js';
export { calibrateThresholds, type Calibration } from './label/calibrate-thresholds.js';
export { labelOf, type LabelRule } from './label/label-rule.js';
export { writeReport } from './report/write-report.js';
export { Lifecycle, type LifecycleEventName, type LifecycleEvents, type Outcome, type RunProgress } from './lifecycle-events.js';
// The closing summary `run` and `collect` print, and the `--fail-on-regression` gates.
export { formatRunSummary, runSummaryOf, type RunSummary, type SummaryMeasure } from './write/run-summary.js';
export { judgeRegressionGates, parseRegressionGates, type GateVerdict, type RegressionGate } from './evaluate/index.js';
export type { RunOptions } from './options/run-options.js';
export type { GivenOptions, OptionSource } from './options/resolve-options.js';
export { DEFAULTS, OPTIONS, type OptionKey } from './options/option-table.js';

// Prometheus metrics of a process (`--metrics-port`): pass `metrics` in a run's context to record into
// your own registry, and serve it with startMetricsEndpoint (its URL is returned) or your own server.
export { ProcessMetrics } from './monitor/process-metrics.js';
export { startMetricsEndpoint, type MetricsEndpoint } from './monitor/metrics-endpoint.js';

// The dashboard, as `rerank-batch dashboard`: the runs of a Redis with their progress, and Bull Board over their queues.
export { startDashboard, type DashboardContext, type DashboardRun, type RunningDashboard } from './dashboard/dashboard.js';
export type { RunStatusReport } from './collect/run-status.js';

// The score cache of this machine, as `rerank-batch cache stats|prune|export|import`.
export { ScoreCache, defaultCacheDir, type CacheStats, type CachedScore, type PruneFilter } from './cache/score-cache.js';
export { exportCache, importCache, type ImportReport } from './cache/cache-file.js';
