import { describe, expect, it } from 'vitest';
import { deriveRunId } from '../../src/orchestrate/run-id.js';
import { requestShapeOf } from '../../src/options/request-shape.js';
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
    expect(deriveRunId(inputs, options, requestShapeOf(options))).toBe('rd7f482ec9c586baa');
  });

  it('is the one version 0.1.0 derived, with every option that names a run set', () => {
    const { options } = resolveOptions('run', {
      cli: {
        runFile: 'run.trec', docs: 'docs.jsonl', queries: 'q.tsv', depth: 100, format: 'tsv', columns: { query_id: 'qid', document: 'body' },
        onBadRow: 'skip', onEmptyText: 'score-lowest', maxDocumentBytes: 4096, onLongDocument: 'reject', apiUrl: 'https://api.example.com/rerank',
        model: 'm', template: 'none', instruction: 'i', maxDocsPerRequest: 20, maxRequestBytes: 65536, out: 'out',
      },
    });
    expect(deriveRunId({ run_file: 'b'.repeat(64), docs: 'c'.repeat(64), queries: 'd'.repeat(64) }, options, requestShapeOf(options))).toBe('r2e42d2015a01986b');
  });

  it('does not change with options that do not change what is sent', () => {
    const a = resolveOptions('run', { cli: { input: 'p', out: 'o1', concurrency: 2, maxPending: 5, topN: 3, runTag: 'x', prefix: 'p1' } }).options;
    const b = resolveOptions('run', { cli: { input: 'p', out: 'o2' } }).options;
    expect(deriveRunId(inputs, a, requestShapeOf(a))).toBe(deriveRunId(inputs, b, requestShapeOf(b)));
  });

  it('is the same for the regolo defaults spelled out, since they shape the same requests', () => {
    const spelled = resolveOptions('run', { cli: { input: 'p', out: 'o', provider: 'regolo', model: 'Qwen3-Reranker-4B', template: 'qwen3', maxDocsPerRequest: 50, maxRequestBytes: 256 * 1024 } }).options;
    expect(deriveRunId(inputs, spelled, requestShapeOf(spelled))).toBe('rd7f482ec9c586baa');
  });

  it('changes with another provider, with passages, and with a custom template', () => {
    const derive = (cli: Record<string, unknown>): string => {
      const { options } = resolveOptions('run', { cli: { input: 'pairs.csv', out: 'out', ...cli } });
      return deriveRunId(inputs, options, requestShapeOf(options));
    };
    const base = derive({});
    expect(base).toBe('rd7f482ec9c586baa');
    const cohere = derive({ provider: 'cohere' });
    // Same model, template and limits (cohere's maxTokensPerDoc 4096 given to regolo too): only the provider tells them apart.
    const regoloCapped = derive({ maxTokensPerDoc: 4096 });
    const cohereLikeRegolo = derive({ provider: 'cohere', model: 'Qwen3-Reranker-4B', template: 'qwen3', maxDocsPerRequest: 50, maxRequestBytes: 256 * 1024 });
    const passages = derive({ passages: '150' });
    const passagesStride = derive({ passages: '150,100' });
    const custom = derive({ template: 'custom', queryTemplate: 'Q: {query}' });
    const ids = [base, cohere, regoloCapped, cohereLikeRegolo, passages, passagesStride, custom];
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^r[0-9a-f]{16}$/);
  });
});
