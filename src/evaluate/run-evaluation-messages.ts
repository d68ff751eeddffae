import { z } from 'zod';
import { ERROR_CODES } from '../errors/error-codes.js';

/**
 * What crosses between `evaluateRuns` and its threads, parsed on arrival with these schemas: a thread's
 * data is data from outside, like a file's.
 */

/** What every evaluation thread is started with. */
export const runEvaluationWorkSchema = z.object({
  qrels: z.string(),
  options: z.object({ relLevel: z.number().int().nonnegative().optional(), measures: z.array(z.string()).optional() }),
});
export type RunEvaluationWork = z.infer<typeof runEvaluationWorkSchema>;

/** One run for a thread to evaluate. */
export const runEvaluationRequestSchema = z.object({ index: z.number().int().nonnegative(), name: z.string(), file: z.string() });
export type RunEvaluationRequest = z.infer<typeof runEvaluationRequestSchema>;

const serializedErrorSchema = z.object({
  name: z.string(),
  message: z.string(),
  code: z.enum(ERROR_CODES).optional(),
  reason: z.string().optional(),
  file: z.string().optional(),
  line: z.number().optional(),
  field: z.string().optional(),
  stack: z.string().optional(),
});

/** A thread's answer: the run's scores (RunScores, its typed arrays transferred), or why it could not be evaluated. */
export const runEvaluationReplySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('scores'),
    index: z.number().int().nonnegative(),
    scores: z.object({
      name: z.string(),
      queryIds: z.array(z.string()).readonly(),
      measures: z.array(z.string()).readonly(),
      mean: z.record(z.string(), z.number()).readonly(),
      values: z.array(z.custom<Float64Array>((value) => value instanceof Float64Array, "expected a Float64Array")).readonly(),
    }),
    ignoredRunQueries: z.array(z.string()),
  }),
  z.object({ type: z.literal('error'), index: z.number().int().nonnegative(), error: serializedErrorSchema }),
]);
export type RunEvaluationReply = z.infer<typeof runEvaluationReplySchema>;
