import { z } from 'zod';
import type { ResultItem } from './provider-spec.js';

/**
 * The answer shapes of the providers. Only the fields read are checked; the others (id, meta, usage,
 * document, ...) pass through unchecked.
 */
const index = z.number().int().nonnegative();
const score = z.number();

/** Cohere's shape, also Jina's, vLLM's, Infinity's and the seed API's: `{results: [{index, relevance_score}]}`. */
const resultsShape = z.looseObject({ results: z.array(z.looseObject({ index, relevance_score: score })) });
/** Voyage: `{data: [{index, relevance_score}]}`. */
const dataRelevanceShape = z.looseObject({ data: z.array(z.looseObject({ index, relevance_score: score })) });
/** Mixedbread: `{data: [{index, score}]}`. */
const dataScoreShape = z.looseObject({ data: z.array(z.looseObject({ index, score })) });
/** Text Embeddings Inference: a bare array `[{index, score}]`. */
const bareArrayShape = z.array(z.looseObject({ index, score }));

function problem(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue === undefined || issue.path.length === 0 ? 'body' : issue.path.join('.');
  return `${where}: ${issue?.message ?? 'unexpected shape'}`;
}

export function readResultsField(json: unknown): ResultItem[] | string {
  const parsed = resultsShape.safeParse(json);
  return parsed.success ? parsed.data.results.map((r) => ({ index: r.index, score: r.relevance_score })) : problem(parsed.error);
}

export function readDataRelevance(json: unknown): ResultItem[] | string {
  const parsed = dataRelevanceShape.safeParse(json);
  return parsed.success ? parsed.data.data.map((r) => ({ index: r.index, score: r.relevance_score })) : problem(parsed.error);
}

export function readDataScore(json: unknown): ResultItem[] | string {
  const parsed = dataScoreShape.safeParse(json);
  return parsed.success ? parsed.data.data.map((r) => ({ index: r.index, score: r.score })) : problem(parsed.error);
}

export function readBareArray(json: unknown): ResultItem[] | string {
  const parsed = bareArrayShape.safeParse(json);
  return parsed.success ? parsed.data.map((r) => ({ index: r.index, score: r.score })) : problem(parsed.error);
}
