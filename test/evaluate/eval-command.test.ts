import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { registerEvalCommand } from '../../src/cli/eval-command.js';
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
});
