import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/usage-error.js';
import { endpointOf, maxDocumentBytesOf, parsePassages, plannerOptionsOf, requestShapeOf, type RequestShape } from '../../src/options/request-shape.js';
import { resolveOptions } from '../../src/options/resolve-options.js';
import { checkSubmitSettings } from '../../src/options/run-options.js';
import { DEFAULT_INSTRUCTION, QWEN3_FORMAT, RAW_FORMAT } from '../../src/rerank/prompt.js';

/** The options `submit` resolves from these (API layer over the defaults, no environment). */
function optionsOf(api: Record<string, unknown> = {}): ReturnType<typeof resolveOptions<'submit'>>['options'] {
  return resolveOptions('submit', { api: { input: 'x', ...api }, env: {} }).options;
}

function shapeOf(api: Record<string, unknown> = {}): RequestShape {
  return requestShapeOf(optionsOf(api));
}

describe('requestShapeOf: provider defaults under the user options', () => {
  it('regolo (the default): Qwen3-Reranker-4B with Qwen3 tags, 50 documents, 256 KiB, no token caps', () => {
    expect(shapeOf()).toEqual({
      provider: 'regolo',
      model: 'Qwen3-Reranker-4B',
      format: QWEN3_FORMAT,
      instruction: DEFAULT_INSTRUCTION,
      maxDocsPerRequest: 50,
      maxRequestBytes: 256 * 1024,
      maxTokensPerRequest: undefined,
      maxTokensPerDoc: undefined,
      passages: undefined,
    });
  });

  it("cohere: its model in raw text, 1000 documents, its max_tokens_per_doc", () => {
    expect(shapeOf({ provider: 'cohere' })).toMatchObject({ provider: 'cohere', model: 'rerank-v3.5', format: RAW_FORMAT, maxDocsPerRequest: 1000, maxTokensPerDoc: 4096, maxTokensPerRequest: undefined });
  });

  it('tei: 32 documents (its --max-client-batch-size), no model named', () => {
    expect(shapeOf({ provider: 'tei' })).toMatchObject({ provider: 'tei', model: undefined, format: RAW_FORMAT, maxDocsPerRequest: 32 });
  });

  it('voyage: a token cap per request', () => {
    expect(shapeOf({ provider: 'voyage' })).toMatchObject({ maxDocsPerRequest: 1000, maxTokensPerRequest: 600_000 });
  });

  it('a value the user gives wins over the provider default', () => {
    const shape = shapeOf({ provider: 'cohere', maxDocsPerRequest: 100, maxRequestBytes: 4096, maxTokensPerDoc: 512, maxTokensPerRequest: 9000, model: 'rerank-english-v3.0' });
    expect(shape).toMatchObject({ maxDocsPerRequest: 100, maxRequestBytes: 4096, maxTokensPerDoc: 512, maxTokensPerRequest: 9000, model: 'rerank-english-v3.0' });
    expect(shapeOf({ provider: 'tei', maxDocsPerRequest: 8 }).maxDocsPerRequest).toBe(8);
    expect(shapeOf({ maxDocsPerRequest: 20 }).maxDocsPerRequest).toBe(20);
  });

  it('picks the template from the model named (auto), unless one is given', () => {
    expect(shapeOf({ provider: 'vllm', model: 'Qwen/Qwen3-Reranker-0.6B' }).format).toEqual(QWEN3_FORMAT);
    expect(shapeOf({ provider: 'vllm', model: 'BAAI/bge-reranker-v2-m3' }).format).toEqual(RAW_FORMAT);
    expect(shapeOf({ model: 'my-model' }).format).toEqual(RAW_FORMAT);
    expect(shapeOf({ template: 'none' }).format).toEqual(RAW_FORMAT);
    expect(shapeOf({ provider: 'cohere', template: 'qwen3' }).format).toEqual(QWEN3_FORMAT);
    expect(shapeOf({ template: 'custom', queryTemplate: 'query: {query}', documentTemplate: 'passage: {document}' }).format).toEqual({ name: 'custom', query: 'query: {query}', document: 'passage: {document}' });
  });

  it('refuses --query-template or --document-template without --template custom, and a custom template without its placeholder', () => {
    expect(() => shapeOf({ queryTemplate: 'q: {query}' })).toThrow(UsageError);
    expect(() => shapeOf({ queryTemplate: 'q: {query}' })).toThrow('--query-template and --document-template go with --template custom');
    expect(() => shapeOf({ template: 'qwen3', documentTemplate: 'd: {document}' })).toThrow(UsageError);
    expect(() => shapeOf({ template: 'custom', queryTemplate: 'no placeholder' })).toThrow(new UsageError('--query-template must contain {query}'));
    // submit's own check refuses it before any work.
    expect(() => checkSubmitSettings(optionsOf({ queryTemplate: 'q: {query}' }))).toThrow(UsageError);
  });

  it('reads --passages', () => {
    expect(shapeOf({ passages: '150' }).passages).toEqual({ length: 150, stride: 75 });
    expect(shapeOf({ passages: '100,100' }).passages).toEqual({ length: 100, stride: 100 });
    expect(() => shapeOf({ passages: '100,150' })).toThrow(UsageError);
    // The option's own pattern refuses malformed values before the shape is made.
    expect(() => optionsOf({ passages: '0' })).toThrow(UsageError);
    expect(() => optionsOf({ passages: '10,' })).toThrow(UsageError);
  });
});

