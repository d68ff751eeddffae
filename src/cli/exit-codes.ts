import type { Outcome } from '../lifecycle-events.js';

/** Process exit codes of every rerank-batch command (documented in the README). Only the CLI uses them. */
export const ExitCode = {
  /** Every pair scored; the command did what it was asked. */
  Ok: 0,
  /** The run finished but some pairs failed permanently (all listed in failures.jsonl); or a fatal runtime error. */
  Failures: 1,
  /** Bad usage or bad input: the message names the option, or the file, line and field. */
  BadInput: 2,
  /** Everything scored (or evaluated), but a `--fail-on-regression` gate failed: reranking lowered a measure. */
  Regression: 3,
  /** Stopped by SIGINT/SIGTERM after writing what was collected (128 + SIGINT's number, the shell convention). */
  Interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const BY_OUTCOME = { complete: ExitCode.Ok, failures: ExitCode.Failures, interrupted: ExitCode.Interrupted } as const satisfies Record<Outcome, ExitCode>;

/** The exit code of a run's outcome. */
export function exitCodeFor(outcome: Outcome): ExitCode {
  return BY_OUTCOME[outcome];
}
