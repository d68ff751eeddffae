import { describe, expect, it } from 'vitest';
import { runLineFields, trecFields } from '../../src/read/trec-fields.js';

describe('runLineFields', () => {
  it('reads the fields trecFields splits, and skips the lines it skips', () => {
    const lines = ['q1 Q0 d1 1 2.5 tag', '\tq1\vQ0\fd1  1\r2.5 tag extra', '  q1 Q0 d1 1', '', '   \t', '# comment', '  #q1 Q0 d1 1 2 t', 'q1', 'q1 Q0 d1 1 -inf t'];
    for (const line of lines) {
      const fields = trecFields(line);
      const scanned = runLineFields(line);
      if (fields === undefined) {
        expect(scanned, line).toBeUndefined();
        continue;
      }
      expect(scanned, line).toEqual({ count: fields.length, queryId: fields[0], docId: fields[2], score: fields[4] });
    }
  });
});
