import type { ScoreIdentity } from '../cache/score-key.js';
import { UsageError } from '../errors/usage-error.js';
import { DEFAULT_MAX_BUFFERED_BYTES, type PlannerOptions } from '../plan/batch-planner.js';
import { API_KEY_ENV } from '../rerank/errors/auth-error.js';
import { resolvePromptFormat, type PromptFormat } from '../rerank/prompt.js';
import { PROVIDERS, type ProviderName, type ProviderSpec } from '../rerank/providers/index.js';
import type { ResolvedOptions } from './resolve-options.js';

/** Passages of `--passages N[,stride]`: windows of `length` words, one every `stride` words, each cut to `maxBytes` (the token cap). */
export interface PassageSettings {
  length: number;
  stride: number;
  maxBytes?: number | undefined;
}

/** How a run's requests are shaped: the provider's defaults with the user's options over them. */
export interface RequestShape {
  provider: ProviderName;
  /** The model named in requests; undefined for a server that serves one and was given none. */
  model: string | undefined;
  format: PromptFormat;
  instruction: string;
  maxDocsPerRequest: number;
  maxRequestBytes: number;
  maxTokensPerRequest: number | undefined;
  maxTokensPerDoc: number | undefined;
  passages: PassageSettings | undefined;
}

/** `150` -> 150 words every 75; `150,100` -> every 100. The option's pattern has checked the form. */
export function parsePassages(text: string): PassageSettings {
  const [length, stride] = text.split(',').map(Number);
  if (length === undefined || !(length >= 1)) throw new UsageError(`--passages ${text}: expected N or N,STRIDE`);
  const step = stride ?? Math.max(1, Math.floor(length / 2));
  if (!(step >= 1)) throw new UsageError(`--passages ${text}: the stride must be at least 1`);
  if (step > length) throw new UsageError(`--passages ${text}: the stride (${step}) must not exceed the passage length (${length}): words between passages would never be read`);
  return { length, stride: step };
}

export type ShapeOptions = Pick<
  ResolvedOptions<'estimate'>,
  'provider' | 'model' | 'template' | 'queryTemplate' | 'documentTemplate' | 'instruction' | 'maxDocsPerRequest' | 'maxRequestBytes' | 'maxTokensPerRequest' | 'maxTokensPerDoc' | 'passages'
>;

/** With passages, the token cap applies to each passage (4 bytes a token). */
function withPassageCap(passages: PassageSettings, maxTokensPerDoc: number | undefined): PassageSettings {
  return maxTokensPerDoc === undefined ? passages : { ...passages, maxBytes: maxTokensPerDoc * 4 };
}

/** The request shape of a run's options. Throws UsageError for options that contradict each other. */
export function requestShapeOf(options: ShapeOptions): RequestShape {
  const spec = PROVIDERS[options.provider];
  const model = options.model ?? spec.defaultModel;
  if (options.template !== 'custom' && (options.queryTemplate !== undefined || options.documentTemplate !== undefined)) {
    throw new UsageError('--query-template and --document-template go with --template custom');
  }
  const format = resolvePromptFormat({ template: options.template, model, queryTemplate: options.queryTemplate, documentTemplate: options.documentTemplate });
  if (typeof format === 'string') throw new UsageError(format);
  const maxTokensPerDoc = options.maxTokensPerDoc ?? spec.limits.maxTokensPerDoc;
  return {
    provider: spec.name,
    model,
    format,
    instruction: options.instruction,
    maxDocsPerRequest: options.maxDocsPerRequest ?? spec.limits.maxDocsPerRequest,
    maxRequestBytes: options.maxRequestBytes ?? spec.limits.maxRequestBytes,
    maxTokensPerRequest: options.maxTokensPerRequest ?? spec.limits.maxTokensPerRequest,
    maxTokensPerDoc,
    passages: options.passages === undefined ? undefined : withPassageCap(parsePassages(options.passages), maxTokensPerDoc),
  };
}

/**
 * The endpoint a run calls: the one given, else a hosted provider's own when an API key is set (a key
 * means the user wants the real API), else undefined (run starts the built-in server).
 */
export function endpointOf(options: { provider: ProviderName; apiUrl?: string | undefined }, env: NodeJS.ProcessEnv): string | undefined {
  if (options.apiUrl !== undefined) return options.apiUrl;
  const spec: ProviderSpec = PROVIDERS[options.provider];
  const key = env[API_KEY_ENV];
  return spec.hosted && key !== undefined && key !== '' ? spec.endpoint : undefined;
}

/** The planner's options for a run of this shape. */
export function plannerOptionsOf(shape: RequestShape): PlannerOptions {
  return {
    maxDocsPerRequest: shape.maxDocsPerRequest,
    maxRequestBytes: shape.maxRequestBytes,
    maxBufferedBytes: DEFAULT_MAX_BUFFERED_BYTES,
    maxTokensPerRequest: shape.maxTokensPerRequest,
    passages: shape.passages,
    format: shape.format,
    instruction: shape.instruction,
    billing: PROVIDERS[shape.provider].billing,
  };
}

/**
 * What decides a pair's score besides its texts, for the score cache's keys: the endpoint ('builtin' for
 * the built-in server) and everything of the shape that changes what is sent for one document.
 */
export function scoreIdentityOf(shape: RequestShape, endpoint: string | 'builtin'): ScoreIdentity {
  const { passages } = shape;
  return {
    endpoint,
    provider: shape.provider,
    model: shape.model ?? '',
    queryTemplate: shape.format.query,
    documentTemplate: shape.format.document,
    instruction: shape.instruction,
    maxTokensPerDoc: shape.maxTokensPerDoc ?? null,
    passages: passages === undefined ? null : { length: passages.length, stride: passages.stride, maxBytes: passages.maxBytes ?? null, maxPassages: shape.maxDocsPerRequest },
  };
}

/**
 * The longest document the reader lets through: the byte cap, lowered to the token cap (4 bytes a token)
 * when documents are sent whole. With passages, each passage is cut to the token cap instead (jobs/passages.ts).
 */
export function maxDocumentBytesOf(maxDocumentBytes: number, shape: RequestShape): number {
  if (shape.passages !== undefined || shape.maxTokensPerDoc === undefined) return maxDocumentBytes;
  return Math.min(maxDocumentBytes, shape.maxTokensPerDoc * 4);
}
