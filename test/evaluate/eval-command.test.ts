import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerEvalCommand, runEval } from '../../src/cli/eval-command.js';
import { InputError } from '../../src/errors/input-error.js';
import { UsageError } from '../../src/errors/usage-error.js';

const DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
const present = existsSync(`${DATA}cisi/qrels.trec`);
const REFERENCE_MEASURES = 'ndcg ndcg_cut.5,10,20,100 map map_cut.10,100 recip_rank P.5,10,20 recall.10,100 Rprec num_q num_ret num_rel num_rel_ret';

async function run(...args: string[]): Promise<{ stdout: string; stderr: string; exitCode: number | undefined }> {
  let stdout = '';
  let stderr = '';
  let exitCode: number | undefined;
  const program = new Command().exitOverride();
  registerEvalCommand(program, (code) => (exitCode = code), { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  await program.parseAsync(['node', 'rerank-batch', 'eval', ...args]);
  return { stdout, stderr, exitCode };
}

const dir = mkdtempSync(join(tmpdir(), 'rerank-eval-cli-'));
const qrels = join(dir, 'q.trec');
writeFileSync(qrels, '1 0 a 1\n1 0 b 0\n2 0 c 2\n');
const runA = join(dir, 'a.run');
writeFileSync(runA, '1 Q0 a 1 2 x\n1 Q0 b 2 1 x\n2 Q0 z 1 1 x\n3 Q0 a 1 1 x\n');
const runB = join(dir, 'b.run');
writeFileSync(runB, '1 Q0 b 1 2 x\n1 Q0 a 2 1 x\n2 Q0 c 1 1 x\n');

const runC = join(dir, 'c.run');
writeFileSync(runC, '1 Q0 a 1 2 x\n2 Q0 c 1 1 x\n');

describe('eval command', () => {
  it('prints the trec_eval table and states ignored queries on stderr', async () => {
    const r = await run('--qrels', qrels, '--run', runA, '--measures', 'map,P.1', '--measures', 'num_q');
    expect(r.stdout).toBe('num_q                 \tall\t2\nmap                   \tall\t0.5000\nP_1                   \tall\t0.5000\n');
    expect(r.stderr).toContain('1 run query not in the qrels ignored (3)');
    expect(r.exitCode).toBe(0);
  });

  it('prints JSON keyed by measure, with per_query when asked', async () => {
    const r = await run('--qrels', qrels, '--run', runA, '--measures', 'map', '--json', '--per-query');
    expect(JSON.parse(r.stdout)).toEqual({ map: 0.5, per_query: { '1': { map: 1 }, '2': { map: 0 } } });
  });

  it('compares two runs as a table or JSON', async () => {
    const table = await run('--qrels', qrels, '--run', runA, '--run', runB, '--measures', 'map');
    expect(table.stdout).toMatch(/measure\s+A\s+B\s+delta\s+p\s+95% CI\s+W\/T\/L/);
    expect(table.stdout).toMatch(/map\s+0\.5000\s+0\.7500\s+\+0\.2500\s+0\.7952\s+\[-0\.5000, \+1\.0000\]\s+1\/0\/1/);
    const json = await run('--qrels', qrels, '--run', runA, '--run', runB, '--measures', 'map', '--json');
    // map per query A: 1, 0; B: 0.5, 1. Differences -0.5, +1: mean 0.25, sd 1.06066, t = 1/3, df 1,
    // so p = 1 - 2 atan(1/3) / pi = 0.7952 (Cauchy), as printed in the table above.
    expect(JSON.parse(json.stdout)).toMatchObject({ map: { a: 0.5, b: 0.75, delta: 0.25, wins: 1, ties: 0, losses: 1 } });
    expect(json.stderr.split('\n').filter((l) => l.includes('ignored'))).toHaveLength(2);
  });

  it('reports bad options and inputs as UsageError / InputError', async () => {
    await expect(run('--qrels', qrels, '--run', runA, '--rel-level', 'x')).rejects.toBeInstanceOf(UsageError);
    await expect(run('--qrels', qrels)).rejects.toBeInstanceOf(UsageError);
    await expect(run('--qrels', qrels, '--run', runA, '--measures', 'nope')).rejects.toBeInstanceOf(UsageError);
    const dup = join(dir, 'dup.run');
    writeFileSync(dup, '1 Q0 a 1 2 x\n1 Q0 a 2 1 x\n');
    await expect(run('--qrels', qrels, '--run', dup)).rejects.toBeInstanceOf(InputError);
  });

  it.skipIf(!present)('reproduces the cisi per-query reference file and reports 36 ignored queries', async () => {
    const r = await run('--qrels', `${DATA}cisi/qrels.trec`, '--run', `${DATA}cisi/bm25.run`, '--measures', REFERENCE_MEASURES, '--per-query');
    expect(r.stdout).toBe(readFileSync(`${DATA}cisi/reference/bm25.trec_eval.perquery.txt`, 'utf8'));
    expect(r.stderr).toContain('36 run queries not in the qrels ignored');
  });

  it('compares several runs in one table: baseline rows first, corrected p, d, W/T/L', async () => {
    const r = await run('--qrels', qrels, '--run', runA, '--run', runB, '--run', runC, '--measures', 'map,P.1');
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      "baseline a.run; paired t-test, two-sided; holm correction over 4 comparisons (runs x measures); * p_holm < 0.05; d = Cohen's d_z (mean per-query difference / its standard deviation)",
    );
    expect(lines[1]).toMatch(/^measure\s+run\s+mean\s+delta\s+p\s+p_holm\s+d\s+W\/T\/L$/);
    // map per query: A 1, 0; B 0.5, 1; C 1, 1. C - A = 0, +1: t-test p = 0.5 (df 1, t = 1); Holm over
    // 4 p-values [B map 0.7952, C map 0.5, B P_1 1, C P_1 0.5]: 0.5 x 4 = 2 -> 1, all 1.
    expect(lines.slice(2)).toEqual([
      expect.stringMatching(/^map\s+a\.run\s+0\.5000$/),
      expect.stringMatching(/^map\s+b\.run\s+0\.7500\s+\+0\.2500\s+0\.7952\s+1\.0000\s+\+0\.24\s+1\/0\/1$/),
      expect.stringMatching(/^map\s+c\.run\s+1\.0000\s+\+0\.5000\s+0\.5000\s+1\.0000\s+\+0\.71\s+1\/1\/0$/),
      expect.stringMatching(/^P_1\s+a\.run\s+0\.5000$/),
      expect.stringMatching(/^P_1\s+b\.run/),
      expect.stringMatching(/^P_1\s+c\.run/),
    ]);
    expect(r.stderr.split('\n').filter((l) => l.includes('ignored'))).toHaveLength(3);
    expect(r.exitCode).toBe(0);
  });

  it('names runs NAME=FILE, picks the baseline by name or file, prints JSON and CSV of the same table', async () => {
    const json = await run('--qrels', qrels, '--run', `first=${runA}`, '--run', `second=${runB}`, '--run', runC, '--measures', 'map', '--baseline', 'second', '--json', '--test', 'wilcoxon');
    const parsed = JSON.parse(json.stdout) as { baseline: string; runs: string[]; test: string; measures: { map: Record<string, Record<string, unknown>> } };
    expect(parsed).toMatchObject({ baseline: 'second', runs: ['second', 'first', 'c.run'], test: 'wilcoxon', correction: 'holm' });
    expect(parsed.measures.map['second']).toEqual({ mean: 0.75 });
    expect(parsed.measures.map['first']).toMatchObject({ mean: 0.5, delta: -0.25, wins: 1, ties: 0, losses: 1 });
    const byFile = await run('--qrels', qrels, '--run', runA, '--run', runB, '--run', runC, '--measures', 'map', '--baseline', runC, '--csv');
    const rows = byFile.stdout.trimEnd().split('\n');
    expect(rows[0]).toBe('measure,run,is_baseline,mean,delta,p_value,p_adjusted,significant,effect_size,wins,ties,losses,ci_low,ci_high');
    expect(rows.slice(1).map((row) => row.split(',').slice(0, 5).join(','))).toEqual(['map,c.run,true,1,', 'map,a.run,false,0.5,-0.5', 'map,b.run,false,0.75,-0.25']);
  });

  it('two runs keep their table; --csv adds the bootstrap interval, --test changes the p column', async () => {
    const csv = await run('--qrels', qrels, '--run', runA, '--run', runB, '--measures', 'map', '--csv');
    expect(csv.stdout.trimEnd().split('\n')[2]).toMatch(/^map,b\.run,false,0\.75,0\.25,0\.795167235300866\d*,0\.795167235300866\d*,false,0\.2357022603955158\d*,1,0,1,-0\.5,1$/);
    const permutation = await run('--qrels', qrels, '--run', runA, '--run', runB, '--measures', 'map', '--test', 'permutation');
    // Two queries: all 4 sign flips of (-0.5, +1) are enumerated; |sum| >= 0.5 for all four: p = 1.
    expect(permutation.stdout).toMatch(/map\s+0\.5000\s+0\.7500\s+\+0\.2500\s+1\.0000\s+\[-0\.5000, \+1\.0000\]\s+1\/0\/1\s+1\.0000\s+\+0\.24/);
    expect(permutation.stdout).toContain('randomization (sign-flip permutation) test (all 4 sign flips)');
  });

  it('a single run as CSV: its means', async () => {
    const r = await run('--qrels', qrels, '--run', runA, '--measures', 'map,P.1,num_q', '--csv');
    expect(r.stdout).toBe('measure,run,is_baseline,mean,delta,p_value,p_adjusted,significant,effect_size,wins,ties,losses,ci_low,ci_high\nmap,a.run,true,0.5,,,,,,,,,,\nP_1,a.run,true,0.5,,,,,,,,,,\n');
  });

  it('writes the per-query matrix of several runs, in --run order', async () => {
    const out = join(dir, 'matrix.csv');
    const r = await run('--qrels', qrels, '--run', runA, '--run', `bee=${runB}`, '--run', runC, '--measures', 'map,P.1', '--baseline', 'c.run', '--per-query-csv', out);
    expect(readFileSync(out, 'utf8')).toBe('query_id,measure,a.run,bee,c.run\n1,map,1,0.5,1\n1,P_1,1,0,1\n2,map,0,1,1\n2,P_1,0,1,1\n');
    expect(r.stderr).toContain(`wrote ${out}: 4 rows (query x measure), 3 run columns`);
  });

  it('gates every run against the baseline: exit 3 when one regresses, naming it', async () => {
    const r = await run('--qrels', qrels, '--run', runC, '--run', runA, '--run', runB, '--measures', 'map', '--fail-on-regression', 'map:0.3');
    // a.run drops map by 0.5 (> 0.3); b.run by 0.25 (within 0.3, and not significant).
    expect(r.stderr).toContain('eval: REGRESSION: --fail-on-regression map:0.3: a.run: map dropped by 0.5000 (more than 0.3)');
    expect(r.stderr).toContain('eval: gate passed: --fail-on-regression map:0.3: b.run');
    expect(r.exitCode).toBe(3);
    const two = await run('--qrels', qrels, '--run', runA, '--run', runB, '--measures', 'map', '--fail-on-regression', 'map');
    expect(two.stderr).toContain('eval: gate passed: --fail-on-regression map\n');
    expect(two.exitCode).toBe(0);
  });

  it('refuses --per-query with several runs, --json with --csv, an unknown baseline, two runs of one name', async () => {
    await expect(run('--qrels', qrels, '--run', runA, '--run', runB, '--per-query')).rejects.toThrow(/--per-query-csv/);
    await expect(run('--qrels', qrels, '--run', runA, '--json', '--csv')).rejects.toBeInstanceOf(UsageError);
    await expect(run('--qrels', qrels, '--run', runA, '--run', runB, '--baseline', 'nope')).rejects.toThrow(/--baseline nope/);
    await expect(run('--qrels', qrels, '--run', `x=${runA}`, '--run', `x=${runB}`)).rejects.toThrow(/two runs are named "x"/);
    await expect(run('--qrels', qrels, '--run', runA, '--fail-on-regression', 'map')).rejects.toBeInstanceOf(UsageError);
  });

  it('evaluates three or more runs on threads as in this thread, and reports a bad run file the same way', async () => {
    const outputs = await Promise.all(
      [1, 2, 3].map(async (threads) => {
        let stdout = '';
        let stderr = '';
        const code = await runEval({ qrels, runs: [runA, runB, runC], measures: ['map', 'ndcg_cut.10'], json: true, threads }, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
        return { code, stdout, stderr };
      }),
    );
    expect(outputs[1]).toEqual(outputs[0]);
    expect(outputs[2]).toEqual(outputs[0]);
    const bad = join(dir, 'bad.run');
    writeFileSync(bad, '1 Q0 a 1 notanumber x\n');
    for (const threads of [1, 2]) {
      const failure = runEval({ qrels, runs: [runA, runB, bad], threads }, { stdout: () => undefined, stderr: () => undefined });
      await expect(failure).rejects.toBeInstanceOf(InputError);
      await expect(failure).rejects.toMatchObject({ code: 'ERR_RUN_FORMAT', file: bad, line: 1 });
    }
  });
});
