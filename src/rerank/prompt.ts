/**
 * Prompt templates: how a query and each document are written into a request. The Qwen3-Reranker
 * template (see the API notes) tags instruction, query and document so the cross-encoder can tell them
 * apart; other rerankers (Cohere, BGE, Jina, mxbai...) were trained on raw text, and tags hurt them.
 */

/** A template as applied: the query and document patterns with {instruction}, {query}, {document}. */
export interface PromptFormat {
  /** 'qwen3', 'none' or 'custom'. */
  name: PromptTemplate;
  query: string;
  document: string;
}

export type PromptTemplate = 'qwen3' | 'none' | 'custom';

export const PROMPT_TEMPLATES = ['qwen3', 'none', 'custom'] as const satisfies readonly PromptTemplate[];

/** What `--template` takes: a template, or `auto` (qwen3 for Qwen3 reranker models, none for the others). */
export const TEMPLATE_SETTINGS = ['auto', ...PROMPT_TEMPLATES] as const;

export type TemplateSetting = (typeof TEMPLATE_SETTINGS)[number];

export const DEFAULT_INSTRUCTION = 'Given a web search query, retrieve relevant passages that answer the query';

export const QWEN3_FORMAT: PromptFormat = { name: 'qwen3', query: '<Instruct>: {instruction}\n<Query>: {query}', document: '<Document>: {document}' };

export const RAW_FORMAT: PromptFormat = { name: 'none', query: '{query}', document: '{document}' };

/** Qwen3-Reranker-4B, qwen3-reranker-8b, Qwen/Qwen3-Reranker-0.6B, ... */
const QWEN3_RERANKER = /qwen3[-_ ]?reranker/i;

export interface TemplateChoice {
  template: TemplateSetting;
  /** The model the requests name (or, for servers that take none, the one the user says it serves). */
  model: string | undefined;
  queryTemplate?: string | undefined;
  documentTemplate?: string | undefined;
}

/**
 * The format a run uses. `auto` follows the model: Qwen3 tags for a Qwen3 reranker, raw text otherwise.
 * Returns a string naming the problem for a custom template without its placeholders.
 */
export function resolvePromptFormat(choice: TemplateChoice): PromptFormat | string {
  switch (choice.template) {
    case 'qwen3':
      return QWEN3_FORMAT;
    case 'none':
      return RAW_FORMAT;
    case 'auto':
      return choice.model !== undefined && QWEN3_RERANKER.test(choice.model) ? QWEN3_FORMAT : RAW_FORMAT;
    case 'custom': {
      const query = choice.queryTemplate ?? '{query}';
      const document = choice.documentTemplate ?? '{document}';
      if (!query.includes('{query}')) return '--query-template must contain {query}';
      if (!document.includes('{document}')) return '--document-template must contain {document}';
      if (document.includes('{query}') || document.includes('{instruction}')) return '--document-template may contain only {document}';
      return { name: 'custom', query, document };
    }
  }
}

/** The query as sent: the format's query pattern with the instruction and the query put in. */
export function formatQuery(query: string, format: PromptFormat, instruction: string = DEFAULT_INSTRUCTION): string {
  if (format.query === '{query}') return query;
  // A function replacer: `$` in the texts must stay literal.
  return format.query.replace(/\{(instruction|query)\}/g, (_, name: string) => (name === 'query' ? query : instruction));
}

/** A document as sent. */
export function formatDocument(document: string, format: PromptFormat): string {
  if (format.document === '{document}') return document;
  return format.document.replace(/\{document\}/g, () => document);
}
