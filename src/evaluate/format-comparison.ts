import { stringify } from 'csv-stringify/sync';
import type { MeasureComparison } from './compare.js';
import { formatFixed } from './format.js';
import { PAIRED_TEST_NAMES, type RunComparisonTable, type RunMeasureComparison } from './run-comparison.js';

/**
 * Formats comparisons as an aligned text table: measure, A, B, delta, p, CI, W/T/L; when they carry a
 * corrected p and an effect size (`eval`), two more columns after W/T/L: `p_<correction>` (`*` when
 * significant) and d.
 * @param labels column titles for the two runs, default "A" and "B"; `correction` names the corrected
 *   p's column (default "adj").
 * @param confidence for the interval's title, default 0.95.
 */
export function formatComparison(
  comparisons: readonly MeasureComparison[],
  labels: { a?: string; b?: string; confidence?: number; correction?: string } = {},
): string {
  const ci = `${Math.round((labels.confidence ?? 0.95) * 100)}% CI`;
  const corrected = comparisons.some((c) => c.pAdjusted !== undefined);
  const header = ['measure', labels.a ?? 'A', labels.b ?? 'B', 'delta', 'p', ci, 'W/T/L', ...(corrected ? [pColumn(labels.correction ?? 'adj'), 'd'] : [])];
  const rows = comparisons.map((c) => [
    c.measure,
    formatFixed(c.a),
    formatFixed(c.b),
    signed(c.delta),
    Number.isNaN(c.pValue) ? 'n/a' : formatFixed(c.pValue),
    Number.isNaN(c.ciLow) ? 'n/a' : `[${signed(c.ciLow)}, ${signed(c.ciHigh)}]`,
    `${c.wins}/${c.ties}/${c.losses}`,
    ...(corrected ? [markedP(c.pAdjusted ?? NaN, c.significant === true), effectSize(c.effectSize ?? NaN)] : []),
  ]);
  return alignedTable(header, rows);
}

/**
 * Formats a many-run comparison as one aligned text table, a row per measure and run: the baseline's
 * row first in each measure (its mean only), then every other run's mean, delta, p of the test, p after
 * the correction (`*` when significant; the p column itself when there is no correction), Cohen's d_z
 * and W/T/L.
 */
export function formatRunComparison(table: RunComparisonTable): string {
  const corrected = table.correction !== 'none';
  const header = ['measure', 'run', 'mean', 'delta', 'p', ...(corrected ? [pColumn(table.correction)] : []), 'd', 'W/T/L'];
  const rows: string[][] = [];
  for (const [measure, comparisons] of byMeasure(table)) {
    rows.push([measure, table.baseline, formatFixed(table.means.get(table.baseline)?.[measure] ?? 0)]);
    for (const c of comparisons) {
      const p = corrected ? [formatP(c.pValue), markedP(c.pAdjusted, c.significant)] : [markedP(c.pValue, c.significant)];
      rows.push([measure, c.run, formatFixed(c.value), signed(c.delta), ...p, effectSize(c.effectSize), `${c.wins}/${c.ties}/${c.losses}`]);
    }
  }
  return alignedTable(header, rows);
}

/** One line saying how the table's p-values were found and what its marks mean. */
export function comparisonLegend(table: RunComparisonTable): string {
  const flips = table.flips === undefined ? '' : table.flips.exact ? ` (all ${table.flips.count} sign flips)` : ` (${table.flips.count} random sign flips)`;
  const correction = table.correction === 'none' ? 'no correction' : `${table.correction} correction over ${table.family} comparisons (runs x measures)`;
  const column = table.correction === 'none' ? 'p' : pColumn(table.correction);
  return `baseline ${table.baseline}; ${PAIRED_TEST_NAMES[table.test]}${flips}, two-sided; ${correction}; * ${column} < ${table.alpha}; d = Cohen's d_z (mean per-query difference / its standard deviation)\n`;
}

/** Bootstrap intervals of some runs (two-run comparisons), by run, for the CSV's ci columns. */
export type ComparisonIntervals = ReadonlyMap<string, readonly MeasureComparison[]>;

