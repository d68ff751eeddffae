import { UsageError } from '../errors/usage-error.js';
import type { MeasureComparison } from './compare.js';
import { selectMeasures } from './measure-selection.js';
import { adjustPValues } from './multiple-testing.js';
import type { RunComparisonTable } from './run-comparison.js';

/** One `--fail-on-regression MEASURE[:DELTA]`: the measure as metrics.json names it, and the drop it tolerates. */
export interface RegressionGate {
  /** As written, for messages. */
  text: string;
  /** Printed measure name, e.g. ndcg_cut_10 for `ndcg_cut.10`. */
  measure: string;
  /** Largest drop of the mean (baseline - reranked) that passes; 0 when not given. */
  maxDrop: number;
}

/** Below this paired t-test p, a drop counts as significant whatever its size. */
export const GATE_P_VALUE = 0.05;

/**
 * Parses gates written `MEASURE[:DELTA]`, the measure in any form `--measures` takes that names one measure
 * (`ndcg_cut.10`, `ndcg_cut_10`, `map`).
 * @throws UsageError naming the item for an unknown measure, a family of several measures or a bad DELTA.
 */
export function parseRegressionGates(items: readonly string[]): RegressionGate[] {
  return items.map((text) => {
    const colon = text.lastIndexOf(':');
    const name = colon < 0 ? text : text.slice(0, colon);
    const dropText = colon < 0 ? '0' : text.slice(colon + 1);
    if (!/^\d+(\.\d+)?$/.test(dropText)) throw new UsageError(`--fail-on-regression ${text}: DELTA must be a number >= 0 (e.g. ndcg_cut.10:0.01)`);
    const names = selectMeasures([name]).names;
    const measure = names[0];
    if (measure === undefined || names.length !== 1) {
      throw new UsageError(`--fail-on-regression ${text}: name one measure (e.g. ndcg_cut.10, map, P.5), not a family of ${names.length}`);
    }
    if (measure === 'num_q' || measure.startsWith('num_')) throw new UsageError(`--fail-on-regression ${text}: ${measure} is a count, not a measure that can regress`);
    return { text, measure, maxDrop: Number(dropText) };
  });
}

/** A gate's verdict on one comparison (baseline = a, reranked = b). */
export interface GateVerdict {
  gate: RegressionGate;
  comparison: MeasureComparison;
  failed: boolean;
  /** Why it failed, in words; empty when it passed. */
  reason: string;
}

/**
 * Judges each gate: it fails when the measure dropped by more than its DELTA, or dropped significantly
 * (p < 0.05, or the whole 95% interval of the difference below zero).
 * @throws UsageError when a gated measure was not compared (not computed, or no first-stage baseline).
 */
export function judgeRegressionGates(gates: readonly RegressionGate[], comparisons: readonly MeasureComparison[]): GateVerdict[] {
  return gates.map((gate) => {
    const comparison = comparisons.find((c) => c.measure === gate.measure);
    if (comparison === undefined) {
      const why = comparisons.length === 0 ? 'there is no baseline to compare with (qrels, and a first-stage score or rank per candidate, are needed)' : `${gate.measure} was not compared`;
      throw new UsageError(`--fail-on-regression ${gate.text}: ${why}`);
    }
    const reasons: string[] = [];
    const drop = -comparison.delta;
    if (drop > gate.maxDrop) reasons.push(`dropped by ${drop.toFixed(4)} (more than ${gate.maxDrop})`);
    if (comparison.delta < 0 && comparison.pValue < GATE_P_VALUE) reasons.push(`significantly (p = ${comparison.pValue.toFixed(4)})`);
    if (comparison.ciHigh < 0) reasons.push(`95% CI [${comparison.ciLow.toFixed(4)}, ${comparison.ciHigh.toFixed(4)}] below zero`);
    return { gate, comparison, failed: reasons.length > 0, reason: reasons.join(', ') };
  });
}

/** A gate's verdict on one run of a many-run comparison (against the table's baseline). */
export interface RunGateVerdict extends GateVerdict {
  run: string;
}

/**
 * Judges each gate on every run of a table against its baseline (`eval` with two or more runs). A run
 * fails a gate when the measure dropped by more than DELTA, or dropped significantly: the table's test p,
 * corrected with the table's correction over the gate family (every run x every gated measure), below
 * 0.05; or, where `intervals` holds the run's bootstrap interval (two runs), when the 95% interval lies
 * wholly below zero. With two runs and one gate the family is that one test: exactly
 * {@link judgeRegressionGates} on the two-run comparison.
 * @param intervals the bootstrap comparisons (compare()) of some runs, by run name.
 * @throws UsageError when a gated measure was not compared.
 */
export function judgeRunGates(
  gates: readonly RegressionGate[],
  table: RunComparisonTable,
  intervals: ReadonlyMap<string, readonly MeasureComparison[]> = new Map(),
): RunGateVerdict[] {
  const family = gates.flatMap((gate) => {
    if (!table.measures.includes(gate.measure)) throw new UsageError(`--fail-on-regression ${gate.text}: ${gate.measure} was not compared`);
    return table.comparisons.filter((c) => c.measure === gate.measure).map((cell) => ({ gate, cell }));
  });
  const adjusted = adjustPValues(
    family.map(({ cell }) => cell.pValue),
    table.correction,
  );
  return family.map(({ gate, cell }, i) => {
    const interval = intervals.get(cell.run)?.find((c) => c.measure === cell.measure);
    const comparison: MeasureComparison = {
      measure: cell.measure,
      a: cell.baselineValue,
      b: cell.value,
      delta: cell.delta,
      pValue: adjusted[i] ?? NaN,
      ciLow: interval?.ciLow ?? NaN,
      ciHigh: interval?.ciHigh ?? NaN,
      wins: cell.wins,
      ties: cell.ties,
      losses: cell.losses,
    };
    const [verdict] = judgeRegressionGates([gate], [comparison]);
    return { ...(verdict as GateVerdict), run: cell.run };
  });
}
