import { trace } from '@opentelemetry/api';
import type { Telemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';

/**
 * BullMQ's OpenTelemetry integration for `--tracing`: given as the `telemetry` option of the command's
 * Queues and Workers, it makes spans of adding, processing and finishing jobs, with the trace context
 * carried inside each job. It uses the global OpenTelemetry API, a no-op until the process registers
 * an SDK (e.g. `node --import ./otel-setup.mjs`).
 */
export function bullmqTelemetry(tracing: boolean): Telemetry | undefined {
  return tracing ? new BullMQOtel('rerank-batch') : undefined;
}

/** The API's global provider is a proxy; the SDK's provider is its delegate. */
function isProxy(value: object): value is { getDelegate(): unknown } {
  return 'getDelegate' in value && typeof value.getDelegate === 'function';
}

function isFlushable(value: unknown): value is { forceFlush(): Promise<unknown> } {
  return typeof value === 'object' && value !== null && 'forceFlush' in value && typeof value.forceFlush === 'function';
}

/**
 * Export the spans the registered SDK still buffers: the CLI ends with process.exit, which would drop
 * them (a batch span processor exports every few seconds, so a short command's spans would all be lost).
 * Without an SDK there is nothing to flush.
 */
export async function flushTraces(): Promise<void> {
  const global = trace.getTracerProvider();
  const provider = isProxy(global) ? global.getDelegate() : global;
  if (isFlushable(provider)) await provider.forceFlush();
}
