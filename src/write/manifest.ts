import { join } from 'node:path';
import type { OutputSettings } from './output-settings.js';
import { writeFileAtomic } from './line-writer.js';
import type { OutputSummary } from './write-outputs.js';
import { OUTPUT_FILES } from './write-outputs.js';
import type { Outcome } from '../lifecycle-events.js';
import type { RunState } from '../state/run-store.js';
import { promptFormatOf } from '../state/run-config.js';
import { PROVIDERS } from '../rerank/providers/index.js';

export interface ManifestInput {
  runId: string;
  startedAt: Date;
  finishedAt: Date;
  /** False when the outputs are partial (interrupted). */
  complete: boolean;
  state: RunState;
  /** This collect's output settings, and where each came from (cli, env, file, submission, default). */
  settings: OutputSettings & { sources?: Partial<Record<keyof OutputSettings, string>> };
  redis: { url: string; source: string };
  summary: OutputSummary;
  outcome: Outcome;
}

/**
 * manifest.json: what ran, on what, with which options, and what came of it. Holds no secret: the API
 * key is never part of the options, and the Redis URL has its password removed.
 */
export async function writeManifest(outDir: string, m: ManifestInput): Promise<Manifest> {
  const manifest = manifestOf(m);
  await writeFileAtomic(join(outDir, OUTPUT_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The files of OUTPUT_FILES a run writes: the metrics and the report only with qrels, the per-query file only with a baseline. */
function writtenFiles(summary: OutputSummary): string[] {
  const metrics = summary.metrics;
  const skipped = new Set<string>();
  if (metrics === undefined) skipped.add(OUTPUT_FILES.metrics).add(OUTPUT_FILES.report);
  if (metrics === undefined || metrics.baseline === undefined) skipped.add(OUTPUT_FILES.metricsPerQuery);
  if (summary.labelling !== undefined && (summary.labelling.rule !== undefined || summary.labelling.agreement !== undefined)) skipped.delete(OUTPUT_FILES.metrics);
  return [...Object.values(OUTPUT_FILES).filter((file) => !skipped.has(file)), ...(summary.labelling?.files ?? [])];
}

/** What manifest.json holds. */
export type Manifest = ReturnType<typeof manifestOf>;

function manifestOf(m: ManifestInput) {
  const { config, submission, totals } = m.state;
  const producer = submission?.producer ?? {};
  const { sources, ...outputs } = m.settings;
  return {
    run_id: m.runId,
    tool: 'rerank-batch',
    complete: m.complete,
    started_at: m.startedAt.toISOString(),
    finished_at: m.finishedAt.toISOString(),
    duration_seconds: (m.finishedAt.getTime() - m.startedAt.getTime()) / 1000,
    outcome: m.outcome,
    counts: {
      queries: totals?.queries ?? null,
      pairs: totals?.pairs ?? null,
      batches: totals?.batches ?? null,
      scored_pairs: m.summary.scoredPairs,
      failed_pairs: m.summary.failedPairs,
      failed_batches: m.summary.failedBatches,
      unscored_pairs: m.summary.unscoredPairs,
      rejected_rows: producer.rejected ?? 0,
      truncated_documents: producer.truncated ?? 0,
      duplicate_pairs_dropped: producer.duplicates ?? 0,
      empty_text_not_sent: producer.emptyText ?? 0,
      identical_documents_sent_once: producer.deduplicated ?? 0,
      documents_split: producer.split ?? 0,
      passages: producer.passages ?? 0,
      documents_passages_cut: producer.passagesCut ?? 0,
      passages_cut_to_token_cap: producer.textsCut ?? 0,
      api_requests: m.summary.apiRequests,
      cache_hits: m.summary.cachedPairs,
      retries: m.summary.apiRequests - m.summary.sentBatches + m.summary.jobRetries,
      rate_limited: m.summary.rateLimited,
    },
    // What the planned requests send and cost (the figures `estimate` prints), before retries and 413 splits.
    planned: {
      requests: producer.requests ?? null,
      texts: producer.texts ?? null,
      billing_unit: PROVIDERS[config.provider].billing.unit,
      billing_units: producer.units ?? null,
      approx_tokens: producer.tokens ?? null,
      characters: producer.characters ?? null,
    },
    // The score cache: which cached scores the run could use, what it found, and what that saved.
    cache:
      config.cache === undefined
        ? null
        : {
            as_of: new Date(config.cache.asOf).toISOString(),
            max_age_ms: config.cache.maxAgeMs ?? null,
            refresh: config.cache.refresh,
            hits: m.summary.cachedPairs,
            misses: producer.cacheMisses ?? null,
            requests_saved: producer.requestsSaved ?? null,
          },
    provider: config.provider,
    model: config.model ?? null,
    api_url: config.apiUrl,
    builtin_server: config.builtinServer,
    template: (({ name, query, document }) => ({ name, query, document }))(promptFormatOf(config)),
    instruction: config.instruction,
    redis: m.redis,
    // The effective options (the run's as submitted, this collect's outputs), and where each came from.
    options: { ...(submission?.options ?? {}), ...outputs },
    option_sources: { ...(submission?.sources ?? {}), ...(sources ?? {}) },
    outputs: { ...outputs, files: writtenFiles(m.summary) },
    inputs: submission?.inputs ?? null,
    // The labelling outputs: what became of every input row, the label rule, training and review files.
    labelling:
      m.summary.labelling === undefined
        ? null
        : {
            rows: m.summary.labelling.rows,
            files: m.summary.labelling.files,
            rows_by_status: m.summary.labelling.byStatus,
            rule: m.summary.labelling.rule ?? null,
            calibration: m.summary.labelling.calibration ?? null,
            labelled_pairs: m.summary.labelling.labelled ?? 0,
            // The headline figures (metrics.json has them all, per label too).
            agreement: (({ agreement }) =>
              agreement === undefined
                ? null
                : { pairs: agreement.pairs, spearman: agreement.spearman, kendall_tau_b: agreement.kendallTauB, auc: agreement.auc, cohen_kappa: agreement.kappa, weighted_kappa: agreement.weightedKappa })(m.summary.labelling),
            training: m.summary.labelling.training ?? null,
            review_rows: m.summary.labelling.reviewRows ?? 0,
            keys_left_out: m.summary.labelling.keysLeftOut ?? [],
          },
  };
}
