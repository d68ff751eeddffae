/**
 * BEIR's corpus and queries files: `corpus.jsonl` lines `{"_id", "title", "text", "metadata"?}` and
 * `queries.jsonl` lines `{"_id", "text", "metadata"?}` (BEIR's GenericDataLoader,
 * beir/datasets/data_loader.py, reads `_id`, `title` and `text` and nothing else). BEIR's qrels
 * (`qrels/<split>.tsv`) are read by readQrels.
 */

/** The id key of BEIR's corpus.jsonl and queries.jsonl lines. */
export const BEIR_ID_KEY = '_id';

/** The title key of BEIR's corpus.jsonl lines. */
export const BEIR_TITLE_KEY = 'title';

/**
 * The text of a BEIR corpus document as BEIR itself gives it to a model: `(title + " " + text).strip()`.
 * That is BEIR's reranker (beir/reranking/rerank.py, `Rerank.rerank`:
 * `(corpus[doc_id].get("title", "") + " " + corpus[doc_id].get("text", "")).strip()`) and its dense
 * encoders (beir/retrieval/models/sentence_bert.py, `SentenceBERT.encode_corpus`:
 * `(doc["title"] + self.sep + doc["text"]).strip()` with `sep=" "`). So an empty title leaves the text
 * alone (less its surrounding whitespace), and a missing one counts as empty.
 */
export function beirDocumentText(title: string, text: string): string {
  return pythonStrip(`${title} ${text}`);
}

// Python's str.strip() removes the characters str.isspace() accepts: the ASCII separators \x1c-\x1f and
// U+0085 too, but not U+FEFF (which String.prototype.trim removes), so trim() would differ from BEIR.
const PYTHON_SPACE = '\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PYTHON_STRIP = new RegExp(`^[${PYTHON_SPACE}]+|[${PYTHON_SPACE}]+$`, 'g');

/** `text` without leading and trailing whitespace as Python's `str.strip()` sees it. */
export function pythonStrip(text: string): string {
  return text.replace(PYTHON_STRIP, '');
}
