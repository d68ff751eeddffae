import { InputError } from '../../src/errors/input-error.js';
import { openRunPairs, type RunPairsOptions } from '../../src/read/run-pairs.js';
import type { ReadPair } from '../../src/read/reader-options.js';

/** Every pair a reader yields. */
export async function collect(pairs: AsyncIterable<ReadPair>): Promise<ReadPair[]> {
  const out: ReadPair[] = [];
  for await (const pair of pairs) out.push(pair);
  return out;
}

/** The InputError reading a run with its documents and queries throws; fails the test when none is thrown. */
export async function failure(options: RunPairsOptions): Promise<InputError> {
  try {
    await collect(openRunPairs(options));
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error('no error');
}
