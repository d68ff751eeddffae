import { afterAll } from 'vitest';

/**
 * Cleanup steps for a test file, run after all its tests in reverse order of registration (servers
 * stop before the directories they write to are removed). Every step runs even when one fails; the
 * first failure is rethrown, so a cleanup that breaks is not hidden.
 */
export function cleanupAfterAll(): (() => Promise<unknown>)[] {
  const steps: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    let first: unknown;
    for (const step of steps.reverse()) {
      try {
        await step();
      } catch (err) {
        first ??= err;
      }
    }
    if (first !== undefined) throw first;
  });
  return steps;
}
