import { InputError } from '../errors/input-error.js';
import { UsageError } from '../errors/usage-error.js';
import { BEIR_ID_KEY, BEIR_TITLE_KEY, beirDocumentText } from './beir-corpus.js';
import { normalizeHeaderName, ROLE_ALIASES } from './column-map.js';
import { rawNumberToken } from './jsonl-pairs.js';
import { readTextLines } from './open-text-stream.js';
import { PairValidator } from './pair-validator.js';
import { formatFromFileName, normalizePairReaderOptions, type PairReaderOptions, type ReadPair } from './reader-options.js';
import { compareTrecOrder } from './trec-order.js';
import { readTrecRunFile } from './trec-run-file.js';

export interface RunPairsOptions extends Omit<PairReaderOptions, 'format' | 'columns'> {
  /** TREC run: `query_id Q0 doc_id rank score tag` per line, read as `eval` reads it (see readTrecRunFile). */
  runFile: string;
  /**
   * Documents: JSONL (`.jsonl`/`.ndjson`, optionally `.gz`) with an id key (docno, doc_id, docid, id, pid,
   * passage_id, document_id, or BEIR's `_id` when none of those is there) and a text key (text, contents,
   * body, document, passage, doc_text; `title` only when there is no text), or else TSV `doc_id<TAB>text`
   * (a header line is recognised and skipped). A line with BEIR's `_id` (BEIR's corpus.jsonl) is
   * `(title + " " + text).strip()`, as BEIR gives documents to its rerankers (see beirDocumentText).
   */
  docsFile: string;
  /**
   * Queries: TSV `query_id<TAB>text` (optional header), or JSONL with query_id/qid/id (or BEIR's `_id`) and
   * query/text: BEIR's queries.jsonl reads as it is.
   */
  queriesFile: string;
  /** Candidates kept per query, the best first by the run's score (see `openRunPairs`). Default: all of them. */
  depth?: number;
}

// BEIR's `_id` comes last: a line that also has one of the other id keys (a database export's `_id`
// beside a docno) is read by that key, as before `_id` was accepted.
const DOC_ID_KEYS = ['docno', 'doc_id', 'docid', 'id', 'pid', 'passage_id', 'document_id', BEIR_ID_KEY];
const DOC_TEXT_KEYS = ['text', 'contents', 'body', 'document', 'passage', 'doc_text'];
const QUERY_ID_KEYS = ['query_id', 'qid', 'id', 'queryid', 'topic', 'topic_id', BEIR_ID_KEY];
const QUERY_TEXT_KEYS = ['query', 'text', 'query_text', 'question'];

function findKey(object: Record<string, unknown>, candidates: readonly string[]): string | undefined {
  const byName = new Map(Object.keys(object).map((k) => [normalizeHeaderName(k), k]));
  for (const c of candidates) {
    const key = byName.get(c);
    if (key !== undefined) return key;
  }
  return undefined;
}

/**
 * The id and text of one JSON line of a documents or queries file. The id is the first key of the
 * accepted ones present (a JSON number keeps its digits as written); the text is the first text key, or
 * for a document with none its `title`. A document whose id is BEIR's `_id` is a BEIR corpus line: its
 * text is `(title + " " + text).strip()` as BEIR gives it to a reranker (see beirDocumentText), other
 * documents keep `text` alone (a `title` beside it is often a copy of its first words, as in Cranfield).
 * @throws InputError ERR_INPUT_JSON (not JSON, not an object, a value of the wrong type: the field named)
 *   or ERR_INPUT_MISSING_COLUMN (no id key, no text key), naming file and line.
 */
