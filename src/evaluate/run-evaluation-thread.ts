/**
 * A worker thread of `evaluateRuns`: reads the qrels given as workerData once, then evaluates each run
 * file it is sent and posts back its scores (typed arrays, transferred, not copied) or the error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../errors/serialized-error.js';
import { readQrels } from '../read/qrels-file.js';
import { evaluateRunFile } from './evaluate-file.js';
import { runEvaluationRequestSchema, runEvaluationWorkSchema, type RunEvaluationReply } from './run-evaluation-messages.js';
import { runScores } from './run-scores.js';

const port = parentPort;
if (port === null) throw new Error('run-evaluation-thread runs as a worker thread only');
const work = runEvaluationWorkSchema.parse(workerData);
const qrels = readQrels(work.qrels);
// An unreadable qrels file is reported with the first run asked for.
qrels.catch(() => undefined);

port.on('message', (message: unknown) => {
  void (async () => {
    let reply: RunEvaluationReply;
    // A request that does not parse throws here: the thread dies, and evaluateRuns reports ERR_READ_THREAD.
    const request = runEvaluationRequestSchema.parse(message);
    try {
      const result = await evaluateRunFile(await qrels, request.file, work.options);
      const scores = runScores(request.name, result);
      reply = { type: 'scores', index: request.index, scores, ignoredRunQueries: result.ignoredRunQueries };
      port.postMessage(reply, scores.values.map((values) => values.buffer as ArrayBuffer));
    } catch (error) {
      reply = { type: 'error', index: request.index, error: serializeError(error) };
      port.postMessage(reply);
    }
  })();
});
