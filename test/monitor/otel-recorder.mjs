// An OpenTelemetry set-up for `node --import` (the way the README tells users to register an SDK), standing in
// for an SDK with an in-memory exporter (@opentelemetry/sdk-trace-base is not installed): a tracer provider that
// records the name and kind of every span started, and each forceFlush (an SDK provider has one), written as JSON
// to $OTEL_RECORD_FILE when the process exits.
import { writeFileSync } from 'node:fs';
import { ProxyTracerProvider, trace } from '@opentelemetry/api';

const file = process.env.OTEL_RECORD_FILE;
if (file === undefined) throw new Error('otel-recorder: set OTEL_RECORD_FILE');
const spans = [];
let flushes = 0;
// A tracer with no delegate is the API's no-op tracer: its spans carry no data, which is all BullMQ needs.
const noop = new ProxyTracerProvider().getTracer('noop');
const tracer = {
  startSpan(name, options, context) {
    spans.push({ name, kind: options?.kind });
    return noop.startSpan(name, options, context);
  },
  startActiveSpan: noop.startActiveSpan.bind(noop),
};
trace.setGlobalTracerProvider({
  getTracer: () => tracer,
  forceFlush: async () => {
    flushes += 1;
  },
});
process.on('exit', () => writeFileSync(file, JSON.stringify({ spans, flushes })));
