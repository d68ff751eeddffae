import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/usage-error.js';
import { comparisonLegend, formatRunComparison, runComparisonCsv, runComparisonJson } from '../../src/evaluate/format-comparison.js';
import { judgeRunGates, parseRegressionGates } from '../../src/evaluate/regression-gate.js';
import { compareRuns, RunComparator, type RunComparisonTable, type RunMeasureComparison } from '../../src/evaluate/run-comparison.js';
import { baselineIndex, labelRuns } from '../../src/evaluate/run-labels.js';
import type { RunScores } from '../../src/evaluate/run-scores.js';

// Four runs over 20 queries, two measures: per-query values as they are given here. map is continuous
// (no ties, no zero differences: scipy's Wilcoxon is exact for n <= 50); P_4 moves in steps of 0.25
// (zero differences and ties: scipy drops the zeros and uses the tie-corrected normal approximation).
const VALUES: Record<string, Record<string, number[]>> = {
  base: {
    map: [0.4185, 0.33, 0.1111, 0.2763, 0.454, 0.0641, 0.6185, 0.6051, 0.0788, 0.5716, 0.1701, 0.5022, 0.1508, 0.4996, 0.6731, 0.6902, 0.4811, 0.1563, 0.3067, 0.2307],
    P_4: [0.0, 0.5, 0.0, 0.0, 0.0, 0.75, 0.25, 0.25, 0.5, 1.0, 1.0, 0.25, 1.0, 0.75, 0.0, 0.75, 0.0, 0.5, 0.25, 0.0],
  },
  r1: {
    map: [0.3891, 0.5293, 0.1106, 0.4136, 0.5653, 0.1951, 0.7587, 0.6984, 0.2709, 0.5888, 0.3535, 0.4868, 0.3657, 0.5789, 0.823, 0.9308, 0.4281, 0.2511, 0.4726, 0.4226],
    P_4: [0.0, 1.0, 0.0, 0.25, 0.25, 0.75, 0.25, 0.75, 0.5, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.75, 0.25, 0.0],
  },
  r2: {
    map: [0.5672, 0.4185, 0.1922, 0.3248, 0.5152, 0.1098, 0.7378, 0.6578, 0.1723, 0.7409, 0.3037, 0.5147, 0.1825, 0.5984, 0.6617, 0.5837, 0.4402, 0.2394, 0.3298, 0.2421],
    P_4: [0.0, 0.75, 0.0, 0.0, 0.0, 0.75, 0.25, 0.25, 0.25, 1.0, 1.0, 0.5, 1.0, 0.5, 0.0, 1.0, 0.0, 1.0, 0.25, 0.0],
  },
  r3: {
    map: [0.4783, 0.2459, 0.2923, 0.2781, 0.4281, 0.2271, 0.5314, 0.5653, 0.0716, 0.4948, 0.1429, 0.5488, 0.1644, 0.4957, 0.7522, 0.8411, 0.6062, 0.0, 0.4164, 0.2928],
    P_4: [0.0, 0.5, 0.25, 0.0, 0.0, 0.75, 0.25, 0.25, 0.5, 1.0, 1.0, 0.25, 1.0, 0.5, 0.0, 0.5, 0.0, 0.75, 0.5, 0.0],
  },
};

/*
 * Expected p-values, made with Python 3.11, numpy and scipy 1.17.1 from the same numbers:
 *   x, y = np.array(VALUES[run][m]), np.array(VALUES['base'][m])
 *   stats.ttest_rel(x, y).pvalue
 *   stats.wilcoxon(x, y).pvalue   # defaults: zero_method='wilcox', correction=False, method='auto'
 * printed with repr (17 significant digits). Effect sizes: (x - y).mean() / (x - y).std(ddof=1).
 */
const SCIPY = {
  map: {
    r1: { t: 1.5916825954789834e-5, wilcoxon: 0.000133514404296875, d: 1.281804058652818, wtl: [16, 0, 4] },
    r2: { t: 0.0010411274499350395, wilcoxon: 0.0014324188232421875, d: 0.8644096102644945, wtl: [17, 0, 3] },
    r3: { t: 0.2553940155433387, wilcoxon: 0.34881019592285156, d: 0.2622327010654237, wtl: [11, 0, 9] },
  },
  P_4: {
    r1: { t: 0.02836892814366886, wilcoxon: 0.03347136813457749, d: 0.5305482838361476, wtl: [7, 12, 1] },
    r2: { t: 0.329876800921125, wilcoxon: 0.31731050786291415, d: 0.22360679774997896, wtl: [4, 14, 2] },
    r3: { t: 0.6662641376986583, wilcoxon: 0.6547208460185769, d: 0.09795896894087644, wtl: [3, 15, 2] },
  },
} as const;