function jsonTextRecord(text: string, kind: 'document' | 'query', where: { file: string; line: number }): { id: string; body: string } {
  const idKeys = kind === 'document' ? DOC_ID_KEYS : QUERY_ID_KEYS;
  const textKeys = kind === 'document' ? DOC_TEXT_KEYS : QUERY_TEXT_KEYS;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new InputError('ERR_INPUT_JSON', `invalid JSON (${(error as Error).message})`, where);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError('ERR_INPUT_JSON', 'expected a JSON object', where);
  }
  const object = parsed as Record<string, unknown>;
  const idRole = kind === 'document' ? 'doc_id' : 'query_id';
  const idKey = findKey(object, idKeys);
  if (idKey === undefined) {
    throw new InputError('ERR_INPUT_MISSING_COLUMN', `no ${kind} id key (accepted: ${idKeys.join(', ')}); keys found: ${Object.keys(object).join(', ')}`, { ...where, field: idRole });
  }
  const rawId = object[idKey];
  let id: string;
  if (typeof rawId === 'number') {
    // The digits as written ("1.50" stays "1.50"), unless the last such key in the line is a nested one with another value.
    const token = rawNumberToken(text, idKey);
    id = token !== undefined && Number(token) === rawId ? token : String(rawId);
  } else if (typeof rawId === 'string') {
    id = rawId;
  } else {
    throw new InputError('ERR_INPUT_JSON', `expected a string or a number, got ${JSON.stringify(rawId)}`, { ...where, field: idKey });
  }
  const stringAt = (key: string): string => {
    const value = object[key];
    if (typeof value !== 'string') throw new InputError('ERR_INPUT_JSON', `expected a string, got ${JSON.stringify(value)}`, { ...where, field: key });
    return value;
  };
  const textKey = findKey(object, textKeys);
  const titleKey = kind === 'document' ? findKey(object, [BEIR_TITLE_KEY]) : undefined;
  const bodyKey = textKey ?? titleKey;
  if (bodyKey === undefined) {
    throw new InputError('ERR_INPUT_MISSING_COLUMN', `no ${kind} text key (accepted: ${textKeys.join(', ')}${kind === 'document' ? ', title' : ''}); keys found: ${Object.keys(object).join(', ')}`, { ...where, field: kind });
  }
  if (kind === 'document' && normalizeHeaderName(idKey) === BEIR_ID_KEY) {
    return { id, body: beirDocumentText(titleKey === undefined ? '' : stringAt(titleKey), textKey === undefined ? '' : stringAt(textKey)) };
  }
  return { id, body: stringAt(bodyKey) };
}

/**
 * Reads `id -> text` from a TSV or JSONL file, keeping only ids in `wanted`. Any line that cannot be read
 * is an InputError naming the file and line (these files are reference data: no skipping).
 */
async function readTexts(
  file: string,
  kind: 'document' | 'query',
  wanted: ReadonlySet<string>,
  into: Map<string, string>,
): Promise<void> {
  const { format } = formatFromFileName(file);
  if (format === 'csv') throw new UsageError(`${file}: ${kind} files must be TSV or JSONL, not CSV`);
  let first = true;
  for await (const { line, text } of readTextLines(file)) {
    if (text.trim() === '') continue;
    let id: string;
    let body: string;
    if (format === 'jsonl') {
      ({ id, body } = jsonTextRecord(text, kind, { file, line }));
    } else {
      const tab = text.indexOf('\t');
      if (tab < 0) throw new InputError('ERR_INPUT_MISSING_COLUMN', `expected "${kind === 'document' ? 'doc_id' : 'query_id'}<TAB>text", found no tab`, { file, line });
      id = text.slice(0, tab);
      body = text.slice(tab + 1);
      if (first) {
        first = false;
        const idRole = kind === 'document' ? ROLE_ALIASES.docId : ROLE_ALIASES.queryId;
        const textRole = kind === 'document' ? ROLE_ALIASES.document : ROLE_ALIASES.query;
        const looksLikeHeader = (idRole.includes(normalizeHeaderName(id)) || normalizeHeaderName(id) === 'id') && textRole.includes(normalizeHeaderName(body));
        if (looksLikeHeader && !wanted.has(id)) continue;
      }
    }
    first = false;
    if (wanted.has(id) && !into.has(id)) into.set(id, body);
  }
}

