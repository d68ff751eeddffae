import type { RunProgress } from '../lifecycle-events.js';
import { settlesWithin } from '../redis/connection-loss.js';
import { progressOf, runStatus, type RunStatusSource } from './run-status.js';

/** How often a run's progress is read while someone listens. */
export const PROGRESS_TICK_MS = 1_000;

/** Longest wait for the last read: during a Redis outage it would never answer. */
const LAST_READ_MS = 2_000;

/**
 * Reads a run's progress from Redis every `intervalMs` and hands it to `emit`, until `stop()`. A read that
 * fails (Redis down, the run gone) is skipped: progress is for people, the collector reports real faults.
 * Reads never overlap: the next is timed from the end of the last. Nothing ever waits on a read that
 * Redis does not answer (an outage): `stop()` abandons it, and its answer is dropped.
 */
export function startProgressTicker(source: Omit<RunStatusSource, 'state'>, emit: (progress: RunProgress) => void, intervalMs = PROGRESS_TICK_MS): { tick(): Promise<void>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const tick = async (): Promise<void> => {
    const state = await source.store.get(source.runId).catch(() => undefined);
    if (state === undefined || stopped) return;
    const report = await runStatus({ ...source, state }).catch(() => undefined);
    if (report !== undefined && !stopped) emit(progressOf(report));
  };
  const schedule = (): void => {
    timer = setTimeout(() => {
      void tick().finally(() => {
        if (!stopped) schedule();
      });
    }, intervalMs);
    timer.unref();
  };
  schedule();
  return {
    /** One read now (the last of a run, so a bar ends at its real figures), given up after LAST_READ_MS. */
    tick: async () => {
      await settlesWithin(tick(), LAST_READ_MS);
    },
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
