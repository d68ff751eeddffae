import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rerankJobId } from '../../jobs/job-id.js';
import { JOB_CONTRACT_VERSION, type RerankJobPayload } from '../../jobs/rerank-job.js';

/**
 * Job ids are what a resumed run, a resubmission and `retry-failed` find their batches by: an id that
 * changes (a refactor of job-id.ts, a library upgrade) orphans every batch of the runs in flight and
 * scores them all again. These literals were computed once and must never change; a change of id scheme
 * needs a new contract version and a note for users with runs in flight.
 */
const PINNED: [name: string, payload: RerankJobPayload, id: string][] = [
  [
    'first-stage score and rank on one document, none on the other',
    {
      v: JOB_CONTRACT_VERSION,
      runId: 'r1',
      queryId: '007',
      query: 'q',
      docs: [
        { id: 'a', text: 'alpha', score: 1.5, rank: 1 },
        { id: 'b', text: 'beta' },
      ],
    },
    'b-43629d2be755a1aa6c669ecb1ae1dc60a92cb60f',
  ],
  [
    'a Cranfield-like batch, negative and tiny scores',
    {
      v: JOB_CONTRACT_VERSION,
      runId: 'cranfield-2024',
      queryId: '1',
      query: 'what similarity laws must be obeyed when constructing aeroelastic models of heated high speed aircraft',
      docs: [
        { id: '184', text: 'scale models of heated wings', score: 12.25, rank: 1 },
        { id: '29', text: 'aeroelastic similarity', score: -0.5, rank: 2 },
        { id: '31', text: 'x', score: 1e-7, rank: 3 },
      ],
    },
    'b-e344d2e6df5ab2ed694f21b17a4c8df4d653d9b2',
  ],
  [
    'non-ASCII text, control characters, a rank without a score',
    { v: JOB_CONTRACT_VERSION, runId: 'r1', queryId: 'q:é', query: 'naïve café — 東京', docs: [{ id: 'doc 1', text: 'line one\nline two\t"quoted" \\ back', rank: 10 }] },
    'b-51e1c06cafd85fee2b7b6f06029dca0c41669736',
  ],
  [
    'an unscored batch (empty texts)',
    {
      v: JOB_CONTRACT_VERSION,
      runId: 'r1',
      queryId: 'q2',
      query: '',
      docs: [
        { id: 'e1', text: '' },
        { id: 'e2', text: 'not empty' },
      ],
      unscored: true,
    },
    'b-ecde4075ef7c7c8ffdb1647f5711dd4054412e1d',
  ],
  [
    'the same batch with unscored false (hashed like unscored absent)',
    {
      v: JOB_CONTRACT_VERSION,
      runId: 'r1',
      queryId: 'q2',
      query: '',
      docs: [
        { id: 'e1', text: '' },
        { id: 'e2', text: 'not empty' },
      ],
      unscored: false,
    },
    'b-e924a64b17a38d1f5cf772532dcb28d4d0728322',
  ],
];

describe('rerankJobId stability', () => {
  it.each(PINNED)('keeps the id of a fixed batch: %s', (_name, payload, id) => {
    expect(rerankJobId(payload)).toBe(id);
  });

  it('is the documented scheme: sha256 of the length-prefixed fields, 40 hex digits after "b-"', () => {
    // Written out by hand for the first pinned batch, so the literals above are not only self-consistent.
    const key = ['r1', '007', 'q', '', 'a', 'alpha', '1.5', '1', 'b', 'beta', '', ''].map((v) => `${v.length}:${v}`).join('');
    expect(`b-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`).toBe(PINNED[0]?.[2]);
  });

  it('does not depend on the order of the payload\'s keys', () => {
    const [, payload, id] = PINNED[0] as (typeof PINNED)[number];
    const reordered: RerankJobPayload = { docs: payload.docs.map((d) => ({ rank: d.rank, score: d.score, text: d.text, id: d.id })), query: payload.query, queryId: payload.queryId, runId: payload.runId, v: payload.v };
    expect(rerankJobId(reordered)).toBe(id);
  });
});
