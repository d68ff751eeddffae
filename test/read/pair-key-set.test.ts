import { describe, expect, it } from 'vitest';
import { PairKeySet, pairHash } from '../../src/read/pair-key-set.js';

describe('PairKeySet', () => {
  it('finds every repeat and no false one over 300,000 distinct pairs, across table growth', () => {
    const set = new PairKeySet();
    for (let q = 0; q < 3000; q++) for (let d = 0; d < 100; d++) expect(set.add(`q${q}`, `doc-${d}`)).toBe(true);
    expect(set.size).toBe(300_000);
    for (let q = 0; q < 3000; q += 7) for (let d = 0; d < 100; d += 13) expect(set.add(`q${q}`, `doc-${d}`)).toBe(false);
    expect(set.size).toBe(300_000);
  });

  it('keeps the query and doc id apart', () => {
    expect(pairHash('ab', 'c')).not.toEqual(pairHash('a', 'bc'));
    const set = new PairKeySet();
    expect(set.add('1', '23')).toBe(true);
    expect(set.add('12', '3')).toBe(true);
    expect(set.add('', '123')).toBe(true);
    expect(set.add('1', '23')).toBe(false);
  });
});
