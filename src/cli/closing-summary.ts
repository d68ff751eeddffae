import { UsageError } from '../errors/usage-error.js';
import { judgeRegressionGates, type GateVerdict, type RegressionGate } from '../evaluate/index.js';
import type { CollectReport } from '../orchestrate/collect-run.js';
import { formatRunSummary, runSummaryOf } from '../write/run-summary.js';
import { exitCodeFor, ExitCode } from './exit-codes.js';

/**
 * After `run`, `collect` and `retry-failed`: the closing summary on stdout (one JSON object with --json),
 * and the exit code, with the regression gates judged. Interrupted, or with failed pairs, the outcome's
 * code wins over a gate's 3: the measures of a partial run say little.
 * @throws UsageError when a gated measure has no comparison (after the summary is printed).
 */
export function closeRun(report: CollectReport, out: string, gates: readonly RegressionGate[], json: boolean, stdout: (text: string) => void = (t) => void process.stdout.write(t)): ExitCode {
  const metrics = report.summary.metrics;
  let verdicts: GateVerdict[] = [];
  let gateError: UsageError | undefined;
  if (gates.length > 0 && report.outcome !== 'interrupted') {
    try {
      verdicts = judgeRegressionGates(gates, metrics?.comparisons ?? []);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      gateError = err;
    }
  }
  const summary = runSummaryOf(report.manifest, out, metrics === undefined ? undefined : { reranked: metrics.reranked.mean, comparisons: metrics.comparisons }, verdicts);
  stdout(json ? `${JSON.stringify(summary)}\n` : formatRunSummary(summary));
  if (gateError !== undefined) throw gateError;
  if (report.outcome === 'complete' && verdicts.some((v) => v.failed)) return ExitCode.Regression;
  return exitCodeFor(report.outcome);
}
