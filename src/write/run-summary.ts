import type { GateVerdict, MeasureComparison } from '../evaluate/index.js';
import { formatComparison } from '../evaluate/index.js';
import type { Manifest } from './manifest.js';
import { comparisonJson, type ComparisonJson } from './metrics.js';

/** The measures of the closing summary, those of them the run computed, in this order. */
export const SUMMARY_MEASURES = ['ndcg_cut_10', 'ndcg', 'map', 'recip_rank', 'P_10', 'recall_100'] as const;

/** One measure of the summary: baseline (first stage) against reranked, as metrics.json's comparison has it. */
export type SummaryMeasure = { measure: string } & ComparisonJson;

/**
 * What `run` and `collect` print when they end (`--json`: this object): counts, time, requests and
 * billing units, the score cache, and with qrels the main measures against the first stage.
 */
export interface RunSummary {
  run_id: string;
  outcome: Manifest['outcome'];
  out: string;
  duration_seconds: number;
  queries: number | null;
  pairs: number | null;
  scored_pairs: number;
  failed_pairs: number;
  rejected_rows: number;
  api_requests: number;
  retries: number;
  rate_limited: number;
  billing_unit: string;
  /** Billing units the planned requests cost (what `estimate` counts), before retries. */
  billing_units: number | null;
  /** Null when the run did not use the score cache. */
  cache: { hits: number; requests_saved: number | null } | null;
  /** With qrels and a first-stage order: the main measures; null otherwise. */
  measures: SummaryMeasure[] | null;
  /** With qrels but no first-stage order to compare with: the reranked means alone. */
  reranked_only: Record<string, number> | null;
  /** The labelling outputs: rows by status (those with any), the label rule, agreement with the input's labels; null without them. */
  labelling: {
    rows: number;
    rows_by_status: Record<string, number>;
    rule: NonNullable<Manifest['labelling']>['rule'];
    calibrated_kappa: number | null;
    agreement: NonNullable<Manifest['labelling']>['agreement'];
    files: number;
  } | null;
  /** The `--fail-on-regression` verdicts; empty without gates. */
  regression_gates: { gate: string; measure: string; failed: boolean; reason: string }[];
}

/** The summary of a written run, from its manifest and the comparison written to metrics.json. */
export function runSummaryOf(
  manifest: Manifest,
  out: string,
  metrics: { reranked: Record<string, number>; comparisons: readonly MeasureComparison[] } | undefined,
  verdicts: readonly GateVerdict[] = [],
): RunSummary {
  const wanted = (measure: string): boolean => (SUMMARY_MEASURES as readonly string[]).includes(measure);
  const gated = new Set(verdicts.map((v) => v.gate.measure));
  const shown = metrics?.comparisons.filter((c) => wanted(c.measure) || gated.has(c.measure)) ?? [];
  return {
    run_id: manifest.run_id,
    outcome: manifest.outcome,
    out,
    duration_seconds: manifest.duration_seconds,
    queries: manifest.counts.queries,
    pairs: manifest.counts.pairs,
    scored_pairs: manifest.counts.scored_pairs,
    failed_pairs: manifest.counts.failed_pairs,
    rejected_rows: manifest.counts.rejected_rows,
    api_requests: manifest.counts.api_requests,
    retries: manifest.counts.retries,
    rate_limited: manifest.counts.rate_limited,
    billing_unit: manifest.planned.billing_unit,
    billing_units: manifest.planned.billing_units,
    cache: manifest.cache === null ? null : { hits: manifest.cache.hits, requests_saved: manifest.cache.requests_saved },
    measures:
      metrics === undefined || metrics.comparisons.length === 0
        ? null
        : shown.map((c) => ({ measure: c.measure, ...comparisonJson(c) })),
    reranked_only:
      metrics === undefined || metrics.comparisons.length > 0
        ? null
        : Object.fromEntries(Object.entries(metrics.reranked).filter(([measure]) => wanted(measure) || gated.has(measure))),
    labelling: labellingOf(manifest),
    regression_gates: verdicts.map((v) => ({ gate: v.gate.text, measure: v.gate.measure, failed: v.failed, reason: v.reason })),
  };
}

