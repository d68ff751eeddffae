import { UsageError } from '../errors/usage-error.js';
import { parseThresholds, type LabelRule } from '../label/label-rule.js';
import { TRAINING_FORMATS, type TrainingFormat, type TrainingOptions } from '../label/training-selection.js';
import type { ResolvedOptions } from './resolve-options.js';

/** The labelling options as resolved (every command that writes outputs takes them). */
export type LabellingOptions = Pick<
  ResolvedOptions<'collect'>,
  'scored' | 'labelThresholds' | 'labelTopK' | 'calibrateThresholds' | 'exportTraining' | 'negatives' | 'negativeRanks' | 'negativeMargin' | 'positivesTop' | 'reviewSample'
>;

/** What the labelling outputs are to be, checked and parsed; see `labellingOf`. */
export interface LabellingSettings {
  /** scored.* formats: 'auto' is the input's. */
  scored: 'auto' | 'csv' | 'tsv' | 'jsonl' | 'both';
  /** How scores become labels; with `calibrate`, the thresholds are found first (from the input's labels). */
  rule?: LabelRule;
  calibrate: boolean;
  training?: { formats: TrainingFormat[]; options: Omit<TrainingOptions, 'relLevel'> };
  reviewSample?: number;
}

/** A list option's items, each split on commas ("0.2,0.5" and "--x 0.2 --x 0.5" alike). */
const items = (list: readonly string[]): string[] => list.flatMap((item) => item.split(',')).map((item) => item.trim());

/**
 * The labelling outputs asked for, or undefined when none is. Throws UsageError (exit 2) naming the
 * flags for combinations that cannot hold: a label rule both ways, calibration with a top-k rule.
 * Any label, training or review option writes scored.* too (in the input's format unless --scored says).
 */
export function labellingOf(options: LabellingOptions): LabellingSettings | undefined {
  const thresholds = options.labelThresholds === undefined ? undefined : parseThresholds(items(options.labelThresholds));
  if (thresholds !== undefined && options.labelTopK !== undefined) throw new UsageError('give --label-thresholds or --label-top-k, not both');
  if (options.calibrateThresholds && options.labelTopK !== undefined) throw new UsageError('--calibrate-thresholds picks thresholds: it does not go with --label-top-k');
  if (options.calibrateThresholds && thresholds !== undefined) throw new UsageError('--calibrate-thresholds picks the thresholds itself: leave out --label-thresholds');
  let formats: TrainingFormat[] | undefined;
  if (options.exportTraining !== undefined) {
    formats = [];
    for (const item of items(options.exportTraining)) {
      const format = TRAINING_FORMATS.find((f) => f === item);
      if (format === undefined) throw new UsageError(`--export-training ${JSON.stringify(item)}: expected ${TRAINING_FORMATS.join(', ')}`);
      if (!formats.includes(format)) formats.push(format);
    }
  }
  // The option's pattern has made sure of two positive integers.
  const [min = 1, max = 1] = options.negativeRanks.split('..').map(Number);
  if (min > max) throw new UsageError(`--negative-ranks ${options.negativeRanks}: the first rank must not be above the last`);
  const rule: LabelRule | undefined = thresholds !== undefined ? { kind: 'thresholds', thresholds } : options.labelTopK !== undefined ? { kind: 'top-k', k: options.labelTopK } : undefined;
  const asked = options.scored !== undefined || rule !== undefined || options.calibrateThresholds || formats !== undefined || options.reviewSample !== undefined;
  if (!asked) return undefined;
  return {
    scored: options.scored ?? 'auto',
    ...(rule === undefined ? {} : { rule }),
    calibrate: options.calibrateThresholds,
    ...(formats === undefined
      ? {}
      : {
          training: {
            formats,
            options: { negatives: options.negatives, negativeRanks: [min, max], negativeMargin: options.negativeMargin, positivesTop: options.positivesTop },
          },
        }),
    ...(options.reviewSample === undefined ? {} : { reviewSample: options.reviewSample }),
  };
}
