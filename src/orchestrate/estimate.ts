import { existsSync } from 'node:fs';
import { UsageError } from '../errors/usage-error.js';
import type { ProducerTotals, ShapingTotals } from '../interfaces.js';
import { planAhead, type PlanCacheSettings } from '../plan/plan-ahead.js';
import { endpointOf, plannerOptionsOf, requestShapeOf, scoreIdentityOf, type RequestShape } from '../options/request-shape.js';
import { resolveOptions, type GivenOptions, type Resolved } from '../options/resolve-options.js';
import { cacheDirOf, checkInputSettings, pairSourceOf } from '../options/run-options.js';
import { PROVIDERS, type BillingUnit } from '../rerank/providers/index.js';

/** Options of `estimate` as the library takes them. */
export type EstimateOptions = GivenOptions<'estimate'>;

/** A price of `--price AMOUNT/UNIT`. */
export interface Price {
  amount: number;
  per: 'request' | 'search-unit' | '1k-tokens' | '1m-tokens';
}

/** What a run of these options would send and cost, counted by the run's own reader and planner. */
export interface EstimateReport {
  provider: string;
  model: string | null;
  template: string;
  limits: { maxDocsPerRequest: number; maxRequestBytes: number; maxTokensPerRequest: number | null; maxTokensPerDoc: number | null };
  billingUnit: BillingUnit;
  totals: ProducerTotals & ShapingTotals;
  /** Pairs the input held that the run would not send: bad rows skipped, empty texts, repeated pairs; and documents cut. */
  input: { rejected: number; emptyText: number; duplicates: number; truncated: number };
  cost: { price: Price; quantity: number; amount: number } | undefined;
  /** The score cache looked up (the totals then count only what it lacks), or null: --no-cache, --refresh, or no cache yet. */
  cache: { dir: string; hits: number; misses: number; requestsSaved: number } | null;
}

/** `0.002/search-unit` -> { amount: 0.002, per: 'search-unit' } (the option's pattern has checked the form). */
export function parsePrice(text: string): Price {
  const [amount, per] = text.split('/');
  if (amount === undefined || (per !== 'request' && per !== 'search-unit' && per !== '1k-tokens' && per !== '1m-tokens')) throw new UsageError(`--price ${text}: expected AMOUNT/UNIT`);
  return { amount: Number(amount), per };
}

/** How many of the price's unit the totals make. A search unit is only Cohere's to count. */
function quantityOf(price: Price, totals: ShapingTotals, billing: BillingUnit, shape: RequestShape): number {
  switch (price.per) {
    case 'request':
      return totals.requests;
    case 'search-unit':
      if (billing !== 'search-unit') throw new UsageError(`--price per search-unit: --provider ${shape.provider} bills per ${billing}, not per search unit`);
      return totals.units;
    case '1k-tokens':
      return totals.tokens / 1_000;
    case '1m-tokens':
      return totals.tokens / 1_000_000;
  }
}

/**
 * Read the input with the run's options and count what its requests would send: the same reader, the
 * same planner (batches, passages, copies sent once), so the requests and units are those a run with the
 * same options then sends (retries and 413 splits aside). No API, no Redis.
 */
export async function estimate(options: EstimateOptions, env: NodeJS.ProcessEnv = process.env): Promise<EstimateReport> {
  return estimateResolved(resolveOptions('estimate', { api: options, env }), env);
}

