import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors/input-error.js';
import type { Pair } from '../../src/interfaces.js';
import { plannerOptionsOf, requestShapeOf } from '../../src/options/request-shape.js';
import { resolveOptions } from '../../src/options/resolve-options.js';
import { BatchPlanner, type PlannedBatch, type PlannerOptions } from '../../src/plan/batch-planner.js';

/** The planner options of a default submit (regolo: qwen3 format, billed per request). */
const DEFAULT_PLANNER: PlannerOptions = plannerOptionsOf(requestShapeOf(resolveOptions('submit', { api: { input: 'x' }, env: {} }).options));

function pair(queryId: string, docId: string, document = `text of ${docId}`, line = 1): Pair {
  return { queryId, query: `query ${queryId}`, docId, document, line };
}

function planAll(pairs: Pair[], options: Partial<ConstructorParameters<typeof BatchPlanner>[0]> = {}): PlannedBatch[] {
  const planner = new BatchPlanner({ ...DEFAULT_PLANNER, maxDocsPerRequest: 3, maxRequestBytes: 1 << 20, maxBufferedBytes: 1 << 30, ...options }, 'in.csv');
  const out = pairs.flatMap((p) => planner.add(p));
  return [...out, ...planner.flush()];
}

describe('BatchPlanner', () => {
  it('groups interleaved rows per query into batches of at most maxDocsPerRequest, keeping every pair once', () => {
    const pairs = Array.from({ length: 20 }, (_, i) => pair(i % 2 === 0 ? 'a' : 'b', `d${i}`));
    const batches = planAll(pairs);
    for (const batch of batches) {
      expect(batch.docs.length).toBeLessThanOrEqual(3);
      expect(batch.docs.every((doc) => pairs.find((p) => p.docId === doc.id)?.queryId === batch.queryId)).toBe(true);
    }
    expect(batches.flatMap((b) => b.docs.map((d) => d.id)).sort()).toEqual(pairs.map((p) => p.docId).sort());
    // 10 per query -> 3 + 3 + 3 + 1 for each.
    expect(batches.map((b) => b.docs.length).sort()).toEqual([1, 1, 3, 3, 3, 3, 3, 3]);
  });

  it('closes a batch before it would pass maxRequestBytes', () => {
    // Three different texts: identical ones would be sent once (see request-shaping.test.ts).
    const big = (c: string): string => c.repeat(600);
    const batches = planAll([pair('q', '1', big('x')), pair('q', '2', big('y')), pair('q', '3', big('z'))], { maxDocsPerRequest: 50, maxRequestBytes: 1300 });
    expect(batches.map((b) => b.docs.length)).toEqual([2, 1]);
  });

  it('bounds the text held in open batches by sending the largest early', () => {
    const text = (i: number): string => `${i} ${'y'.repeat(1000)}`;
    const pairs = Array.from({ length: 30 }, (_, i) => pair(`q${i % 10}`, `d${i}`, text(i)));
    const planner = new BatchPlanner({ ...DEFAULT_PLANNER, maxDocsPerRequest: 50, maxRequestBytes: 1 << 20, maxBufferedBytes: 5000 }, 'in.csv');
    let early = 0;
    for (const p of pairs) early += planner.add(p).length;
    expect(early).toBeGreaterThan(0);
    expect(planner.totals.pairs).toBe(30);
  });

  it('plans the same input the same way every time', () => {
    const pairs = Array.from({ length: 50 }, (_, i) => pair(`q${i % 7}`, `d${i}`));
    expect(planAll(pairs)).toEqual(planAll(pairs));
  });

  it('keeps empty-text pairs in batches of their own, flagged unscored', () => {
    const batches = planAll([pair('q', '1'), { ...pair('q', '2', ''), emptyText: true } as Pair, pair('q', '3')]);
    const unscored = batches.filter((b) => b.unscored === true);
    expect(unscored).toHaveLength(1);
    expect(unscored[0]?.docs.map((d) => d.id)).toEqual(['2']);
  });

  it('rejects one query id with two texts, naming file, line and field', () => {
    const planner = new BatchPlanner({ ...DEFAULT_PLANNER, maxDocsPerRequest: 3, maxRequestBytes: 1 << 20, maxBufferedBytes: 1 << 30 }, 'in.csv');
    planner.add(pair('q', '1'));
    const second = { ...pair('q', '2', 'text', 7), query: 'another query' };
    expect(() => planner.add(second)).toThrow(InputError);
    expect(() => planner.add(second)).toThrow('in.csv:7: field "query"');
  });
});