const QUERIES = Array.from({ length: 20 }, (_, i) => `q${String(i + 1).padStart(2, '0')}`);

function scores(name: string): RunScores {
  const values = VALUES[name] as Record<string, number[]>;
  const measures = ['map', 'P_4'];
  const mean = Object.fromEntries(measures.map((m) => [m, (values[m] as number[]).reduce((s, v) => s + v, 0) / 20]));
  return { name, queryIds: QUERIES, measures, mean, values: measures.map((m) => Float64Array.from(values[m] as number[])) };
}

const RUNS = ['base', 'r1', 'r2', 'r3'].map(scores);

function cell(table: RunComparisonTable, run: string, measure: string): RunMeasureComparison {
  const found = table.comparisons.find((c) => c.run === run && c.measure === measure);
  if (found === undefined) throw new Error(`no ${run} ${measure}`);
  return found;
}

/** |actual - expected| <= 1e-9 relative (p-values reach 1.6e-5 here, so absolute 1e-9 would be too loose). */
function expectClose(actual: number, expected: number, relative = 1e-9): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(relative * Math.abs(expected) + 1e-300);
}

describe('four runs against a baseline, Holm over runs x measures', () => {
  const t = compareRuns(RUNS, { test: 't', correction: 'holm' });
  const w = compareRuns(RUNS, { test: 'wilcoxon', correction: 'holm' });

  it('lays the table out: measures in order, runs in order, the baseline excluded', () => {
    expect(t.baseline).toBe('base');
    expect(t.runs).toEqual(['base', 'r1', 'r2', 'r3']);
    expect(t.measures).toEqual(['map', 'P_4']);
    expect(t.comparisons.map((c) => `${c.measure}/${c.run}`)).toEqual(['map/r1', 'map/r2', 'map/r3', 'P_4/r1', 'P_4/r2', 'P_4/r3']);
    expect(t.family).toBe(6);
  });

  it('paired t-test p-values equal scipy.stats.ttest_rel to 1e-9; d_z and W/T/L as computed by numpy', () => {
    for (const measure of ['map', 'P_4'] as const) {
      for (const run of ['r1', 'r2', 'r3'] as const) {
        const c = cell(t, run, measure);
        const expected = SCIPY[measure][run];
        expectClose(c.pValue, expected.t);
        expectClose(c.effectSize, expected.d, 1e-12);
        expect([c.wins, c.ties, c.losses]).toEqual(expected.wtl);
        expect(c.delta).toBeCloseTo(c.value - c.baselineValue, 15);
      }
    }
  });

  it('Wilcoxon p-values equal scipy.stats.wilcoxon (defaults) to 1e-9: exact for map, tie-corrected normal for P_4', () => {
    for (const measure of ['map', 'P_4'] as const) {
      for (const run of ['r1', 'r2', 'r3'] as const) expectClose(cell(w, run, measure).pValue, SCIPY[measure][run].wilcoxon);
    }
  });

  it('Holm-adjusted t-test p-values, by hand', () => {
    // Sorted raw p (m = 6): map/r1 1.5917e-5 < map/r2 1.0411e-3 < P_4/r1 0.028369 < map/r3 0.25539
    //   < P_4/r2 0.32988 < P_4/r3 0.66626.
    // p~1 = 6 x 1.5917e-5            = 9.5501e-5
    // p~2 = max(p~1, 5 x 1.0411e-3)  = 0.0052056
    // p~3 = max(p~2, 4 x 0.028369)   = 0.11348
    // p~4 = max(p~3, 3 x 0.25539)    = 0.76618
    // p~5 = max(p~4, 2 x 0.32988 = 0.65975) = 0.76618  (step-down keeps it monotone)
    // p~6 = max(p~5, 1 x 0.66626)    = 0.76618
    const p = SCIPY;
    const holm4 = 3 * p.map.r3.t;
    expectClose(cell(t, 'r1', 'map').pAdjusted, 6 * p.map.r1.t);
    expectClose(cell(t, 'r2', 'map').pAdjusted, 5 * p.map.r2.t);
    expectClose(cell(t, 'r1', 'P_4').pAdjusted, 4 * p.P_4.r1.t);
    expectClose(cell(t, 'r3', 'map').pAdjusted, holm4);
    expectClose(cell(t, 'r2', 'P_4').pAdjusted, holm4);
    expectClose(cell(t, 'r3', 'P_4').pAdjusted, holm4);
    expect(holm4).toBeCloseTo(0.766182046630016, 12);
    // Significant after Holm at 0.05: only map/r1 and map/r2 (P_4/r1's raw 0.028 becomes 0.113).
    expect(t.comparisons.filter((c) => c.significant).map((c) => `${c.measure}/${c.run}`)).toEqual(['map/r1', 'map/r2']);
  });

  it('Holm-adjusted Wilcoxon p-values, by hand', () => {
    // Sorted: map/r1 1.3351e-4 < map/r2 1.4324e-3 < P_4/r1 0.033471 < P_4/r2 0.31731 < map/r3 0.34881 < P_4/r3 0.65472
    // p~ = 6 x 1.3351e-4 = 8.0109e-4; 5 x 1.4324e-3 = 0.0071621; 4 x 0.033471 = 0.13389;
    //      3 x 0.31731 = 0.95193; max(0.95193, 2 x 0.34881 = 0.69762) = 0.95193; max(0.95193, 0.65472) = 0.95193
    const p = SCIPY;
    expectClose(cell(w, 'r1', 'map').pAdjusted, 6 * p.map.r1.wilcoxon);
    expectClose(cell(w, 'r2', 'map').pAdjusted, 5 * p.map.r2.wilcoxon);
    expectClose(cell(w, 'r1', 'P_4').pAdjusted, 4 * p.P_4.r1.wilcoxon);
    for (const [run, measure] of [['r2', 'P_4'], ['r3', 'map'], ['r3', 'P_4']] as const) expectClose(cell(w, run, measure).pAdjusted, 3 * p.P_4.r2.wilcoxon);
  });

  it('Bonferroni and Benjamini-Hochberg over the same t-test p-values, by hand', () => {
    const bonferroni = compareRuns(RUNS, { correction: 'bonferroni' });
    // min(1, 6p): 6 x 1.5917e-5 = 9.5501e-5, 6 x 1.0411e-3 = 0.0062468, 6 x 0.028369 = 0.17021;
    // 6 x 0.25539 = 1.53, 6 x 0.32988 = 1.98 and 6 x 0.66626 = 4.0 cap at 1.
    expectClose(cell(bonferroni, 'r1', 'map').pAdjusted, 6 * SCIPY.map.r1.t);
    expectClose(cell(bonferroni, 'r2', 'map').pAdjusted, 6 * SCIPY.map.r2.t);
    expectClose(cell(bonferroni, 'r1', 'P_4').pAdjusted, 6 * SCIPY.P_4.r1.t);
    for (const [run, measure] of [['r3', 'map'], ['r2', 'P_4'], ['r3', 'P_4']] as const) expect(cell(bonferroni, run, measure).pAdjusted).toBe(1);
    const bh = compareRuns(RUNS, { correction: 'bh' });
    // Step-up from the largest, rank i of 6: p~(i) = min over j >= i of 6 p(j) / j.
    // p~6 = 0.66626; p~5 = min(p~6, 6 x 0.32988 / 5 = 0.39585) = 0.39585; p~4 = min(0.39585, 6 x 0.25539 / 4 = 0.38309) = 0.38309;
    // p~3 = 6 x 0.028369 / 3 = 0.056738; p~2 = 6 x 1.0411e-3 / 2 = 0.0031234; p~1 = 6 x 1.5917e-5 = 9.5501e-5.
    expectClose(cell(bh, 'r3', 'P_4').pAdjusted, SCIPY.P_4.r3.t);
    expectClose(cell(bh, 'r2', 'P_4').pAdjusted, (6 * SCIPY.P_4.r2.t) / 5);
    expectClose(cell(bh, 'r3', 'map').pAdjusted, (6 * SCIPY.map.r3.t) / 4);
    expectClose(cell(bh, 'r1', 'P_4').pAdjusted, (6 * SCIPY.P_4.r1.t) / 3);
    expectClose(cell(bh, 'r2', 'map').pAdjusted, (6 * SCIPY.map.r2.t) / 2);
    expectClose(cell(bh, 'r1', 'map').pAdjusted, 6 * SCIPY.map.r1.t);
    // BH's min step on the Wilcoxon p's: P_4/r2 is rank 4 (6 x 0.31731 / 4 = 0.47597) but map/r3, rank 5,
    // gives 6 x 0.34881 / 5 = 0.41857, smaller, so P_4/r2 gets 0.41857 too.
    const bhW = compareRuns(RUNS, { test: 'wilcoxon', correction: 'bh' });
    expectClose(cell(bhW, 'r2', 'P_4').pAdjusted, (6 * SCIPY.map.r3.wilcoxon) / 5);
    const none = compareRuns(RUNS, { correction: 'none' });
    expect(none.comparisons.map((c) => c.pAdjusted)).toEqual(none.comparisons.map((c) => c.pValue));
    expect(cell(none, 'r1', 'P_4').significant).toBe(true);
  });

  it('the streaming comparator gives the same table; another baseline turns the signs, not the p-values', () => {
    const streamed = new RunComparator(RUNS[0] as RunScores);
    for (const run of RUNS.slice(1)) streamed.add(run);
    expect(streamed.result()).toEqual(t);
    const other = compareRuns(RUNS, { baseline: 'r2' });
    expect(other.runs).toEqual(['r2', 'base', 'r1', 'r3']);
    // base against r2 is r2 against base with the sign turned: same two-sided p.
    expectClose(cell(other, 'base', 'map').pValue, SCIPY.map.r2.t, 1e-12);
    expect(cell(other, 'base', 'map').effectSize).toBeCloseTo(-SCIPY.map.r2.d, 12);
    expect(() => compareRuns(RUNS, { baseline: 'nope' })).toThrow(UsageError);
  });

  it('refuses runs over other queries, and a second run of the same name', () => {
    const comparator = new RunComparator(RUNS[0] as RunScores);
    const fewer: RunScores = { ...(RUNS[1] as RunScores), queryIds: QUERIES.slice(1), values: (RUNS[1] as RunScores).values.map((v) => v.subarray(1)) };
    expect(() => comparator.add(fewer)).toThrow(UsageError);
    comparator.add(RUNS[1] as RunScores);
    expect(() => comparator.add(RUNS[1] as RunScores)).toThrow(/two runs are named "r1"/);
  });

  it('the permutation test gives p-values near the t-test on these runs, reproducibly', () => {
    const perm = compareRuns(RUNS, { test: 'permutation', permutations: 20_000, seed: 5 });
    expect(compareRuns(RUNS, { test: 'permutation', permutations: 20_000, seed: 5 })).toEqual(perm);
    expect(perm.flips).toEqual({ count: 20_000, exact: false });
    // map/r1 (t-test p 1.6e-5): at most a few of 20000 random flips reach the observed mean; p = (b + 1) / 20001.
    expect(cell(perm, 'r1', 'map').pValue).toBeGreaterThanOrEqual(1 / 20_001);
    expect(cell(perm, 'r1', 'map').pValue).toBeLessThan(5 / 20_001);
    expect(cell(perm, 'r3', 'map').pValue).toBeGreaterThan(0.2);
    expect(cell(perm, 'r3', 'map').pValue).toBeLessThan(0.3);
  });
});