export async function estimateResolved(resolved: Resolved<'estimate'>, env: NodeJS.ProcessEnv = process.env): Promise<EstimateReport> {
  const { options } = resolved;
  checkInputSettings(options);
  const shape = requestShapeOf(options);
  const spec = PROVIDERS[shape.provider];
  const price = options.price === undefined ? undefined : parsePrice(options.price);
  const input = { rejected: 0, emptyText: 0, duplicates: 0, truncated: 0 };
  // The scores a run starting now could use: the cache's, as of now, for the endpoint the run would call.
  const cacheDir = cacheDirOf(options, env);
  const cache: PlanCacheSettings | undefined =
    options.cache && !options.refresh && existsSync(cacheDir)
      ? {
          dir: cacheDir,
          identity: scoreIdentityOf(shape, endpointOf(options, env) ?? 'builtin'),
          policy: { asOf: Date.now(), maxAgeMs: options.cacheMaxAge, refresh: false },
        }
      : undefined;
  const planned = planAhead('estimate', pairSourceOf(options), plannerOptionsOf(shape), {
    onReject: () => (input.rejected += 1),
    onNotice: (notice) => {
      if (notice.kind === 'document-truncated') input.truncated += 1;
      else if (notice.kind === 'duplicate-pairs') input.duplicates += notice.count;
    },
    onEmptyText: () => (input.emptyText += 1),
  }, cache);
  for await (const job of planned) void job;
  const totals = planned.totals;
  if (totals === undefined) throw new Error('the planner ended without totals');
  const quantity = price === undefined ? undefined : quantityOf(price, totals, spec.billing.unit, shape);
  return {
    provider: spec.name,
    model: shape.model ?? null,
    template: shape.format.name,
    limits: {
      maxDocsPerRequest: shape.maxDocsPerRequest,
      maxRequestBytes: shape.maxRequestBytes,
      maxTokensPerRequest: shape.maxTokensPerRequest ?? null,
      maxTokensPerDoc: shape.maxTokensPerDoc ?? null,
    },
    billingUnit: spec.billing.unit,
    totals,
    input,
    cost: price === undefined || quantity === undefined ? undefined : { price, quantity, amount: quantity * price.amount },
    cache: cache === undefined ? null : { dir: cache.dir, hits: totals.cacheHits, misses: totals.cacheMisses, requestsSaved: totals.requestsSaved },
  };
}

/** The report as `estimate` prints it. */
export function formatEstimate(report: EstimateReport): string {
  const { totals, input } = report;
  const n = (value: number): string => value.toLocaleString('en-US');
  const rows: [string, string][] = [
    ['provider', `${report.provider} (model ${report.model ?? "the server's"}, template ${report.template})`],
    ['limits', `${n(report.limits.maxDocsPerRequest)} documents, ${n(report.limits.maxRequestBytes)} bytes${report.limits.maxTokensPerRequest === null ? '' : `, ${n(report.limits.maxTokensPerRequest)} tokens`} per request${report.limits.maxTokensPerDoc === null ? '' : `; ${n(report.limits.maxTokensPerDoc)} tokens per document`}`],
    ['queries', n(totals.queries)],
    ['pairs', n(totals.pairs)],
    ...(report.cache === null ? [] : [['score cache', `${n(report.cache.hits)} pairs cached (${n(report.cache.requestsSaved)} requests saved), ${n(report.cache.misses)} to send; the figures below count only those`] as [string, string]]),
    ['requests', n(totals.requests)],
    ['texts sent', `${n(totals.texts)}${totals.split > 0 ? ` (${n(totals.split)} documents as ${n(totals.passages)} passages${totals.passagesCut > 0 ? `, ${n(totals.passagesCut)} cut at the passage cap` : ''})` : ''}`],
    [`billing units (${report.billingUnit})`, n(totals.units)],
    ['characters', n(totals.characters)],
    ['approx. tokens', `${n(totals.tokens)} (4 bytes each)`],
    ['not sent', `${n(totals.deduplicated)} identical documents sent once, ${n(input.emptyText)} empty texts, ${n(input.duplicates)} repeated pairs, ${n(input.rejected)} bad rows`],
    ['truncated', `${n(input.truncated)} documents${totals.textsCut > 0 ? `, ${n(totals.textsCut)} passages cut to the token cap` : ''}`],
  ];
  if (report.cost !== undefined) {
    const { price, quantity, amount } = report.cost;
    rows.push(['cost', `${amount.toFixed(4)} (${n(Math.round(quantity * 1000) / 1000)} x ${price.amount} per ${price.per})`]);
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return `${rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n')}\n`;
}
