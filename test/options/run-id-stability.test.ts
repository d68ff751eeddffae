import { describe, expect, it } from 'vitest';
import { deriveRunId } from '../../src/orchestrate/run-id.js';
import { resolveOptions } from '../../src/options/resolve-options.js';

/**
 * A run's id names its queue and state in Redis: if a refactor or an upgrade changed the id of the same
 * command, re-running it would start a second run and pay for every request again, and the first run's
 * jobs would be orphaned. These ids are pinned.
 */
describe('derived run id', () => {
  const inputs = { input: 'a'.repeat(64) };

  it('is the one version 0.1.0 derived, for the defaults', () => {
    const { options } = resolveOptions('run', { cli: { input: 'pairs.csv', out: 'out' } });
    expect(deriveRunId(inputs, options)).toBe('rd7f482ec9c586baa');
  });

  it('is the one version 0.1.0 derived, with every option that names a run set', () => {
    const { options } = resolveOptions('run', {
      cli: {
        runFile: 'run.trec', docs: 'docs.jsonl', queries: 'q.tsv', depth: 100, format: 'tsv', columns: { query_id: 'qid', document: 'body' },
        onBadRow: 'skip', onEmptyText: 'score-lowest', maxDocumentBytes: 4096, onLongDocument: 'reject', apiUrl: 'https://api.example.com/rerank',
        model: 'm', template: 'none', instruction: 'i', maxDocsPerRequest: 20, maxRequestBytes: 65536, out: 'out',
      },
    });
    expect(deriveRunId({ run_file: 'b'.repeat(64), docs: 'c'.repeat(64), queries: 'd'.repeat(64) }, options)).toBe('r2e42d2015a01986b');
  });

  it('does not change with options that do not change what is sent', () => {
    const a = resolveOptions('run', { cli: { input: 'p', out: 'o1', concurrency: 2, maxPending: 5, topN: 3, runTag: 'x', prefix: 'p1' } }).options;
    const b = resolveOptions('run', { cli: { input: 'p', out: 'o2' } }).options;
    expect(deriveRunId(inputs, a)).toBe(deriveRunId(inputs, b));
  });
});
