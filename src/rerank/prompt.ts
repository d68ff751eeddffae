/**
 * Qwen3-Reranker prompt template (see the API notes): the query carries the task instruction, each
 * document is tagged, so the cross-encoder can tell instruction, intent and content apart.
 */

export type PromptTemplate = 'qwen3' | 'none';

export const PROMPT_TEMPLATES: readonly PromptTemplate[] = ['qwen3', 'none'];

export const DEFAULT_INSTRUCTION = 'Given a web search query, retrieve relevant passages that answer the query';

export interface QueryFormat {
  /** 'qwen3' adds the tags; 'none' sends the raw text. */
  template: PromptTemplate;
  /** Task instruction for `<Instruct>`; default {@link DEFAULT_INSTRUCTION}. Ignored by 'none'. */
  instruction?: string;
}

/** `<Instruct>: {instruction}\n<Query>: {query}` for 'qwen3'; the query itself for 'none'. */
export function formatQuery(query: string, format: QueryFormat): string {
  if (format.template === 'none') return query;
  return `<Instruct>: ${format.instruction ?? DEFAULT_INSTRUCTION}\n<Query>: ${query}`;
}

/** `<Document>: {doc}` for 'qwen3'; the document itself for 'none'. */
export function formatDocument(document: string, template: PromptTemplate): string {
  return template === 'none' ? document : `<Document>: ${document}`;
}
