/**
 * The worker thread of `readAhead`: opens the source passed as workerData, posts its pairs in chunks (at
 * most READ_AHEAD_CHUNKS not yet taken), its rejects and notices in order between them, then 'done' or
 * 'error'.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ReadPair } from './reader-options.js';
import { openSource, READ_AHEAD_CHUNKS, serializeError, type PairSource, type ReadAheadCredit, type ReadAheadMessage } from './read-ahead.js';

/** A chunk is sent at this many pairs or this many UTF-16 units of text, whichever comes first. */
const CHUNK_PAIRS = 256;
const CHUNK_CHARS = 1 << 18;

const port = parentPort;
if (port === null) throw new Error('read-ahead-thread runs as a worker thread only');
/** Every message but the last costs one credit; the main thread gives one back as it takes each. */
const post = (message: ReadAheadMessage): void => {
  port.postMessage(message);
  credit -= 1;
};

let credit = READ_AHEAD_CHUNKS;
let creditArrived: (() => void) | undefined;
const onCredit = (message: ReadAheadCredit): void => {
  if (message.type !== 'credit') return;
  credit += 1;
  creditArrived?.();
};
port.on('message', onCredit);

let chunk: ReadPair[] = [];
let chunkChars = 0;
/** Sends the pending pairs (if any) before an event, so that the receiver sees everything in reading order. */
const flush = (): void => {
  if (chunk.length === 0) return;
  post({ type: 'pairs', pairs: chunk });
  chunk = [];
  chunkChars = 0;
};

try {
  const source = workerData as PairSource;
  const pairs = openSource(source, {
    onReject: (reject) => {
      flush();
      post({ type: 'reject', reject });
    },
    onNotice: (notice) => {
      flush();
      post({ type: 'notice', notice });
    },
  });
  for await (const pair of pairs) {
    chunk.push(pair);
    chunkChars += pair.document.length + pair.query.length;
    if (chunk.length >= CHUNK_PAIRS || chunkChars >= CHUNK_CHARS) flush();
    // Rejects and notices are posted from inside the reader, where it cannot wait: their credit is
    // made up for here, before the next pair.
    while (credit <= 0) {
      await new Promise<void>((resolve) => (creditArrived = resolve));
      creditArrived = undefined;
    }
  }
  flush();
  post({ type: 'done' });
} catch (error) {
  flush();
  post({ type: 'error', error: serializeError(error) });
}
// The credit listener would keep the thread alive; what was posted is delivered all the same.
port.off('message', onCredit);
