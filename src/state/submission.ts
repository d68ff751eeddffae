import { z } from 'zod';
import { optionSourcesSchema, storedOptionsSchema } from '../options/resolve-options.js';

/** Version of what `submit` stores about a run; a record without one is version 1 (the first). */
export const SUBMISSION_VERSION = 1;

/**
 * What `submit` (or `run`) recorded about a run, so that `collect`, `status` and `retry-failed` on any
 * machine can write the same outputs and manifest: the run's options in their stored form (the option
 * schemas' own), where each came from, the inputs' checksums and the producer's counts. No secret: the
 * API key is no option, and the Redis URL is stored without its password.
 */
export const submissionSchema = z.object({
  v: z.literal(SUBMISSION_VERSION).default(SUBMISSION_VERSION),
  // `submit`'s options, and for a `run` also its output options, which `collect` then defaults to.
  options: storedOptionsSchema('submit', 'run'),
  sources: optionSourcesSchema.default({}),
  inputs: z.record(z.string(), z.object({ path: z.string(), sha256: z.string(), bytes: z.number().int().nonnegative() })),
  /** The last producer pass: rows read, skipped, truncated, deduplicated, jobs added. */
  producer: z.record(z.string(), z.number()),
  submittedAt: z.string(),
});

export type Submission = z.input<typeof submissionSchema>;
export type StoredSubmission = z.output<typeof submissionSchema>;

/** Counts of a run's input once the producer has read all of it. */
export const producerTotalsSchema = z.object({ queries: z.number().int(), pairs: z.number().int(), batches: z.number().int() });

/** How far the producer has read the input, until its totals are known: pairs read, and the share of the file. */
export const inputReadSchema = z.object({ pairs: z.number().int().min(0), fraction: z.number().min(0).max(1) });
export type InputRead = z.infer<typeof inputReadSchema>;

export const RUN_STATUSES = ['running', 'completed', 'aborted'] as const;
export const runStatusSchema = z.enum(RUN_STATUSES);
