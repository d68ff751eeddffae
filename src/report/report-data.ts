import { join, resolve } from 'node:path';
import { readQrels, type Qrels } from '../evaluate/index.js';
import { InputError } from '../errors/input-error.js';
import { sha256File } from '../read/file-checksum.js';
import { compareQueryIds } from '../write/ranking.js';
import { OUTPUT_FILES } from '../write/write-outputs.js';
import { listFailures, listRejects, type FailureLine, type ListedLines, type RejectLine } from './listed-lines.js';
import { checkOutDir, readManifest, readMetrics, type Manifest, type MetricsJson } from './out-files.js';
import { readPerQueryDeltas, type QueryDelta } from './per-query-deltas.js';
import { passOverRanking, type QueryDetail, type RankingSummary } from './ranking-pass.js';

/** The measures the page compares up front, in this order, when metrics.json has them. */
export const MAIN_MEASURES = ['ndcg_cut_10', 'map', 'recip_rank', 'P_10', 'recall_100', 'ndcg'] as const;

/** How many most improved and most regressed queries the page details. */
const MOVERS = 5;

/** rejects.jsonl as `run` writes it into --out (`submit --rejects` may have put it elsewhere). */
export const REJECTS_FILE = 'rejects.jsonl';

export interface Mover extends QueryDelta {
  /** Undefined when the query is not in ranked.jsonl. */
  detail: QueryDetail | undefined;
}

/** Everything the page shows, gathered from one --out directory. */
export interface ReportData {
  outDir: string;
  manifest: Manifest;
  metrics: MetricsJson | undefined;
  /** MAIN_MEASURES that metrics.json has. */
  mainMeasures: string[];
  /** The measure of the per-query deltas and of the movers (with a comparison). */
  primary: string | undefined;
  /** Per query, sorted by delta ascending (with a comparison). */
  perQuery: QueryDelta[] | undefined;
  improved: Mover[];
  regressed: Mover[];
  ranking: RankingSummary;
  /** The qrels the run was evaluated with, and why they could not be used again when they could not. */
  qrels: { path: string; unusable: string | undefined } | undefined;
  failures: ListedLines<FailureLine> | undefined;
  rejects: ListedLines<RejectLine> | undefined;
}

/**
 * The qrels of the run (the path its manifest records, from the current directory), or why not: moved,
 * unreadable, or changed since the run (its sha256 differs).
 */
async function rereadQrels(manifest: Manifest): Promise<{ path: string; qrels: Qrels | undefined; unusable: string | undefined } | undefined> {
  const recorded = manifest.inputs?.qrels;
  const optionPath = manifest.options?.['qrels'];
  const path = recorded?.path ?? (typeof optionPath === 'string' ? optionPath : undefined);
  if (path === undefined) return undefined;
  try {
    if (recorded !== undefined && (await sha256File(resolve(path))).sha256 !== recorded.sha256) {
      return { path, qrels: undefined, unusable: 'has changed since the run (its sha256 differs from the one manifest.json records)' };
    }
    return { path, qrels: await readQrels(resolve(path)), unusable: undefined };
  } catch (err) {
    const reason = err instanceof InputError ? err.reason : err instanceof Error ? err.message : String(err);
    return { path, qrels: undefined, unusable: `cannot be read any more (${reason})` };
  }
}

/**
 * Reads the outputs of a run in `outDir`: manifest.json (required), metrics.json and
 * metrics.perquery.csv (with qrels), ranked.jsonl streamed once, failures.jsonl and rejects.jsonl.
 * @throws InputError ERR_INPUT_FILE (no such directory, no manifest), ERR_INPUT_JSON, ERR_INPUT_CSV,
 *   ERR_RUN_FORMAT (a malformed output).
 */
export async function gatherReportData(outDir: string): Promise<ReportData> {
  await checkOutDir(outDir);
  const manifest = await readManifest(outDir);
  const metrics = await readMetrics(outDir);
  const mainMeasures = MAIN_MEASURES.filter((measure) => metrics?.reranked[measure] !== undefined);
  const comparison = metrics?.comparison ?? {};
  const primary = mainMeasures.find((measure) => comparison[measure] !== undefined) ?? Object.keys(comparison)[0];
  const perQuery = primary === undefined ? undefined : await readPerQueryDeltas(join(outDir, OUTPUT_FILES.metricsPerQuery), primary);
  const improved = (perQuery ?? [])
    .filter((q) => q.delta > 0)
    .sort((a, b) => b.delta - a.delta || compareQueryIds(a.queryId, b.queryId))
    .slice(0, MOVERS);
  const regressed = (perQuery ?? []).filter((q) => q.delta < 0).slice(0, MOVERS);

  const qrels = metrics === undefined ? undefined : await rereadQrels(manifest);
  const ranking = await passOverRanking(join(outDir, OUTPUT_FILES.rankedJsonl), {
    qrels: qrels?.qrels,
    relLevel: metrics?.rel_level ?? 1,
    detailed: new Set([...improved, ...regressed].map((q) => q.queryId)),
  });
  const withDetail = (q: QueryDelta): Mover => ({ ...q, detail: ranking.details.get(q.queryId) });
  return {
    outDir,
    manifest,
    metrics,
    mainMeasures,
    primary,
    perQuery,
    improved: improved.map(withDetail),
    regressed: regressed.map(withDetail),
    ranking,
    qrels: qrels === undefined ? undefined : { path: qrels.path, unusable: qrels.unusable },
    failures: await listFailures(join(outDir, OUTPUT_FILES.failures)),
    rejects: await listRejects(join(outDir, REJECTS_FILE)),
  };
}
