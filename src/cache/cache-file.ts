import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { createGunzip, createGzip } from 'node:zlib';
import { z } from 'zod';
import { InputError } from '../errors/input-error.js';
import { SCORE_KEY_BYTES } from './score-key.js';
import type { CacheEntry, ScoreCache } from './score-cache.js';

/**
 * A score cache as one file, to move it between machines (`cache export`, `cache import`): gzip'd JSON
 * lines, first a header with the identities, then one line per score:
 * `[key (hex), score, obtained at (ms), identity tag, [passages, best] or null]`. Scores are JSON numbers,
 * which JavaScript writes and reads back bit for bit.
 */
export const CACHE_FILE_FORMAT = 'rerank-batch-score-cache';

const headerSchema = z.object({
  format: z.literal(CACHE_FILE_FORMAT),
  v: z.literal(1),
  /** Identity text by tag (hex). */
  identities: z.record(z.string().regex(/^[0-9a-f]{8}$/), z.string()),
});

const entrySchema = z.tuple([
  z.string().regex(new RegExp(`^[0-9a-f]{${SCORE_KEY_BYTES * 2}}$`)),
  z.number().finite(),
  z.number().finite(),
  z.number().int().nonnegative().max(0xffffffff),
  z.tuple([z.number().int().positive().max(0xffff), z.number().int().nonnegative().max(0xffff)]).nullable(),
]);

/** Write every entry of `cache` to `file`; returns how many. */
export async function exportCache(cache: ScoreCache, file: string): Promise<number> {
  let count = 0;
  const identities: Record<string, string> = {};
  for (const [tag, text] of cache.identities()) identities[tag.toString(16).padStart(8, '0')] = text;
  async function* lines(): AsyncGenerator<string> {
    yield `${JSON.stringify({ format: CACHE_FILE_FORMAT, v: 1, identities })}\n`;
    for (const entry of cache.entries()) {
      count += 1;
      yield `${JSON.stringify([entry.key.toString('hex'), entry.score, entry.at, entry.tag, entry.passage ?? null])}\n`;
    }
  }
  await pipeline(Readable.from(lines()), createGzip(), createWriteStream(file));
  return count;
}

export interface ImportReport {
  /** Scores in the file. */
  read: number;
  /** Of those, new to the cache; newer than the cache's own (replacing it); older or the same (left out). */
  added: number;
  updated: number;
  kept: number;
}

/**
 * Merge `file` (written by exportCache) into `cache`: a score the cache lacks is added, one newer than the
 * cache's replaces it, an older one is left out. A malformed line is an ERR_CACHE_FILE naming the file and
 * line; what came before it is imported.
 */
export async function importCache(cache: ScoreCache, file: string): Promise<ImportReport> {
  const report: ImportReport = { read: 0, added: 0, updated: 0, kept: 0 };
  const input = createReadStream(file).pipe(createGunzip());
  let line = 0;
  let batch: CacheEntry[] = [];
  const flush = async (): Promise<void> => {
    await cache.put(batch);
    batch = [];
  };
  try {
    for await (const text of createInterface({ input, crlfDelay: Infinity })) {
      line += 1;
      if (text === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (err) {
        throw new InputError('ERR_CACHE_FILE', `not JSON: ${err instanceof Error ? err.message : String(err)}`, { file, line });
      }
      if (line === 1) {
        const header = headerSchema.safeParse(value);
        if (!header.success) throw new InputError('ERR_CACHE_FILE', `not a score cache export (its first line is no ${CACHE_FILE_FORMAT} header)`, { file, line });
        for (const [tag, identity] of Object.entries(header.data.identities)) await cache.registerIdentity(Number.parseInt(tag, 16), identity);
        continue;
      }
      const parsed = entrySchema.safeParse(value);
      if (!parsed.success) throw new InputError('ERR_CACHE_FILE', `not a score entry: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`, { file, line });
      const [hex, score, at, tag, passage] = parsed.data;
      report.read += 1;
      const entry: CacheEntry = { key: Buffer.from(hex, 'hex'), score, at, tag, ...(passage === null ? {} : { passage }) };
      const own = cache.get(entry.key);
      if (own !== undefined && own.at >= at) {
        report.kept += 1;
        continue;
      }
      if (own === undefined) report.added += 1;
      else report.updated += 1;
      batch.push(entry);
      if (batch.length >= 10_000) await flush();
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError('ERR_CACHE_FILE', `cannot read the score cache export: ${err instanceof Error ? err.message : String(err)}`, { file, line }, { cause: err });
  } finally {
    await flush();
  }
  return report;
}
