/**
 * The chaos soak's schedule, drawn up front from its seed (mulberry32): what happens when, to whom, for how
 * long. Same seed, same schedule; what each event meets (which batches are in flight, which phase a run is
 * in) depends on timing and is not repeatable, which is why the soak logs every event with its effect.
 */
import { mulberry32 } from '../src/mulberry32.js';
import type { RerankServerFaults } from '../src/serve/rerank-server.js';

export type FaultRates = Pick<RerankServerFaults, 'rate5xx' | 'rate429' | 'rateReset' | 'rateMalformed' | 'rateMissingResult' | 'rateHang'>;

export const NO_FAULTS: FaultRates = { rate5xx: 0, rate429: 0, rateReset: 0, rateMalformed: 0, rateMissingResult: 0, rateHang: 0 };

/**
 * API fault mixes the scheduler turns on for a while. Rates are per request; a hung request holds its
 * worker slot until the client's timeout (the soak's runs use --timeout-ms 5000).
 */
export const FAULT_PRESETS = {
  '5xx': { ...NO_FAULTS, rate5xx: 0.25 },
  '429': { ...NO_FAULTS, rate429: 0.1 },
  reset: { ...NO_FAULTS, rateReset: 0.15 },
  malformed: { ...NO_FAULTS, rateMalformed: 0.1, rateMissingResult: 0.1 },
  hang: { ...NO_FAULTS, rateHang: 0.03 },
  mixed: { rate5xx: 0.08, rate429: 0.04, rateReset: 0.04, rateMalformed: 0.03, rateMissingResult: 0.03, rateHang: 0.02 },
} as const satisfies Record<string, FaultRates>;

export type FaultPreset = keyof typeof FAULT_PRESETS;

export type ChaosAction =
  /** SIGKILL the worker process of `slot` (never slot 0, the long-lived sentinel), start a replacement after `restartAfterMs`. */
  | { kind: 'kill-worker'; slot: number; restartAfterMs: number }
  /** Stop Redis (SIGTERM, AOF flushed) and start it again on the same port and AOF directory. */
  | { kind: 'restart-redis' }
  /** SIGSTOP Redis, SIGCONT after `pauseMs`. */
  | { kind: 'pause-redis'; pauseMs: number }
  /** Turn an API fault mix on for `forMs` (a later api-faults event replaces it). */
  | { kind: 'api-faults'; preset: FaultPreset; forMs: number }
  /** SIGKILL the current run's `collect` process, start it again after `restartAfterMs`. */
  | { kind: 'kill-collect'; restartAfterMs: number };

export type ChaosKind = ChaosAction['kind'];

export const CHAOS_KINDS: readonly ChaosKind[] = ['kill-worker', 'restart-redis', 'pause-redis', 'api-faults', 'kill-collect'];

/** Relative frequency of each kind after the first round (which has each kind once, in a seeded order). */
const WEIGHTS: Record<ChaosKind, number> = { 'kill-worker': 3, 'api-faults': 3, 'pause-redis': 2, 'restart-redis': 2, 'kill-collect': 1.5 };

export interface ChaosEvent {
  /** When, in ms after the chaos window opens. An event starts no earlier than the previous one has finished. */
  atMs: number;
  action: ChaosAction;
}

export interface ScheduleOptions {
  seed: number;
  windowMs: number;
  /** Worker slots; slot 0 is never killed. */
  workers: number;
  /** Gap between event starts, ms (uniform). Default 5,000..12,000. */
  minGapMs?: number;
  maxGapMs?: number;
  /** SIGSTOP length, ms (uniform). Default 1,000..4,000: well under half the lock duration the soak gives workers. */
  minPauseMs?: number;
  maxPauseMs?: number;
}

/** The whole schedule of a window: events until `windowMs`, the first five covering every kind. */
export function chaosSchedule(options: ScheduleOptions): ChaosEvent[] {
  // A seed of its own for the scheduler, apart from the corpora's and the server's.
  const random = mulberry32((options.seed ^ 0x5eed5eed) >>> 0);
  const between = (low: number, high: number): number => Math.round(low + random() * (high - low));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const minGap = options.minGapMs ?? 5_000;
  const maxGap = options.maxGapMs ?? 12_000;
  const minPause = options.minPauseMs ?? 1_000;
  const maxPause = options.maxPauseMs ?? 4_000;
  const killable = Array.from({ length: Math.max(0, options.workers - 1) }, (_, i) => i + 1);

  const firstRound = [...CHAOS_KINDS];
  for (let i = firstRound.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [firstRound[i], firstRound[j]] = [firstRound[j] as ChaosKind, firstRound[i] as ChaosKind];
  }
  const totalWeight = CHAOS_KINDS.reduce((sum, kind) => sum + WEIGHTS[kind], 0);
  const weighted = (): ChaosKind => {
    let u = random() * totalWeight;
    for (const kind of CHAOS_KINDS) if ((u -= WEIGHTS[kind]) < 0) return kind;
    return 'api-faults';
  };

  const events: ChaosEvent[] = [];
  // The first event after the run has had a few seconds to start.
  let at = between(minGap, maxGap);
  while (at < options.windowMs) {
    const kind = firstRound.shift() ?? weighted();
    let action: ChaosAction;
    switch (kind) {
      case 'kill-worker':
        action = killable.length === 0 ? { kind: 'restart-redis' } : { kind, slot: pick(killable), restartAfterMs: between(500, 4_000) };
        break;
      case 'restart-redis':
        action = { kind };
        break;
      case 'pause-redis':
        action = { kind, pauseMs: between(minPause, maxPause) };
        break;
      case 'api-faults':
        action = { kind, preset: pick(Object.keys(FAULT_PRESETS) as FaultPreset[]), forMs: between(5_000, 25_000) };
        break;
      case 'kill-collect':
        action = { kind, restartAfterMs: between(500, 3_000) };
        break;
    }
    events.push({ atMs: at, action });
    at += between(minGap, maxGap);
  }
  return events;
}

/** One line describing an action, for the event log. */
export function describeAction(action: ChaosAction): string {
  switch (action.kind) {
    case 'kill-worker':
      return `SIGKILL worker slot ${action.slot}, replacement after ${(action.restartAfterMs / 1000).toFixed(1)} s`;
    case 'restart-redis':
      return 'restart Redis (SIGTERM, start on the same port and AOF dir)';
    case 'pause-redis':
      return `SIGSTOP Redis for ${(action.pauseMs / 1000).toFixed(1)} s`;
    case 'api-faults':
      return `API faults "${action.preset}" for ${(action.forMs / 1000).toFixed(1)} s`;
    case 'kill-collect':
      return `SIGKILL collect, restart after ${(action.restartAfterMs / 1000).toFixed(1)} s`;
  }
}
