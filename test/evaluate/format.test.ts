import { describe, expect, it } from 'vitest';
import { evaluate, formatFixed, formatTrecEval, formatTrecEvalLine } from '../../src/evaluate/index.js';

describe('formatFixed (printf %.4f)', () => {
  it('rounds exact binary ties to even as glibc printf does', () => {
    expect(formatFixed(0.03125)).toBe('0.0312'); // toFixed gives 0.0313
    expect(formatFixed(0.09375)).toBe('0.0938');
    expect(formatFixed(0.15625)).toBe('0.1562');
    expect(formatFixed(0.28125)).toBe('0.2812');
    expect(formatFixed(-0.03125)).toBe('-0.0312');
    expect(formatFixed(2.5, 0)).toBe('2');
  });

  it('rounds non-ties to nearest', () => {
    expect(formatFixed(1 / 3)).toBe('0.3333');
    expect(formatFixed(2 / 3)).toBe('0.6667');
    expect(formatFixed(0.00005)).toBe('0.0001'); // the double is slightly above the tie
    expect(formatFixed(0.99999)).toBe('1.0000');
    expect(formatFixed(0)).toBe('0.0000');
    expect(formatFixed(Number.NaN)).toBe('nan');
  });
});

describe('formatTrecEvalLine', () => {
  it('pads the name to 22 characters and prints counts as integers', () => {
    expect(formatTrecEvalLine('map', '1', 0.5)).toBe('map                   \t1\t0.5000\n');
    expect(formatTrecEvalLine('num_ret', 'all', 22471)).toBe('num_ret               \tall\t22471\n');
  });
});

describe('formatTrecEval', () => {
  it('prints per-query rows (qrels order, absent queries too, no num_q) then the "all" rows', () => {
    const qrels = new Map([
      ['2', new Map([['a', 1]])],
      ['10', new Map([['b', 1], ['c', 1]])],
    ]);
    // Query 10 is absent from the run: trec_eval 10.0 -c -q prints it with zeros and its num_rel.
    const result = evaluate(qrels, new Map([['2', [{ docId: 'a', score: 1 }]]]), { measures: ['num_q', 'num_rel', 'map'] });
    expect(formatTrecEval(result, { perQuery: true })).toBe(
      [
        'num_rel               \t10\t2',
        'map                   \t10\t0.0000',
        'num_rel               \t2\t1',
        'map                   \t2\t1.0000',
        'num_q                 \tall\t2',
        'num_rel               \tall\t3',
        'map                   \tall\t0.5000',
        '',
      ].join('\n'),
    );
  });
});
