import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Whether `error` is what a lost Redis connection does to a command in flight: ioredis resends single
 * commands after it reconnects, but a pipeline or MULTI cut by the close fails with an AbortError, and a
 * Redis that is restarting answers LOADING for a while. Such an operation can be tried again once the
 * connection is back (ioredis and BullMQ reconnect by themselves).
 */
export function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'AbortError' && /connection close/i.test(error.message)) return true;
  return /Connection is closed|ECONNRESET|ECONNREFUSED|EPIPE|^LOADING|^TRYAGAIN|^CLUSTERDOWN/.test(error.message);
}

/**
 * Run `operation` until it succeeds or fails for another reason than a lost connection, waiting 100 ms,
 * doubling to 2 s, between tries: a Redis restart is a pause, as it is for BullMQ's own connections.
 * Only for operations that are safe to repeat. `onRetry` is told of each retry (for a log line).
 */
export async function untilConnected<T>(operation: () => Promise<T>, onRetry: (error: Error, attempt: number) => void, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isConnectionLoss(error) || signal?.aborted === true) throw error;
      onRetry(error as Error, attempt);
      await sleep(Math.min(100 * 2 ** (attempt - 1), 2_000));
    }
  }
}
