import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { openPairs } from '../../src/read/index.js';

const dir = mkdtempSync(join(tmpdir(), 'rerank-batch-bytes-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Enough rows for several 256 KiB reads: the progress must move before the end. */
function rows(format: 'csv' | 'jsonl'): string {
  const lines: string[] = format === 'csv' ? ['query_id,query,doc_id,document'] : [];
  for (let i = 0; i < 6000; i++) {
    const doc = `document ${i} ${'lorem ipsum dolor sit amet '.repeat(6)}`;
    lines.push(format === 'csv' ? `q${i % 50},query ${i % 50},d${i},${doc}` : JSON.stringify({ query_id: `q${i % 50}`, query: `query ${i % 50}`, doc_id: `d${i}`, document: doc }));
  }
  return `${lines.join('\n')}\n`;
}

describe('onBytesRead: how far through the file the reading is', () => {
  for (const [name, content] of [
    ['pairs.csv', rows('csv')],
    ['pairs.jsonl', rows('jsonl')],
    ['pairs.csv.gz', gzipSync(rows('csv'))],
    ['pairs.jsonl.gz', gzipSync(rows('jsonl'))],
  ] as const) {
    it(`${name}: the bytes of the file itself, rising to its size, with pairs read along the way`, async () => {
      const file = join(dir, name);
      writeFileSync(file, content);
      const size = statSync(file).size;
      const seen: { read: number; size: number; pairs: number }[] = [];
      let pairs = 0;
      for await (const _pair of openPairs(file, { onBytesRead: (read, total) => seen.push({ read, size: total, pairs }) })) pairs++;
      expect(pairs).toBe(6000);
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen.map((s) => s.size))).toEqual(new Set([size]));
      for (let i = 1; i < seen.length; i++) expect(seen[i]?.read).toBeGreaterThanOrEqual(seen[i - 1]?.read ?? 0);
      expect(seen.at(-1)?.read).toBe(size);
      // Reports come while pairs are read, not only at the end (the plain files span several reads).
      if (!name.endsWith('.gz')) expect(seen.some((s) => s.pairs > 0 && s.read < size)).toBe(true);
    });
  }
});
