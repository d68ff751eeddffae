import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/** The suite's own cache home (global-setup.ts removes it): no test reads or writes the user's score cache. */
const cacheHome = join(tmpdir(), `rerank-batch-test-cache-${process.pid}`);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Tests start real Redis servers, HTTP servers and worker processes: give them room, and run files
    // in separate forks so one file's servers cannot leak into another's.
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    globalSetup: ['test/helpers/global-setup.ts'],
    // The score cache is off unless a test turns it on (test/cache/): with it on, a test that runs the
    // same input twice against one server would find its scores cached and make no request.
    env: { RERANK_BATCH_CACHE: 'false', XDG_CACHE_HOME: cacheHome },
    provide: { cacheHome },
  },
});