function labellingOf(manifest: Manifest): RunSummary['labelling'] {
  const l = manifest.labelling;
  if (l === null) return null;
  return {
    rows: l.rows,
    rows_by_status: Object.fromEntries(Object.entries(l.rows_by_status).filter(([, count]) => count > 0)),
    rule: l.rule,
    calibrated_kappa: l.calibration?.kappa ?? null,
    agreement: l.agreement,
    files: l.files.length,
  };
}

/** A statistic for people: 4 decimals, or "n/a" when it is undefined for the data. */
const stat = (value: number | null): string => (value === null ? 'n/a' : value.toFixed(4));

/** The summary as a few lines and a table, for a person reading stdout. */
export function formatRunSummary(s: RunSummary): string {
  const n = (v: number | null): string => (v === null ? '?' : v.toLocaleString('en-US'));
  const lines = [
    `run ${s.run_id}: ${s.outcome} in ${formatDuration(s.duration_seconds)}; outputs in ${s.out}`,
    `  queries ${n(s.queries)}, pairs ${n(s.pairs)}: ${n(s.scored_pairs)} scored, ${n(s.failed_pairs)} failed${s.rejected_rows > 0 ? `, ${n(s.rejected_rows)} input rows rejected` : ''}`,
    `  API requests ${n(s.api_requests)} (retries ${n(s.retries)}, 429s ${n(s.rate_limited)}), ${n(s.billing_units)} ${s.billing_unit}${s.billing_units === 1 ? '' : 's'} planned`,
  ];
  if (s.cache !== null) lines.push(`  score cache: ${n(s.cache.hits)} pairs from the cache, ${n(s.cache.requests_saved)} requests saved`);
  const l = s.labelling;
  if (l !== null) {
    const statuses = Object.entries(l.rows_by_status).map(([status, count]) => `${n(count)} ${status}`).join(', ');
    lines.push(`  labelling: ${n(l.rows)} input rows (${statuses}) in ${n(l.files)} files`);
    if (l.rule !== null) {
      const rule = l.rule.kind === 'thresholds' ? `thresholds ${l.rule.thresholds.join(', ')}` : `top ${l.rule.k} of each query`;
      lines.push(`  labels from ${rule}${l.calibrated_kappa === null ? '' : ` (calibrated: Cohen's kappa ${stat(l.calibrated_kappa)})`}`);
    }
    const a = l.agreement;
    if (a !== null) lines.push(`  agreement with the input's labels over ${n(a.pairs)} pairs: Spearman ${stat(a.spearman)}, Kendall tau-b ${stat(a.kendall_tau_b)}, AUC ${stat(a.auc)}, Cohen's kappa ${stat(a.cohen_kappa)}`);
  }
  let text = `${lines.join('\n')}\n`;
  if (s.measures !== null) {
    const comparisons: MeasureComparison[] = s.measures.map((m) => ({
      measure: m.measure,
      a: m.baseline,
      b: m.reranked,
      delta: m.delta,
      pValue: m.p_value ?? Number.NaN,
      ciLow: m.ci95_low ?? Number.NaN,
      ciHigh: m.ci95_high ?? Number.NaN,
      wins: m.wins,
      ties: m.ties,
      losses: m.losses,
    }));
    text += `\n${formatComparison(comparisons, { a: 'baseline', b: 'reranked' })}`;
  } else if (s.reranked_only !== null) {
    const entries = Object.entries(s.reranked_only);
    const width = Math.max(...entries.map(([m]) => m.length), 'measure'.length);
    text += `\n${'measure'.padEnd(width)}  reranked  (no first-stage order to compare with)\n`;
    for (const [measure, value] of entries) text += `${measure.padEnd(width)}  ${value.toFixed(4)}\n`;
  }
  for (const gate of s.regression_gates) {
    text += `${gate.failed ? 'REGRESSION' : 'gate passed'}: --fail-on-regression ${gate.gate}${gate.failed ? `: ${gate.measure} ${gate.reason}` : ''}\n`;
  }
  return text;
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const sec = Math.round(seconds % 60);
  return h > 0 ? `${h} h ${m} min` : `${m} min ${sec} s`;
}