describe('parsePassages', () => {
  it('defaults the stride to half the length (at least 1)', () => {
    expect(parsePassages('150')).toEqual({ length: 150, stride: 75 });
    expect(parsePassages('151')).toEqual({ length: 151, stride: 75 });
    expect(parsePassages('1')).toEqual({ length: 1, stride: 1 });
    expect(parsePassages('150,50')).toEqual({ length: 150, stride: 50 });
  });

  it('refuses a stride longer than the passages, which would skip words', () => {
    expect(() => parsePassages('100,101')).toThrow(UsageError);
    expect(() => parsePassages('100,101')).toThrow(/stride \(101\) must not exceed the passage length \(100\)/);
  });

  it('refuses what is no length', () => {
    expect(() => parsePassages('abc')).toThrow(UsageError);
    expect(() => parsePassages('0')).toThrow(UsageError);
  });
});

describe('endpointOf', () => {
  const key = { RERANK_API_KEY: 'sk-x' };

  it("a hosted provider with RERANK_API_KEY set: the provider's endpoint", () => {
    expect(endpointOf({ provider: 'cohere' }, key)).toBe('https://api.cohere.com/v2/rerank');
    expect(endpointOf({ provider: 'regolo' }, key)).toBe('https://api.regolo.ai/rerank');
    expect(endpointOf({ provider: 'voyage' }, key)).toBe('https://api.voyageai.com/v1/rerank');
  });

  it('no key (or an empty one): undefined, so run starts the built-in server', () => {
    expect(endpointOf({ provider: 'cohere' }, {})).toBeUndefined();
    expect(endpointOf({ provider: 'cohere' }, { RERANK_API_KEY: '' })).toBeUndefined();
  });

  it('a self-hosted provider: undefined, key or not', () => {
    for (const provider of ['tei', 'vllm', 'infinity'] as const) expect(endpointOf({ provider }, key)).toBeUndefined();
  });

  it('an explicit URL wins', () => {
    expect(endpointOf({ provider: 'cohere', apiUrl: 'https://proxy.example/rerank' }, key)).toBe('https://proxy.example/rerank');
    expect(endpointOf({ provider: 'tei', apiUrl: 'http://gpu:8080/rerank' }, {})).toBe('http://gpu:8080/rerank');
  });
});

describe('plannerOptionsOf and maxDocumentBytesOf', () => {
  it("give the planner the shape's limits, format and the provider's billing", () => {
    expect(plannerOptionsOf(shapeOf({ provider: 'cohere', passages: '64,32' }))).toMatchObject({
      maxDocsPerRequest: 1000,
      format: RAW_FORMAT,
      passages: { length: 64, stride: 32 },
      billing: { unit: 'search-unit', documentsPerUnit: 100 },
    });
    expect(plannerOptionsOf(shapeOf({ provider: 'jina' })).billing).toEqual({ unit: 'token' });
  });

  it('lower the document byte cap to the token cap (4 bytes a token) for whole documents only', () => {
    expect(maxDocumentBytesOf(32_768, shapeOf())).toBe(32_768);
    expect(maxDocumentBytesOf(32_768, shapeOf({ provider: 'cohere' }))).toBe(4096 * 4);
    expect(maxDocumentBytesOf(32_768, shapeOf({ maxTokensPerDoc: 100 }))).toBe(400);
    expect(maxDocumentBytesOf(300, shapeOf({ maxTokensPerDoc: 100 }))).toBe(300);
    expect(maxDocumentBytesOf(32_768, shapeOf({ provider: 'cohere', passages: '100' }))).toBe(32_768);
  });
});