describe('gates over several runs', () => {
  const table = compareRuns(RUNS, { baseline: 'r1' });

  it('judges every run against the baseline with p corrected over runs x gated measures', () => {
    const verdicts = judgeRunGates(parseRegressionGates(['map', 'P.4:0.5']), table);
    expect(verdicts.map((v) => `${v.gate.measure}/${v.run}:${v.failed}`)).toEqual(['map/base:true', 'map/r2:true', 'map/r3:true', 'P_4/base:false', 'P_4/r2:false', 'P_4/r3:false']);
    // map/base dropped by 0.119 (> 0) and significantly: Holm over these 6 p-values: 6 x 1.5917e-5.
    const baseMap = verdicts[0];
    expect(baseMap?.reason).toContain('dropped by');
    expectClose(baseMap?.comparison.pValue ?? NaN, 6 * SCIPY.map.r1.t);
    // P_4 dropped by at most 0.1 < 0.5, and not significantly after correction (raw 0.028 for base).
    expect(verdicts[3]?.comparison.pValue).toBeGreaterThan(0.05);
  });

  it('refuses a gate on a measure the table does not have', () => {
    expect(() => judgeRunGates(parseRegressionGates(['ndcg_cut.10']), table)).toThrow(UsageError);
  });
});

describe('comparison table output', () => {
  const table = compareRuns(RUNS);

  it('text: one row per measure and run, baseline first, marks on the corrected p', () => {
    const text = formatRunComparison(table);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^measure\s+run\s+mean\s+delta\s+p\s+p_holm\s+d\s+W\/T\/L$/);
    expect(lines).toHaveLength(1 + 2 * 4);
    // Means (numpy): map base 0.36944, r1 0.481645, r3 0.39367.
    expect(lines[1]).toMatch(/^map\s+base\s+0\.3694$/);
    expect(lines[2]).toMatch(/^map\s+r1\s+0\.4816\s+\+0\.1122\s+0\.0000\s+0\.0001\*\s+\+1\.28\s+16\/0\/4$/);
    expect(lines[4]).toMatch(/^map\s+r3\s+0\.3937\s+\+0\.0242\s+0\.2554\s+0\.7662\s+\+0\.26\s+11\/0\/9$/);
    expect(comparisonLegend(table)).toBe(
      "baseline base; paired t-test, two-sided; holm correction over 6 comparisons (runs x measures); * p_holm < 0.05; d = Cohen's d_z (mean per-query difference / its standard deviation)\n",
    );
    const none = formatRunComparison(compareRuns(RUNS, { correction: 'none' }));
    expect(none.split('\n')[0]).toMatch(/^measure\s+run\s+mean\s+delta\s+p\s+d\s+W\/T\/L$/);
    expect(none).toMatch(/P_4\s+r1\s+0\.4875\s+\+0\.1000\s+0\.0284\*/);
  });

  it('CSV: the same rows, full precision', () => {
    const rows = runComparisonCsv(table).trimEnd().split('\n');
    expect(rows[0]).toBe('measure,run,is_baseline,mean,delta,p_value,p_adjusted,significant,effect_size,wins,ties,losses,ci_low,ci_high');
    expect(rows[1]).toBe(`map,base,true,${String(table.means.get('base')?.['map'])},,,,,,,,,,`);
    const r1 = rows[2]?.split(',') ?? [];
    expect(r1.slice(0, 3)).toEqual(['map', 'r1', 'false']);
    expectClose(Number(r1[5]), SCIPY.map.r1.t);
    expect(r1.slice(7)).toEqual(['true', String(cell(table, 'r1', 'map').effectSize), '16', '0', '4', '', '']);
    expect(rows).toHaveLength(1 + 8);
  });

  it('JSON: measure -> run -> figures, with the test and correction', () => {
    const json = JSON.parse(JSON.stringify(runComparisonJson(table))) as Record<string, unknown>;
    expect(json).toMatchObject({ baseline: 'base', runs: ['base', 'r1', 'r2', 'r3'], test: 't', correction: 'holm', alpha: 0.05, comparisons: 6 });
    const measures = json['measures'] as Record<string, Record<string, Record<string, unknown>>>;
    expect(Object.keys(measures)).toEqual(['map', 'P_4']);
    expect(measures['map']?.['base']).toEqual({ mean: table.means.get('base')?.['map'] });
    expect(measures['P_4']?.['r1']).toMatchObject({ wins: 7, ties: 12, losses: 1, significant: false });
  });
});

