import { setTimeout as sleep } from 'node:timers/promises';
import { RerankBatchError } from '../errors/rerank-batch-error.js';
import type { RedisConnection } from './connect.js';

/**
 * Whether `error` is what a lost Redis connection does to a command in flight: ioredis resends single
 * commands after it reconnects, but a pipeline or MULTI cut by the close fails with an AbortError, and a
 * Redis that is restarting answers LOADING for a while. Such an operation can be tried again once the
 * connection is back (ioredis and BullMQ reconnect by themselves).
 */
export function isConnectionLoss(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'AbortError' && /connection close/i.test(error.message)) return true;
  return /Connection is closed|ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|^LOADING|^TRYAGAIN|^CLUSTERDOWN/.test(error.message);
}

/** Thrown by {@link OutageGuard.run} when the caller's signal stopped the wait (a shutdown). */
export class OutageWaitStopped extends Error {
  constructor() {
    super('stopped while waiting for Redis');
    this.name = 'OutageWaitStopped';
  }
}

/** What an outage looks like to whoever logs it. */
export type OutageReport =
  | { phase: 'started'; error: string }
  | { phase: 'ongoing'; downMs: number }
  | { phase: 'ended'; downMs: number };

export interface OutagePolicy {
  /** Longest outage to wait through, ms; past it, ERR_REDIS_UNAVAILABLE. Undefined: wait forever. */
  timeoutMs: number | undefined;
  /** Told once when an outage starts, every `progressMs` while it lasts, once when it ends. */
  onOutage?: (report: OutageReport) => void;
  /** Interval of 'ongoing' reports, ms. Default 30000. */
  progressMs?: number;
}

/**
 * Watches one connection and runs Redis operations through outages: a Redis restart is a pause, but
 * not forever, and never deaf to a shutdown. While the connection is down, ioredis queues commands
 * instead of failing them, so an operation would simply hang; `run` races it against the caller's
 * signal and the outage budget, and tries again what a lost connection cut.
 */
export class OutageGuard {
  private downSince: number | undefined;
  private lastError = '';
  private progressTimer: NodeJS.Timeout | undefined;
  /**
   * The operations waiting in `run`, each checking its stop signal and the budget. One timer checks them
   * all, and only while Redis is down: a timer per call would cost every Redis call of a healthy run.
   */
  private readonly waiters = new Set<() => void>();
  private checkTimer: NodeJS.Timeout | undefined;
  private readonly detach: () => void;

  constructor(
    connection: RedisConnection,
    private readonly policy: OutagePolicy,
  ) {
    const down = (error?: Error): void => {
      if (error !== undefined) this.lastError = error.message;
      if (this.downSince !== undefined) return;
      this.downSince = Date.now();
      this.policy.onOutage?.({ phase: 'started', error: this.lastError === '' ? 'connection closed' : this.lastError });
      this.progressTimer = setInterval(() => {
        if (this.downSince !== undefined) this.policy.onOutage?.({ phase: 'ongoing', downMs: Date.now() - this.downSince });
      }, this.policy.progressMs ?? 30_000);
      this.progressTimer.unref();
      this.checkTimer = setInterval(() => {
        for (const check of this.waiters) check();
      }, 200);
    };
    const up = (): void => {
      if (this.downSince === undefined) return;
      const downMs = Date.now() - this.downSince;
      this.downSince = undefined;
      clearInterval(this.progressTimer);
      clearInterval(this.checkTimer);
      this.policy.onOutage?.({ phase: 'ended', downMs });
    };
    const onError = (error: Error): void => {
      if (isConnectionLoss(error)) down(error);
      else this.lastError = error.message;
    };
    const onClose = (): void => down();
    connection.on('error', onError);
    connection.on('close', onClose);
    connection.on('ready', up);
    this.detach = () => {
      connection.off('error', onError);
      connection.off('close', onClose);
      connection.off('ready', up);
      clearInterval(this.progressTimer);
      clearInterval(this.checkTimer);
    };
  }