/** The columns of {@link runComparisonCsv}. */
export const RUN_COMPARISON_CSV_COLUMNS = ['measure', 'run', 'is_baseline', 'mean', 'delta', 'p_value', 'p_adjusted', 'significant', 'effect_size', 'wins', 'ties', 'losses', 'ci_low', 'ci_high'] as const;

/**
 * The table as CSV, the rows of {@link formatRunComparison} (baseline rows: measure, run, is_baseline
 * true, mean; the rest empty), numbers at full precision, NaN empty, infinities `inf`/`-inf`. ci_low and
 * ci_high hold the bootstrap interval where `intervals` has one (two runs), else are empty.
 */
export function runComparisonCsv(table: RunComparisonTable, intervals: ComparisonIntervals = new Map()): string {
  const rows: string[][] = [[...RUN_COMPARISON_CSV_COLUMNS]];
  for (const [measure, comparisons] of byMeasure(table)) {
    rows.push([measure, table.baseline, 'true', csvNumber(table.means.get(table.baseline)?.[measure] ?? 0), '', '', '', '', '', '', '', '', '', '']);
    for (const c of comparisons) {
      const interval = intervals.get(c.run)?.find((i) => i.measure === measure);
      rows.push([
        measure,
        c.run,
        'false',
        csvNumber(c.value),
        csvNumber(c.delta),
        csvNumber(c.pValue),
        csvNumber(c.pAdjusted),
        String(c.significant),
        csvNumber(c.effectSize),
        String(c.wins),
        String(c.ties),
        String(c.losses),
        interval === undefined ? '' : csvNumber(interval.ciLow),
        interval === undefined ? '' : csvNumber(interval.ciHigh),
      ]);
    }
  }
  return stringify(rows);
}

/**
 * The table as JSON: baseline, runs, test, correction, alpha, comparisons (the correction's family
 * size), flips (permutation test), and measures: measure -> run -> {mean} for the baseline, {mean, delta,
 * p_value, p_adjusted, significant, effect_size, wins, ties, losses} for the others. NaN and infinities
 * become null when stringified.
 */
export function runComparisonJson(table: RunComparisonTable): Record<string, unknown> {
  const measures: Record<string, Record<string, unknown>> = {};
  for (const [measure, comparisons] of byMeasure(table)) {
    const runs: Record<string, unknown> = { [table.baseline]: { mean: table.means.get(table.baseline)?.[measure] ?? 0 } };
    for (const c of comparisons) {
      runs[c.run] = {
        mean: c.value,
        delta: c.delta,
        p_value: c.pValue,
        p_adjusted: c.pAdjusted,
        significant: c.significant,
        effect_size: c.effectSize,
        wins: c.wins,
        ties: c.ties,
        losses: c.losses,
      };
    }
    measures[measure] = runs;
  }
  return {
    baseline: table.baseline,
    runs: table.runs,
    test: table.test,
    correction: table.correction,
    alpha: table.alpha,
    comparisons: table.family,
    ...(table.flips === undefined ? {} : { flips: table.flips }),
    measures,
  };
}

function byMeasure(table: RunComparisonTable): Map<string, RunMeasureComparison[]> {
  const groups = new Map<string, RunMeasureComparison[]>(table.measures.map((m) => [m, []]));
  for (const c of table.comparisons) groups.get(c.measure)?.push(c);
  return groups;
}

function alignedTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === 0 || (i === 1 && header[1] === 'run') ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd() + '\n';
  return [line(header), ...rows.map(line)].join('');
}

function pColumn(correction: string): string {
  return `p_${correction}`;
}

function formatP(p: number): string {
  return Number.isNaN(p) ? 'n/a' : formatFixed(p);
}

/** A p with its mark: `*` when significant, else a space, so the digits stay aligned. */
function markedP(p: number, significant: boolean): string {
  return `${formatP(p)}${significant ? '*' : ' '}`;
}

function effectSize(d: number): string {
  return Number.isNaN(d) ? 'n/a' : signed(d, 2);
}

function csvNumber(value: number): string {
  if (Number.isNaN(value)) return '';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  return String(value);
}

function signed(value: number, digits = 4): string {
  const text = formatFixed(value, digits);
  return value > 0 || (value === 0 && !text.startsWith('-')) ? `+${text}` : text;
}
