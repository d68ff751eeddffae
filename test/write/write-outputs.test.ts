import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Spool, type SpoolRecord } from '../../src/collect/spool.js';
import { writeOutputs } from '../../src/write/write-outputs.js';
import { tempDir } from '../helpers/paths.js';

let remove: (() => Promise<void>) | undefined;
afterEach(async () => {
  await remove?.();
  remove = undefined;
});

function scored(job: string, queryId: string, items: [string, number][]): SpoolRecord {
  return { t: 'ok', job, q: queryId, query: `query ${queryId}`, items: items.map(([docId, score]) => [docId, score, null, null]), requests: 1, rateLimited: 0, attempts: 1 };
}

describe('writeOutputs', () => {
  it('writes a candidate scored in two batches once, with its best score, whatever the collection order', async () => {
    const outputs: string[] = [];
    for (const order of [
      ['b-1', 'b-2'],
      ['b-2', 'b-1'],
    ]) {
      const temp = await tempDir('write-outputs');
      remove = temp.remove;
      const spool = await Spool.open(join(temp.dir, 'run.spool'));
      // The reader could not see that (q1, a) came back far from its first block: it was scored twice.
      const records: Record<string, SpoolRecord> = {
        'b-1': scored('b-1', 'q1', [['a', 0.5], ['b', 0.25]]),
        'b-2': scored('b-2', 'q1', [['c', 0.75], ['a', 0.625]]),
      };
      for (const job of order) await spool.append([records[job] as SpoolRecord]);
      const summary = await writeOutputs(spool, { outDir: temp.dir, runTag: 't' });
      spool.close();
      expect(summary.scoredPairs).toBe(3);
      expect(summary.repeatsDropped).toBe(1);
      outputs.push(await readFile(join(temp.dir, 'ranked.trec'), 'utf8'));
      await temp.remove();
      remove = undefined;
    }
    expect(outputs[0]).toBe(outputs[1]);
    expect(outputs[0]?.trim().split('\n').map((line) => line.split(' ').slice(2, 4).join(' '))).toEqual(['c 1', 'a 2', 'b 3']);
    expect(outputs[0]).toContain('q1 Q0 a 2 0.625 t');
  });

  it('leaves the summary without repeatsDropped when there were none', async () => {
    const temp = await tempDir('write-outputs');
    remove = temp.remove;
    const spool = await Spool.open(join(temp.dir, 'run.spool'));
    await spool.append([scored('b-1', 'q1', [['a', 1], ['b', 2]])]);
    const summary = await writeOutputs(spool, { outDir: temp.dir, runTag: 't' });
    spool.close();
    expect(summary).not.toHaveProperty('repeatsDropped');
    expect(summary.scoredPairs).toBe(2);
  });
});
