import { join } from 'node:path';
import type { OutputSummary } from '../write/write-outputs.js';
import { OUTPUT_FILES } from '../write/write-outputs.js';
import { writeFileAtomic } from '../write/line-writer.js';
import type { RunConfig } from './run-config.js';
import type { NormalizedRunOptions } from './run-options.js';

export interface ManifestInput {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  config: RunConfig;
  options: NormalizedRunOptions;
  redis: { url: string; source: string };
  inputs: Record<string, { path: string; sha256: string; bytes: number }>;
  producer: { queries: number; pairs: number; batches: number; enqueued: number; alreadyCollected: number; rejected: number };
  summary: OutputSummary;
  exitCode: number;
}

/**
 * manifest.json: what ran, on what, with which options, and what came of it. Holds no secret: the API
 * key is never part of the options, and the Redis URL has its password removed.
 */
export async function writeManifest(outDir: string, m: ManifestInput): Promise<void> {
  const { options } = m;
  const manifest = {
    run_id: m.runId,
    tool: 'rerank-batch',
    started_at: m.startedAt.toISOString(),
    finished_at: m.finishedAt.toISOString(),
    duration_seconds: (m.finishedAt.getTime() - m.startedAt.getTime()) / 1000,
    exit_code: m.exitCode,
    counts: {
      queries: m.producer.queries,
      pairs: m.producer.pairs,
      scored_pairs: m.summary.scoredPairs,
      failed_pairs: m.summary.failedPairs,
      rejected_rows: m.producer.rejected,
      batches: m.producer.batches,
      failed_batches: m.summary.failedBatches,
      api_requests: m.summary.apiRequests,
      retries: m.summary.apiRequests - m.summary.scoredBatches + m.summary.jobRetries,
      rate_limited: m.summary.rateLimited,
      enqueued_this_time: m.producer.enqueued,
      already_collected: m.producer.alreadyCollected,
    },
    model: m.config.model,
    api_url: m.config.apiUrl,
    builtin_server: m.config.builtinServer,
    template: m.config.template,
    instruction: m.config.instruction,
    redis: m.redis,
    options: {
      format: options.format ?? null,
      columns: options.columns,
      on_bad_row: options.onBadRow,
      max_docs_per_request: options.maxDocsPerRequest,
      max_request_bytes: options.maxRequestBytes,
      max_pending: options.maxPending,
      top_n: options.topN ?? null,
      concurrency: options.concurrency,
      timeout_ms: options.timeoutMs,
      retries: options.retries,
      attempts: options.attempts,
      run_tag: options.runTag,
      rel_level: options.relLevel,
      prefix: options.prefix,
    },
    inputs: m.inputs,
    outputs: Object.values(OUTPUT_FILES),
  };
  await writeFileAtomic(join(outDir, OUTPUT_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
}
