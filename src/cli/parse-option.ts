import { InvalidArgumentError } from 'commander';
import type { PairRole } from '../read/column-map.js';

/** commander argument parsers that reject bad values with a message naming the option's rule. */
export function intArg(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('expected an integer');
  return Number(value);
}

export function numberArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
}

/** `query_id=qid,document=text` -> { queryId: 'qid', document: 'text' } (roles as in the README). */
export function columnsArg(value: string, previous: Partial<Record<PairRole, string>> = {}): Partial<Record<PairRole, string>> {
  const roles: Record<string, PairRole> = {
    query_id: 'queryId', query: 'query', doc_id: 'docId', document: 'document', score: 'score', rank: 'rank', label: 'label',
  };
  const out = { ...previous };
  for (const part of value.split(',')) {
    const [role, column] = part.split('=').map((s) => s.trim());
    const key = role === undefined ? undefined : roles[role];
    if (key === undefined || column === undefined || column === '') {
      throw new InvalidArgumentError(`expected ROLE=COLUMN pairs with ROLE one of ${Object.keys(roles).join(', ')}`);
    }
    out[key] = column;
  }
  return out;
}
