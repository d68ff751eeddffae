import { resolveOptions, type Resolved } from '../options/resolve-options.js';
import { checkSubmitSettings, type SubmitSettings } from '../options/run-options.js';
import type { GivenOptions } from '../options/resolve-options.js';
import { openSubmittedRun } from './open-run.js';
import { watchOutages } from './outage-watch.js';
import { contextOf, type RunContext } from './run-pipeline.js';
import { submitInput, type SubmitReport } from './submit-input.js';
import { openRunCache, type RunCache } from './run-cache.js';

export interface SubmitResult extends SubmitReport {
  runId: string;
}

/**
 * Read the input and queue the run on Redis, then return: `worker` processes score it, `collect` writes
 * it. Needs an API URL the workers can reach (no built-in server).
 */
export async function submit(options: GivenOptions<'submit'>, context: RunContext = {}): Promise<SubmitResult> {
  return submitResolved(resolveOptions('submit', { api: options, env: context.env ?? process.env }), context);
}

export async function submitResolved(resolved: Resolved<'submit'>, context: RunContext = {}): Promise<SubmitResult> {
  const { options, sources } = resolved;
  const { logger, env, events, signal } = contextOf(context);
  const { rejects, logLevel: _logLevel, ...settings } = options;
  const submitSettings: SubmitSettings = settings;
  checkSubmitSettings(submitSettings);
  const handle = await openSubmittedRun(submitSettings, logger, env, { allowBuiltinServer: false });
  const guard = watchOutages(handle.connection, options.redisOutageTimeout, events);
  let cache: RunCache | undefined;
  try {
    cache = openRunCache(handle.cacheDir, handle.config);
    const report = await submitInput(handle, submitSettings, sources, rejects, { logger, events, guard, signal, cache: cache?.store });
    return { runId: handle.runId, ...report };
  } finally {
    guard.close();
    await handle.close();
    await cache?.store.close();
  }
}
