import { describe, expect, it } from 'vitest';
import { compareUtf8, mulberry32, sortTrecOrder } from '../../src/evaluate/index.js';

describe('compareUtf8', () => {
  it('agrees with Buffer.compare on random strings mixing ASCII, BMP and astral characters', () => {
    const alphabet = ['a', 'b', '0', '9', 'é', 'ß', '\u4e2d', '\uFF21', '\uFFFD', '😀', '𝄞', '\uE000'];
    const random = mulberry32(7);
    const pick = (): string => Array.from({ length: 1 + Math.floor(random() * 4) }, () => alphabet[Math.floor(random() * alphabet.length)] ?? '').join('');
    for (let i = 0; i < 5000; i++) {
      const a = pick();
      const b = pick();
      expect(Math.sign(compareUtf8(a, b)), `${a} vs ${b}`).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }
  });

  it('sorts ties by descending bytes (JS < would put U+FF21 after the emoji)', () => {
    const sorted = sortTrecOrder(['z', '😀', 'é', '\uFF21', '10', '9'].map((docId) => ({ docId, score: 1 })));
    expect(sorted.map((d) => d.docId)).toEqual(['😀', '\uFF21', 'é', 'z', '9', '10']);
  });
});
