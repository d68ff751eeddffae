import { describe, expect, it } from 'vitest';
import { DuplicateFilter } from '../../src/read/duplicate-filter.js';

/** Feeds [queryId, docId] rows (line = index + 2, after a header) and returns the lines it dropped. */
function dropped(filter: DuplicateFilter, rows: [string, string][]): number[] {
  const lines: number[] = [];
  rows.forEach(([queryId, docId], i) => {
    if (!filter.add(queryId, docId, i + 2)) lines.push(i + 2);
  });
  return lines;
}

describe('DuplicateFilter', () => {
  it('drops repeats within a block of consecutive lines of one query', () => {
    const filter = new DuplicateFilter();
    expect(dropped(filter, [['1', 'a'], ['1', 'b'], ['1', 'a'], ['2', 'a'], ['2', 'a']])).toEqual([4, 6]);
    expect(filter.forgottenCount).toBe(0);
  });

  it('stays exact when a query resumes while its last block is among the recent ones', () => {
    const filter = new DuplicateFilter(5, 5);
    // q1 ends, q2 and q3 pass (5 ids in the ended blocks: within the limit), q1 resumes: its repeat of a is seen,
    // and so is a later repeat of c, from its second block, after q4.
    const rows: [string, string][] = [['1', 'a'], ['1', 'b'], ['2', 'x'], ['3', 'y'], ['3', 'z'], ['1', 'a'], ['1', 'c'], ['4', 'w'], ['1', 'c'], ['1', 'b'], ['1', 'd']];
    expect(dropped(filter, rows)).toEqual([7, 10, 11]);
    expect(filter.forgottenCount).toBe(0);
  });

  it('reports a query whose first block was forgotten, and keeps checking its later blocks', () => {
    const filter = new DuplicateFilter(5, 2);
    // Between q1's blocks come 3 other ids: more than the limit of 2, so q1's first block is gone.
    const rows: [string, string][] = [['1', 'a'], ['2', 'x'], ['2', 'y'], ['3', 'z'], ['1', 'a'], ['1', 'b'], ['5', 'v'], ['1', 'b']];
    // line 6 (1,a) repeats line 2 but cannot be seen; line 9 (1,b) repeats line 7, in q1's second block.
    expect(dropped(filter, rows)).toEqual([9]);
    expect(filter.forgottenCount).toBe(1);
    expect(filter.forgotten).toEqual([{ queryId: '1', line: 6 }]);
  });

  it('holds a bounded number of doc ids for grouped input, whatever its length', () => {
    const filter = new DuplicateFilter(5, 1000);
    for (let q = 0; q < 2000; q++) for (let d = 0; d < 100; d++) expect(filter.add(`q${q}`, `d${d}`, 0)).toBe(true);
    const internals = filter as unknown as { recentPairs: number; block: Set<string> };
    // 200,000 pairs read; the recent blocks hold at most the limit, the current block its own 100.
    expect(internals.recentPairs).toBeLessThanOrEqual(1000);
    expect(internals.block.size).toBe(100);
    expect(filter.forgottenCount).toBe(0);
  });
});