describe('run names', () => {
  const none = (): boolean => false;

  it('file names, NAME=FILE labels, paths where base names collide', () => {
    expect(labelRuns(['runs/bm25.trec', 'ce=out/ranked.jsonl', 'a/x.run', 'b/x.run'], none)).toEqual([
      { name: 'bm25.trec', file: 'runs/bm25.trec' },
      { name: 'ce', file: 'out/ranked.jsonl' },
      { name: 'a/x.run', file: 'a/x.run' },
      { name: 'b/x.run', file: 'b/x.run' },
    ]);
  });

  it('an existing file whose name has "=" is a file; a label cannot hold a path separator', () => {
    expect(labelRuns(['k=1.run'], (file) => file === 'k=1.run')).toEqual([{ name: 'k=1.run', file: 'k=1.run' }]);
    expect(labelRuns(['dir/k=1.run'], none)).toEqual([{ name: 'k=1.run', file: 'dir/k=1.run' }]);
    expect(() => labelRuns(['x=a.run', 'x=b.run'], none)).toThrow(UsageError);
  });

  it('the baseline by name, else by file; the first by default', () => {
    const runs = labelRuns(['ce=out/ranked.jsonl', 'runs/bm25.trec'], none);
    expect(baselineIndex(runs, undefined)).toBe(0);
    expect(baselineIndex(runs, 'bm25.trec')).toBe(1);
    expect(baselineIndex(runs, 'out/ranked.jsonl')).toBe(0);
    expect(() => baselineIndex(runs, 'nope')).toThrow(/runs: ce, bm25.trec/);
  });
});