/**
 * Pairs built from a TREC run, a documents file and a queries file: the shape IR data usually comes in.
 *
 * The run is read as `eval` reads it (readTrecRunFile: trec_eval's rules, its bad lines subject to
 * `onBadRow`). Order: queries in the order they first appear in the run; within a query, candidates in
 * trec_eval's order (score descending, ties by doc id in descending byte order), cut to `depth`. As in
 * trec_eval the rank column is not read: `Pair.rank` is the position in that order. `Pair.line` is the
 * run file line; an infinite score is ERR_INPUT_NUMBER (scores travel as JSON); a document or query
 * missing from its file is ERR_INPUT_MISSING_TEXT naming the run file and line (both subject to
 * `onBadRow`), and every other pair check of `openPairs` applies (ids, empty texts, document length).
 *
 * Memory: the run's ids, scores and line numbers are held (O(run size), about 100 bytes a line, 130 while
 * the run is read: fine for runs of millions of lines), plus the texts of the queries and documents the
 * run references; the documents file itself is streamed and documents the run does not name are never
 * kept.
 */
export function openRunPairs(options: RunPairsOptions): AsyncIterable<ReadPair> {
  const { runFile, docsFile, queriesFile, depth, ...readerOptions } = options;
  for (const [name, value] of Object.entries({ runFile, docsFile, queriesFile })) {
    if (typeof value !== 'string' || value === '') throw new UsageError(`option ${name} must be a file name`);
  }
  if (depth !== undefined && !(Number.isSafeInteger(depth) && depth > 0)) {
    throw new UsageError(`option depth must be a positive integer, got ${JSON.stringify(depth)}`);
  }
  const normalized = normalizePairReaderOptions(runFile, { ...readerOptions, format: 'tsv' });

  return {
    async *[Symbol.asyncIterator](): AsyncGenerator<ReadPair, void, undefined> {
      const validator = new PairValidator(runFile, normalized);
      const run = await readTrecRunFile(runFile, (problem) => validator.accept({ problem }));
      const wantedDocs = new Set<string>();

      // Cut to depth before loading texts, so that only documents that will be emitted are kept.
      for (const [qid, all] of run) {
        const entries = all.filter((entry) => {
          if (Number.isFinite(entry.score)) return true;
          validator.accept({ problem: { code: 'ERR_INPUT_NUMBER', reason: `score ${entry.score} is not finite (scores travel as JSON)`, line: entry.line, field: 'score' } });
          return false;
        });
        entries.sort(compareTrecOrder);
        if (depth !== undefined && entries.length > depth) entries.length = depth;
        run.set(qid, entries);
        for (const entry of entries) wantedDocs.add(entry.docId);
      }
      const queries = new Map<string, string>();
      await readTexts(queriesFile, 'query', new Set(run.keys()), queries);
      const documents = new Map<string, string>();
      await readTexts(docsFile, 'document', wantedDocs, documents);
      wantedDocs.clear();

      for (const [qid, entries] of run) {
        run.delete(qid);
        const query = queries.get(qid);
        for (const [i, entry] of entries.entries()) {
          const document = documents.get(entry.docId);
          if (query === undefined) {
            validator.accept({ problem: { code: 'ERR_INPUT_MISSING_TEXT', reason: `query ${qid} is not in ${queriesFile}`, line: entry.line, field: 'query_id' } });
            continue;
          }
          if (document === undefined) {
            validator.accept({ problem: { code: 'ERR_INPUT_MISSING_TEXT', reason: `document ${entry.docId} is not in ${docsFile}`, line: entry.line, field: 'doc_id' } });
            continue;
          }
          const pair = validator.accept({
            row: {
              line: entry.line,
              fields: {
                queryId: { name: 'query_id', value: qid },
                query: { name: 'query', value: query },
                docId: { name: 'doc_id', value: entry.docId },
                document: { name: 'document', value: document },
                score: { name: 'score', value: entry.score },
                rank: { name: 'rank', value: i + 1 },
              },
            },
          });
          if (pair !== undefined) yield pair;
        }
      }
      validator.finish();
    },
  };
}
