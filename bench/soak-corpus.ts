/**
 * Labels and checks for the soak's synthetic corpora (bench/synthetic-corpus.ts: CSV rows
 * `query_id,query,doc_id,document,score` of letters and spaces only, so a plain split on commas reads them).
 *
 * Qrels: the generator draws each document's share of query words from a hidden relevance; the label reads
 * it back from the text: share of the document's words that are words of its query >= 10% -> 2, >= 6% -> 1,
 * else 0. Every pair is judged, so the metrics have relevant and non-relevant documents in every query.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';

export interface QrelsReport {
  pairs: number;
  relevant: number;
}

async function* rows(corpus: string): AsyncGenerator<[string, string, string, string]> {
  const lines = createInterface({ input: createReadStream(corpus, { highWaterMark: 1 << 20 }), crlfDelay: Infinity });
  let header = true;
  for await (const line of lines) {
    if (header) {
      header = false;
      continue;
    }
    if (line === '') continue;
    const [queryId, query, docId, document] = line.split(',');
    if (queryId === undefined || query === undefined || docId === undefined || document === undefined) throw new Error(`${corpus}: unexpected row: ${line.slice(0, 200)}`);
    yield [queryId, query, docId, document];
  }
}

/** Write TREC qrels (`qid 0 docid label`) for every pair of `corpus`. */
export async function writeQrels(corpus: string, out: string): Promise<QrelsReport> {
  const stream = createWriteStream(out);
  let pairs = 0;
  let relevant = 0;
  let chunk = '';
  let words: Set<string> | undefined;
  let lastQuery = '';
  for await (const [queryId, query, docId, document] of rows(corpus)) {
    if (words === undefined || query !== lastQuery) {
      words = new Set(query.split(' '));
      lastQuery = query;
    }
    const docWords = document.split(' ');
    let hits = 0;
    for (const word of docWords) if (words.has(word)) hits++;
    const share = hits / docWords.length;
    const label = share >= 0.1 ? 2 : share >= 0.06 ? 1 : 0;
    if (label > 0) relevant++;
    pairs++;
    chunk += `${queryId} 0 ${docId} ${label}\n`;
    if (chunk.length >= 1 << 16) {
      if (!stream.write(chunk)) await once(stream, 'drain');
      chunk = '';
    }
  }
  stream.end(chunk);
  await once(stream, 'close');
  return { pairs, relevant };
}

/** Every (query_id, doc_id) of `corpus`, as "qid docid". */
export async function pairKeys(corpus: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const [queryId, , docId] of rows(corpus)) keys.add(`${queryId} ${docId}`);
  return keys;
}

/** Pairs of `keys` missing from a ranked.trec text, pairs in it twice, and pairs in it not in `keys`. */
export function pairCoverage(rankedTrec: string, keys: Set<string>): { lines: number; lost: number; duplicated: number; extra: number } {
  const seen = new Set<string>();
  let lines = 0;
  let duplicated = 0;
  let extra = 0;
  for (const line of rankedTrec.split('\n')) {
    if (line === '') continue;
    lines++;
    const [queryId, , docId] = line.split(' ');
    const key = `${queryId ?? ''} ${docId ?? ''}`;
    if (seen.has(key)) duplicated++;
    else seen.add(key);
    if (!keys.has(key)) extra++;
  }
  let lost = 0;
  for (const key of keys) if (!seen.has(key)) lost++;
  return { lines, lost, duplicated, extra };
}