  /** How long the connection has been down, ms (0 when up). */
  get downMs(): number {
    return this.downSince === undefined ? 0 : Date.now() - this.downSince;
  }

  /** The outage budget ran out: ERR_REDIS_UNAVAILABLE saying how long it waited and that the command resumes. */
  private budgetError(): RerankBatchError {
    const waited = Math.round(this.downMs / 1000);
    return new RerankBatchError(
      'ERR_REDIS_UNAVAILABLE',
      `Redis has been unreachable for ${waited} s (--redis-outage-timeout ${Math.round((this.policy.timeoutMs ?? 0) / 1000)} s; last error: ${this.lastError || 'connection closed'}); ` +
        'what was collected is on disk: run the same command again once Redis is back to resume',
    );
  }

  /**
   * Run `operation` (safe to repeat) until it succeeds or fails for another reason than a lost
   * connection. Rejects with OutageWaitStopped when `signal` aborts while it waits, and with
   * ERR_REDIS_UNAVAILABLE when Redis stays down longer than the budget.
   */
  async run<T>(operation: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.race(operation(), signal);
      if (outcome.ok) return outcome.value;
      if (!isConnectionLoss(outcome.error)) throw outcome.error;
      if (this.downSince === undefined) {
        this.lastError = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      }
      await this.race(sleep(Math.min(100 * 2 ** (attempt - 1), 2_000)), signal).then((o) => {
        if (!o.ok) throw o.error;
      });
    }
  }

  /** `pending`, unless the signal aborts or the outage outlasts the budget first. */
  private race<T>(pending: Promise<T>, signal: AbortSignal | undefined): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    return new Promise((resolve) => {
      let settled = false;
      const finish = (result: { ok: true; value: T } | { ok: false; error: unknown }): void => {
        if (settled) return;
        settled = true;
        this.waiters.delete(check);
        signal?.removeEventListener('abort', onSignal);
        resolve(result);
      };
      // A stop or an exhausted budget only cuts a wait on a Redis that is down: an operation on a live
      // connection is let finish, so a shutdown never abandons a write that was about to land.
      const onSignal = (): void => {
        if (this.downSince !== undefined) finish({ ok: false, error: new OutageWaitStopped() });
      };
      const check = (): void => {
        if (this.downSince === undefined) return;
        if (signal?.aborted === true) onSignal();
        else if (this.policy.timeoutMs !== undefined && this.downMs > this.policy.timeoutMs) finish({ ok: false, error: this.budgetError() });
      };
      this.waiters.add(check);
      if (signal?.aborted === true) onSignal();
      signal?.addEventListener('abort', onSignal);
      pending.then(
        (value) => finish({ ok: true, value }),
        (error: unknown) => finish({ ok: false, error }),
      );
    });
  }

  /** Stop watching the connection. */
  close(): void {
    this.detach();
  }
}

/**
 * Whether `promise` settles within `ms` (a rejection counts as settled). For closing through a Redis that
 * may be down, where waiting would never end.
 */
export function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, ms));
  });
  const settled = promise.then(
    () => true as const,
    () => true as const,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}

/**
 * Close a BullMQ queue or worker once it has finished starting (waiting at most `ms`). Closed while it
 * still starts on a shared connection, BullMQ drops its error listeners but leaves its start-up commands
 * pending; when the connection is then quit, their failure is emitted with no listener, an uncaught error
 * that ends the process.
 */
export async function closeWhenStarted(owner: { waitUntilReady(): Promise<unknown>; close(force?: boolean): Promise<void> }, force = false, ms = 1_000): Promise<void> {
  await settlesWithin(owner.waitUntilReady(), ms);
  await owner.close(force);
}

/** QUIT, or when Redis does not answer within `ms` (an outage), drop the connection. */
export async function quitOrDrop(connection: RedisConnection, ms = 1_000): Promise<void> {
  if (!(await settlesWithin(connection.quit(), ms))) connection.disconnect();
}
