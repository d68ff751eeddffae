/**
 * The cost side: what each provider's defaults send for a corpus, per 1,000 pairs (requests, billing
 * units, approximate tokens), next to the least its documented limits allow. Counted by `estimate`, the
 * run's own reader and planner, so no API is called. The least: requests with only the document cap (no
 * byte or token cap cutting batches short), search units at 100 documents a request (Cohere bills
 * ceil(documents / 100) per request, so a query cannot cost less than ceil(candidates / 100)), tokens as
 * counted (batching does not change them).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { estimate, type EstimateReport } from '../src/orchestrate/estimate.js';
import { PROVIDERS } from '../src/rerank/providers/index.js';
import { repoRoot, type BenchContext, type BenchResult, type BenchRow } from './lib.js';

/** The full Cranfield pairs (about 100 candidates a query) when the shared data is there; else the bundled 20-a-query example. */
function corpus(ctx: BenchContext): string {
  if (ctx.input !== undefined) return ctx.input;
  const shared = join(repoRoot, '..', 'shared', 'data', 'cranfield', 'pairs.csv.gz');
  return existsSync(shared) ? shared : join(repoRoot, 'examples', 'cranfield', 'pairs.csv.gz');
}

const BIG = 2 ** 31 - 1;

export async function cost(ctx: BenchContext): Promise<BenchResult> {
  const input = corpus(ctx);
  const rows: BenchRow[] = [];
  const details: Record<string, unknown> = { input: relative(repoRoot, input) };
  // A cold run's figures: whatever score cache this machine has must not count here.
  for (const spec of Object.values(PROVIDERS)) {
    const defaults = await estimate({ input, provider: spec.name, cache: false }, {});
    const least = await estimate({ input, provider: spec.name, maxRequestBytes: BIG, maxTokensPerRequest: BIG, cache: false }, {});
    const leastUnits = spec.billing.unit === 'search-unit' ? (await estimate({ input, provider: spec.name, maxDocsPerRequest: spec.billing.documentsPerUnit ?? 100, maxRequestBytes: BIG, cache: false }, {})).totals.units : least.totals.units;
    const per1k = (report: EstimateReport, value: number): string => ((1000 * value) / report.totals.pairs).toFixed(spec.billing.unit === 'token' ? 0 : 2);
    const ratio = Math.round((100 * defaults.totals.units) / leastUnits) / 100;
    rows.push({
      benchmark: `cost ${spec.name}`,
      figure: `per 1,000 pairs: ${per1k(defaults, defaults.totals.requests)} requests (least ${per1k(least, least.totals.requests)}), ${per1k(defaults, defaults.totals.units)} ${spec.billing.unit}s (least ${per1k(defaults, leastUnits)})`,
      target: 'billing units at the least the limits allow',
      ratio,
      holds: ratio <= 1,
    });
    details[spec.name] = { defaults: defaults.totals, leastRequests: least.totals.requests, leastUnits };
  }
  // What the seed's 50-document batches would cost on Cohere: the reason its default is its own limit.
  const cohere50 = await estimate({ input, provider: 'cohere', maxDocsPerRequest: 50, cache: false }, {});
  const cohere = details.cohere as { leastUnits: number };
  return {
    name: 'cost',
    rows,
    notes: [
      `cost: ${relative(repoRoot, input)}; ${cohere50.totals.pairs} pairs, ${cohere50.totals.queries} queries. Cohere at 50 documents a request would bill ${cohere50.totals.units} search units, ${(cohere50.totals.units / cohere.leastUnits).toFixed(2)}x its least (${cohere.leastUnits}).`,
    ],
    details,
  };
}
