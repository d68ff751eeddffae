import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SpoolIndex, type RecordRef } from '../../src/collect/spool-index.js';

const jobId = (i: number): string => `b-${createHash('sha256').update(String(i)).digest('hex').slice(0, 40)}`;
const ref = (i: number, type: RecordRef['type'] = 'ok'): RecordRef => ({ offset: i * 1000, length: 100 + (i % 7), type, queryId: `q${i % 13}` });

describe('SpoolIndex', () => {
  it('finds every batch again across table growth, and iterates the same ids', () => {
    const index = new SpoolIndex();
    const n = 20_000;
    for (let i = 0; i < n; i++) index.set(jobId(i), ref(i));
    for (let i = 0; i < n; i++) expect(index.get(jobId(i))).toEqual(ref(i));
    expect(index.get(jobId(n))).toBeUndefined();
    const seen = new Map(index.entries());
    expect(seen.size).toBe(n);
    expect(seen.get(jobId(123))).toEqual(ref(123));
    expect([...index.refs()]).toEqual([...seen.values()]);
    expect(index.totals).toEqual({ ok: n, fail: 0 });
  });

  it('replaces a record, keeping the counts by type right', () => {
    const index = new SpoolIndex();
    index.set(jobId(1), ref(1, 'fail'));
    index.set(jobId(2), ref(2, 'fail'));
    expect(index.totals).toEqual({ ok: 0, fail: 2 });
    index.set(jobId(1), ref(9, 'ok'));
    expect(index.get(jobId(1))).toEqual(ref(9, 'ok'));
    expect(index.totals).toEqual({ ok: 1, fail: 1 });
  });

  it('keeps ids of another shape too', () => {
    const index = new SpoolIndex();
    index.set('b-1', ref(1));
    index.set(jobId(1), ref(2));
    expect(index.get('b-1')).toEqual(ref(1));
    expect(index.get(jobId(1))).toEqual(ref(2));
    expect([...index.entries()].map(([id]) => id).sort()).toEqual([jobId(1), 'b-1'].sort());
  });

  it('keeps a cached batch (c-) apart from a job (b-) with the same bits', () => {
    const index = new SpoolIndex();
    const bits = createHash('sha256').update('same').digest('hex').slice(0, 40);
    index.set(`b-${bits}`, ref(1));
    index.set(`c-${bits}`, ref(2, 'ok'));
    expect(index.get(`b-${bits}`)).toEqual(ref(1));
    expect(index.get(`c-${bits}`)).toEqual(ref(2));
    expect(new Map(index.entries())).toEqual(new Map([[`b-${bits}`, ref(1)], [`c-${bits}`, ref(2)]]));
    expect(index.totals).toEqual({ ok: 2, fail: 0 });
  });
});
