import { describe, expect, it } from 'vitest';
import { limiterFor } from '../../workers/worker-host.js';
import { decodeFailure, encodeFailure } from '../../jobs/failure-reason.js';
import { JOB_CONTRACT_VERSION, parseRerankJobPayload, parseRerankJobResult, rerankJobId, resultEcho, type RerankJobPayload } from '../../jobs/index.js';

const payload: RerankJobPayload = {
  v: JOB_CONTRACT_VERSION,
  runId: 'r1',
  queryId: '007',
  query: 'q',
  docs: [
    { id: 'a', text: 'alpha', score: 1.5, rank: 1 },
    { id: 'b', text: 'beta' },
  ],
};

describe('the job contract', () => {
  it('derives the same id from the same batch, and another from any change', () => {
    expect(rerankJobId(payload)).toBe(rerankJobId(structuredClone(payload)));
    expect(rerankJobId(payload)).toMatch(/^b-[0-9a-f]{40}$/);
    const changes: RerankJobPayload[] = [
      { ...payload, runId: 'r2' },
      { ...payload, queryId: '7' },
      { ...payload, docs: [payload.docs[1] as RerankJobPayload['docs'][number], payload.docs[0] as RerankJobPayload['docs'][number]] },
      { ...payload, docs: [{ id: 'a', text: 'alphab' }, { id: '', text: 'eta' }] },
      { ...payload, unscored: true },
    ];
    for (const changed of changes) expect(rerankJobId(changed)).not.toBe(rerankJobId(payload));
  });

  it('validates payloads, naming the bad field', () => {
    expect(parseRerankJobPayload(payload)).toEqual(payload);
    expect(() => parseRerankJobPayload({ ...payload, docs: [] })).toThrow(/docs/);
    expect(() => parseRerankJobPayload({ ...payload, docs: [{ id: 'a', text: '' }] })).toThrow(/empty document text/);
    expect(() => parseRerankJobPayload({ ...payload, v: 2 })).toThrow();
    expect(parseRerankJobPayload({ ...payload, docs: [{ id: 'a', text: '' }], unscored: true }).unscored).toBe(true);
  });

  it('checks a result has one finite score per document, and echoes the batch without texts', () => {
    const echo = resultEcho(payload);
    expect(echo.docs).toEqual([
      ['a', 1.5, 1],
      ['b', null, null],
    ]);
    expect(JSON.stringify(echo)).not.toContain('alpha');
    expect(parseRerankJobResult({ ...echo, scores: [0.5, 0.25], requests: 1, rateLimited: 0 }).scores).toEqual([0.5, 0.25]);
    expect(() => parseRerankJobResult({ ...echo, scores: [0.5], requests: 1, rateLimited: 0 })).toThrow(/1 scores for 2 documents/);
    expect(() => parseRerankJobResult({ ...echo, scores: [0.5, null], requests: 1, rateLimited: 0 })).toThrow();
    expect(parseRerankJobResult({ ...echo, unscored: true, scores: [], requests: 0, rateLimited: 0 }).scores).toEqual([]);
  });

  it('carries error codes through BullMQ failure messages', () => {
    expect(decodeFailure(encodeFailure('ERR_API_UNPROCESSABLE', 'PermanentApiError', 'bad\nthing'))).toEqual({ code: 'ERR_API_UNPROCESSABLE', errorClass: 'PermanentApiError', message: 'bad\nthing' });
    expect(decodeFailure('job stalled more than allowable limit')).toEqual({ code: 'ERR_JOB_FAILED', errorClass: 'Error', message: 'job stalled more than allowable limit' });
  });

  it('turns a rate into a BullMQ limiter with the same average', () => {
    expect(limiterFor(200)).toEqual({ max: 200, duration: 1000 });
    expect(limiterFor(0.5)).toEqual({ max: 1, duration: 2000 });
    const { max, duration } = limiterFor(7.5);
    // Durations are whole milliseconds: the average is kept to within 0.1%.
    expect(Math.abs((max * 1000) / duration - 7.5) / 7.5).toBeLessThan(0.001);
  });
});
