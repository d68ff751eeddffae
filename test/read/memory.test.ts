import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPairs } from '../../src/read/index.js';

const ROWS = 50_000;
const MB = 1024 * 1024;
let dir = '';
let file = '';

/** ~1 KB a row, with a quoted field holding commas, quotes and a line break: ~50 MB in all. */
async function writeBigCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('query_id,query,doc_id,document,score,rank\r\n');
  const filler = 'lorem ipsum dolor sit amet, "consectetur" adipiscing elit\n'.repeat(17);
  for (let i = 0; i < ROWS; i++) {
    const q = Math.floor(i / 100);
    const line = `${q},query number ${q},doc${i},"${filler.replaceAll('"', '""')} ${i}",${1000 - (i % 100)},${(i % 100) + 1}\r\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rerank-batch-read-memory-'));
  file = join(dir, 'big.csv');
  await writeBigCsv(file);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('openPairs: memory', () => {
  it('streams a ~50 MB CSV with heap growth well under the file size', async () => {
    const size = (await stat(file)).size;
    expect(size).toBeGreaterThan(45 * MB);
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    let count = 0;
    let lastLine = 0;
    for await (const pair of openPairs(file)) {
      count++;
      lastLine = pair.line;
      if (count % 500 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
    }
    expect(count).toBe(ROWS);
    expect(lastLine).toBe(1 + (ROWS - 1) * 18 + 1);
    const growth = peak - baseline;
    // The whole file decoded would be >= 50 MB of heap (more as UTF-16 strings); streaming stays far below.
    expect(growth).toBeLessThan(size / 2.5); // measured: ~10 MB for 51 MB
  });
});
