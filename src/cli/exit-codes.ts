/** Process exit codes of every rerank-batch command (documented in the README). */
export const ExitCode = {
  /** Every pair scored; the command did what it was asked. */
  Ok: 0,
  /** The run finished but some pairs failed permanently (all listed in failures.jsonl); or a fatal runtime error. */
  Failures: 1,
  /** Bad usage or bad input: the message names the option, or the file, line and field. */
  BadInput: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
