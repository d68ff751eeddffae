/**
 * Deterministic synthetic pairs corpus for the benchmarks: N queries x K candidates, written as CSV
 * (query_id,query,doc_id,document,score) straight to disk, one row at a time (the whole file is never
 * held in memory). Same options, same bytes: a seeded PRNG (mulberry32) drives every choice.
 *
 *   node dist/bench/synthetic-corpus.js --queries 2000 --per-query 100 --out file.csv [--seed 1]
 *        [--min-words 30] [--max-words 120] [--vocabulary 4000]
 */
import { mulberry32 } from '../src/mulberry32.js';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { stat } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';

export interface CorpusOptions {
  /** Output file (.csv). */
  out: string;
  queries: number;
  perQuery: number;
  /** PRNG seed. Default 1. */
  seed?: number;
  /** Words per document, inclusive bounds. Default 30..120. */
  minWords?: number;
  maxWords?: number;
  /** Made-up words in the vocabulary. Default 4000. */
  vocabulary?: number;
}

export interface CorpusReport {
  file: string;
  pairs: number;
  queries: number;
  bytes: number;
}



const ONSETS = ['b', 'c', 'd', 'f', 'g', 'h', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'st', 'tr', 'pl', 'ch', 'sh'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou', 'ea'];

/** `size` distinct made-up lowercase words of 2-4 syllables (only letters: no CSV quoting needed). */
export function makeVocabulary(size: number, random: () => number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const syllables = 2 + Math.floor(random() * 3);
    let word = '';
    for (let s = 0; s < syllables; s++) {
      word += ONSETS[Math.floor(random() * ONSETS.length)] ?? 'b';
      word += VOWELS[Math.floor(random() * VOWELS.length)] ?? 'a';
    }
    words.add(word);
  }
  return [...words];
}

/** A Zipf-like pick: low indexes (frequent words) far more often than high ones. */
function zipfIndex(size: number, random: () => number): number {
  return Math.min(size - 1, Math.floor(size ** random()) - 1);
}

/** Write the corpus; resolves when the file is closed. */
export async function writeCorpus(options: CorpusOptions): Promise<CorpusReport> {
  const random = mulberry32(options.seed ?? 1);
  const minWords = options.minWords ?? 30;
  const maxWords = Math.max(minWords, options.maxWords ?? 120);
  const vocabulary = makeVocabulary(options.vocabulary ?? 4000, random);
  const size = vocabulary.length;
  const word = (): string => vocabulary[zipfIndex(size, random)] ?? 'a';
  const stream = createWriteStream(options.out, { highWaterMark: 1 << 20 });
  const failed = new Promise<never>((_, reject) => stream.once('error', reject));
  failed.catch(() => undefined);
  const write = async (text: string): Promise<void> => {
    if (!stream.write(text)) await Promise.race([once(stream, 'drain'), failed]);
  };

  await write('query_id,query,doc_id,document,score\n');
  let pairs = 0;
  let chunk = '';
  for (let q = 1; q <= options.queries; q++) {
    const queryWords: string[] = [];
    const queryLength = 3 + Math.floor(random() * 6);
    // Query words come from the rarer part of the vocabulary, so BM25 separates the candidates.
    for (let i = 0; i < queryLength; i++) queryWords.push(vocabulary[Math.floor(size / 10 + random() * (size - size / 10))] ?? 'a');
    const query = queryWords.join(' ');
    for (let d = 1; d <= options.perQuery; d++) {
      const length = minWords + Math.floor(random() * (maxWords - minWords + 1));
      const relevance = random();
      const words: string[] = [];
      for (let i = 0; i < length; i++) {
        words.push(random() < relevance * 0.15 ? (queryWords[Math.floor(random() * queryWords.length)] ?? 'a') : word());
      }
      const score = (20 - (d / options.perQuery) * 10 + random()).toFixed(4);
      chunk += `q${q},${query},q${q}-d${d},${words.join(' ')},${score}\n`;
      pairs++;
      if (chunk.length >= 1 << 16) {
        await write(chunk);
        chunk = '';
      }
    }
  }
  if (chunk !== '') await write(chunk);
  stream.end();
  await Promise.race([once(stream, 'close'), failed]);
  const { size: bytes } = await stat(options.out);
  return { file: options.out, pairs, queries: options.queries, bytes };
}

function parseArgs(argv: string[]): CorpusOptions {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i];
    const value = argv[i + 1];
    if (name === undefined || !name.startsWith('--') || value === undefined) throw new Error(`usage: synthetic-corpus --queries N --per-query K --out FILE [--seed S] [--min-words A] [--max-words B] [--vocabulary V]`);
    values.set(name.slice(2), value);
    i++;
  }
  const int = (name: string, fallback?: number): number => {
    const raw = values.get(name);
    if (raw === undefined) {
      if (fallback === undefined) throw new Error(`--${name} is required`);
      return fallback;
    }
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${raw}`);
    return n;
  };
  const out = values.get('out');
  if (out === undefined) throw new Error('--out is required');
  return {
    out,
    queries: int('queries'),
    perQuery: int('per-query'),
    seed: int('seed', 1),
    minWords: int('min-words', 30),
    maxWords: int('max-words', 120),
    vocabulary: int('vocabulary', 4000),
  };
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  try {
    const report = await writeCorpus(parseArgs(process.argv.slice(2)));
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}
