import { ScoreCache } from '../cache/score-cache.js';
import { ScoreKeys } from '../cache/score-key.js';
import type { RunConfig } from '../state/run-config.js';

/** A run's score cache, open, with the run's keys. */
export interface RunCache {
  store: ScoreCache;
  scoreKeys: ScoreKeys;
}

/** Open the score cache in `dir` for a run that uses one (its config names the identity); undefined otherwise. */
export function openRunCache(dir: string | undefined, config: RunConfig): RunCache | undefined {
  if (dir === undefined || config.cache === undefined) return undefined;
  return { store: ScoreCache.open(dir), scoreKeys: new ScoreKeys(config.cache.identity) };
}
