/**
 * The no-queue baseline of the overhead benchmark: the same reader (openPairs), the same batches
 * (BatchPlanner with the run's defaults), the same client (RerankClient) at the same concurrency, and the
 * same ranked.trec (queries by compareQueryIds, candidates by compareTrecOrder, scores by formatScore),
 * with no Redis, no BullMQ, no spool. What the pipeline costs on top of this is its overhead.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { BatchPlanner, type PlannedBatch } from '../src/plan/batch-planner.js';
import { resolveOptions } from '../src/options/resolve-options.js';
import { plannerOptionsOf, requestShapeOf } from '../src/options/request-shape.js';
import { openPairs } from '../src/read/index.js';
import { RerankClient } from '../src/rerank/rerank-client.js';
import { compareQueryIds, compareTrecOrder, formatScore } from '../src/write/ranking.js';

export interface DirectOptions {
  input: string;
  /** Where ranked.trec goes (a file path). */
  trecFile: string;
  apiUrl: string;
  concurrency: number;
  runTag?: string;
}

export interface DirectReport {
  wallMs: number;
  pairs: number;
  batches: number;
  requests: number;
}

export async function runDirect(options: DirectOptions): Promise<DirectReport> {
  const started = performance.now();
  const client = new RerankClient({ apiUrl: options.apiUrl });
  const { options: defaults } = resolveOptions('submit', { api: { input: options.input }, env: {} });
  const planner = new BatchPlanner(plannerOptionsOf(requestShapeOf(defaults)), options.input);
  const results = new Map<string, { docId: string; score: number }[]>();
  const inFlight = new Set<Promise<void>>();
  let requests = 0;
  let failure: unknown;

  const score = (batch: PlannedBatch): Promise<void> => {
    // Identical documents of a batch are sent once, as the worker sends them.
    const sent = batch.docs.filter((doc) => doc.copyOf === undefined);
    const task: Promise<void> = client.rerank(batch.query, sent.map((doc) => doc.text)).then(
      (outcome) => {
        const byDoc: number[] = [];
        let next = 0;
        for (const doc of batch.docs) byDoc.push(doc.copyOf === undefined ? (outcome.scores[next++] ?? Number.NaN) : (byDoc[doc.copyOf] ?? Number.NaN));
        requests += outcome.attempts;
        let list = results.get(batch.queryId);
        if (list === undefined) {
          list = [];
          results.set(batch.queryId, list);
        }
        batch.docs.forEach((doc, i) => list.push({ docId: doc.id, score: byDoc[i] ?? Number.NaN }));
      },
      (err: unknown) => {
        failure ??= err;
      },
    );
    const tracked = task.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    return tracked;
  };
  const submit = async (batches: PlannedBatch[]): Promise<void> => {
    for (const batch of batches) {
      while (inFlight.size >= options.concurrency) await Promise.race(inFlight);
      if (failure !== undefined) throw failure;
      void score(batch);
    }
  };

  for await (const pair of openPairs(options.input)) await submit(planner.add(pair));
  await submit(planner.flush());
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;

  const runTag = options.runTag ?? 'rerank-batch';
  const out = createWriteStream(options.trecFile, { highWaterMark: 1 << 20 });
  for (const queryId of [...results.keys()].sort(compareQueryIds)) {
    const list = (results.get(queryId) ?? []).sort(compareTrecOrder);
    let lines = '';
    for (const [i, item] of list.entries()) lines += `${queryId} Q0 ${item.docId} ${i + 1} ${formatScore(item.score)} ${runTag}\n`;
    if (!out.write(lines)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'close');
  const totals = planner.totals;
  return { wallMs: performance.now() - started, pairs: totals.pairs, batches: totals.batches, requests };
}

/** `node dist/bench/direct-baseline.js INPUT TREC_FILE API_URL [CONCURRENCY]` (used by profile-overhead). */
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const [input, trecFile, apiUrl, concurrency] = process.argv.slice(2);
  if (input === undefined || trecFile === undefined || apiUrl === undefined) {
    process.stderr.write('usage: direct-baseline INPUT TREC_FILE API_URL [CONCURRENCY]\n');
    process.exitCode = 2;
  } else {
    const report = await runDirect({ input, trecFile, apiUrl, concurrency: Number(concurrency ?? 8) });
    process.stdout.write(`${JSON.stringify(report)}\n`);
  }
}
