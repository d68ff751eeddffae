import { UsageError } from '../errors/usage-error.js';
import { labellingOf, type LabellingOptions, type LabellingSettings } from '../options/labelling-settings.js';
import type { OptionSource } from '../options/resolve-options.js';
import type { PairReaderOptions } from '../read/index.js';
import type { LabellingInput } from '../write/labelling-outputs.js';

/**
 * The labelling outputs a command asks for, with the input they read again; undefined when none is
 * asked. Throws UsageError when they are asked of a run with no pairs file (a --run-file input).
 * `reader` gives the run's reader options (called only when needed).
 */
export function labellingRun(
  options: LabellingOptions,
  input: { file: string | undefined; reader: () => PairReaderOptions; sha256?: string | undefined },
): { settings: LabellingSettings; input: LabellingInput } | undefined {
  const settings = labellingOf(options);
  if (settings === undefined) return undefined;
  if (input.file === undefined) {
    throw new UsageError('--scored, the label options, --export-training and --review-sample pass the input\'s rows through: they need a pairs file (--input), not a --run-file');
  }
  return { settings, input: { file: input.file, reader: input.reader(), sha256: input.sha256 } };
}

/** The options that choose the label rule: one given anew replaces the others' submitted values. */
const RULE_KEYS = ['labelThresholds', 'labelTopK', 'calibrateThresholds'] as const;

/**
 * `collect`'s labelling options: a label rule given to this command (flag, environment, config file)
 * replaces the rule the run was submitted with, rather than clashing with it (`run --calibrate-thresholds`,
 * then `collect --label-top-k 2`).
 */
export function ruleGivenAnew(options: LabellingOptions, sources: Partial<Record<string, OptionSource>>): LabellingOptions {
  const anew = RULE_KEYS.some((key) => sources[key] !== undefined && sources[key] !== 'submission' && sources[key] !== 'default');
  if (!anew) return options;
  const out = { ...options };
  if (sources.labelThresholds === 'submission') delete out.labelThresholds;
  if (sources.labelTopK === 'submission') delete out.labelTopK;
  if (sources.calibrateThresholds === 'submission') out.calibrateThresholds = false;
  return out;
}
