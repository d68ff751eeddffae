import { describe, expect, it } from 'vitest';
import { DEFAULT_INSTRUCTION, formatDocument, formatQuery, QWEN3_FORMAT, RAW_FORMAT, resolvePromptFormat, type PromptFormat } from '../../src/rerank/prompt.js';

function custom(queryTemplate: string | undefined, documentTemplate?: string): PromptFormat {
  const format = resolvePromptFormat({ template: 'custom', model: undefined, queryTemplate, documentTemplate });
  if (typeof format === 'string') throw new Error(format);
  return format;
}

describe('resolvePromptFormat', () => {
  it.each(['Qwen3-Reranker-4B', 'Qwen/Qwen3-Reranker-0.6B', 'qwen3-reranker-8b', 'Qwen3_Reranker_4B', 'org/qwen3reranker-int8'])('auto: Qwen3 tags for the Qwen3 reranker %s', (model) => {
    expect(resolvePromptFormat({ template: 'auto', model })).toEqual(QWEN3_FORMAT);
  });

  it.each([['rerank-v3.5'], ['jina-reranker-v2-base-multilingual'], ['Qwen3-Embedding-4B'], ['Qwen2-Reranker'], [undefined]])('auto: raw text for %s', (model) => {
    expect(resolvePromptFormat({ template: 'auto', model })).toEqual(RAW_FORMAT);
  });

  it('qwen3 and none are what they say, whatever the model', () => {
    expect(resolvePromptFormat({ template: 'qwen3', model: 'rerank-v3.5' })).toEqual(QWEN3_FORMAT);
    expect(resolvePromptFormat({ template: 'none', model: 'Qwen3-Reranker-4B' })).toEqual(RAW_FORMAT);
  });

  it('custom: the patterns given, the document one defaulting to {document}', () => {
    expect(resolvePromptFormat({ template: 'custom', model: undefined, queryTemplate: 'Instruct: {instruction}\nQuery: {query}', documentTemplate: 'Passage: {document}' })).toEqual({
      name: 'custom',
      query: 'Instruct: {instruction}\nQuery: {query}',
      document: 'Passage: {document}',
    });
    expect(custom('search_query: {query}')).toEqual({ name: 'custom', query: 'search_query: {query}', document: '{document}' });
  });

  it('custom: names what is wrong with a pattern', () => {
    const problem = (queryTemplate: string | undefined, documentTemplate?: string): unknown => resolvePromptFormat({ template: 'custom', model: undefined, queryTemplate, documentTemplate });
    expect(problem('Query: {qurey}')).toBe('--query-template must contain {query}');
    expect(problem('{instruction} only')).toBe('--query-template must contain {query}');
    expect(problem('{query}', 'Passage:')).toBe('--document-template must contain {document}');
    expect(problem('{query}', '{query} {document}')).toBe('--document-template may contain only {document}');
    expect(problem('{query}', '{instruction}: {document}')).toBe('--document-template may contain only {document}');
  });
});

describe('formatQuery and formatDocument', () => {
  it('writes the Qwen3 tags with the default or given instruction, and raw text as it is', () => {
    expect(formatQuery('q?', QWEN3_FORMAT)).toBe(`<Instruct>: ${DEFAULT_INSTRUCTION}\n<Query>: q?`);
    expect(formatQuery('q?', QWEN3_FORMAT, 'Find code')).toBe('<Instruct>: Find code\n<Query>: q?');
    expect(formatQuery('q?', RAW_FORMAT, 'Find code')).toBe('q?');
    expect(formatDocument('d', QWEN3_FORMAT)).toBe('<Document>: d');
    expect(formatDocument('d', RAW_FORMAT)).toBe('d');
  });

  it('fills every placeholder of a custom pattern', () => {
    const format = custom('[{instruction}] {query} / {query}', '<<{document}>> {document}');
    expect(formatQuery('q', format, 'i')).toBe('[i] q / q');
    expect(formatDocument('d', format)).toBe('<<d>> d');
    // A custom query pattern without {instruction} leaves it out.
    expect(formatQuery('q', custom('query: {query}'), 'ignored')).toBe('query: q');
  });

  it('keeps `$` in texts literal (no replacement patterns)', () => {
    const texts = ['costs $5', "$& and $' and $` and $1 and $$", '$<name>'];
    for (const text of texts) {
      expect(formatQuery(text, QWEN3_FORMAT, 'i')).toBe(`<Instruct>: i\n<Query>: ${text}`);
      expect(formatQuery('q', QWEN3_FORMAT, text)).toBe(`<Instruct>: ${text}\n<Query>: q`);
      expect(formatDocument(text, QWEN3_FORMAT)).toBe(`<Document>: ${text}`);
      expect(formatDocument(text, custom('{query}', 'P: {document}!'))).toBe(`P: ${text}!`);
      expect(formatQuery(text, custom('Q: {query}'))).toBe(`Q: ${text}`);
    }
  });

  it('does not read placeholders in the texts put in', () => {
    expect(formatQuery('about {instruction}', QWEN3_FORMAT, 'say {query}')).toBe('<Instruct>: say {query}\n<Query>: about {instruction}');
    expect(formatDocument('a {document} b', custom('{query}', '{document}|{document}'))).toBe('a {document} b|a {document} b');
  });
});
