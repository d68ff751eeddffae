import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseTrecEvalArguments, runTrecEval } from '../../src/cli/trec-eval-command.js';
import { UsageError } from '../../src/errors/usage-error.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'rerank-trec-eval-cli-'));
const qrels = join(dir, 'qrels');
// Query 1: d1..d3 judged, d4 unjudged (-1); query 2: e1 relevant; query 3: judged, not in the run.
writeFileSync(qrels, '1 0 d1 1\n1 0 d2 0\n1 0 d3 2\n1 0 d4 -1\n2 0 e1 1\n3 0 f1 1\n');
const run = join(dir, 'run');
// Query 1 ranks d2, x (not in the qrels), d1, d4, d3; query 2 ranks z, e1; query 9 is not in the qrels.
// The tag of the last line is the runid.
writeFileSync(run, '1 Q0 d2 1 5 first\n1 Q0 x 2 4 first\n1 Q0 d1 3 3 first\n1 Q0 d4 4 2 first\n1 Q0 d3 5 1 first\n2 Q0 z 1 2 first\n2 Q0 e1 2 1 first\n9 Q0 a 1 1 last\n');

async function trecEvalOutput(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const code = await runTrecEval(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stdin: Readable.from([]) });
  return { stdout, stderr, code };
}

describe('trec_eval command line (getopt_long rules)', () => {
  it('takes options before, between and after the files, clustered and with attached values', () => {
    const expected = { kind: 'evaluate', qrels: 'Q', run: 'R', options: { perQuery: true, complete: true, relLevel: 2, measures: ['P.5', 'map'] } };
    expect(parseTrecEvalArguments(['-q', '-c', '-l', '2', '-m', 'P.5', '-m', 'map', 'Q', 'R'])).toEqual(expected);
    expect(parseTrecEvalArguments(['Q', '-qcl2', 'R', '-mP.5', '-mmap'])).toEqual(expected);
    expect(parseTrecEvalArguments(['--query_eval_wanted', '--complete', '--level_for_rel=2', '--measure', 'P.5', '--meas=map', 'Q', 'R'])).toEqual(expected);
    expect(parseTrecEvalArguments(['-m', 'map', '--', '-Q', 'R'])).toEqual({ kind: 'evaluate', qrels: '-Q', run: 'R', options: { measures: ['map'] } });
    expect(parseTrecEvalArguments(['-n', '-J', '-M100', '-N', '5000', '-R', 'qrels', '-T', 'trec_results', '-o', 'Q', '-'])).toEqual({
      kind: 'evaluate',
      qrels: 'Q',
      run: '-',
      options: { summary: false, judgedOnly: true, maxRetrieved: 100, numDocsInCollection: 5000 },
    });
    expect(parseTrecEvalArguments(['-h'])).toEqual({ kind: 'help' });
    expect(parseTrecEvalArguments(['Q', 'R', '-v'])).toEqual({ kind: 'version' });
  });

  it.each<[string[], RegExp]>([
    [['Q'], /give the qrels file and the run file \(got 1 file\)/],
    [['Q', 'R', 'S'], /got 3 files/],
    [['-x', 'Q', 'R'], /unknown option -x/],
    [['--nonsense', 'Q', 'R'], /unknown option --nonsense/],
    [['--Re', 'qrels', 'Q', 'R'], /ambiguous option --Re/],
    [['Q', 'R', '-m'], /option -m needs a value/],
    [['-l', 'two', 'Q', 'R'], /-l \(relevance level\) must be a non-negative integer, got "two"/],
    [['-M', '-1', 'Q', 'R'], /-M \(documents per query\) must be a non-negative integer/],
    [['-R', 'prefs', 'Q', 'R'], /only rel_info format read is qrels/],
    [['-T', 'other', 'Q', 'R'], /only results format is trec_results/],
    [['-D', '1', 'Q', 'R'], /-D \(debug output\) is not supported/],
    [['-Z', 'z', 'Q', 'R'], /-Z \(z-scores\) is not supported/],
    [['--nosummary=1', 'Q', 'R'], /takes no value/],
  ])('refuses %j', (args, message) => {
    expect(() => parseTrecEvalArguments(args)).toThrow(UsageError);
    expect(() => parseTrecEvalArguments(args)).toThrow(message);
  });
});

describe('trec_eval command output', () => {
  it('official measures by default, runid from the last line, queries in both files only without -c', async () => {
    const { stdout, code } = await trecEvalOutput(qrels, run);
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    expect(lines[0]).toBe('runid                 \tall\tlast');
    expect(lines[1]).toBe('num_q                 \tall\t2');
    expect(lines[2]).toBe('num_ret               \tall\t7');
    expect(lines[3]).toBe('num_rel               \tall\t3'); // d1, d3, e1 (without -c the per-query sum)
    expect(lines.map((l) => l.split('\t')[0]?.trimEnd())).toContain('iprec_at_recall_1.00');
    expect(lines.at(-2)).toBe('P_1000                \tall\t0.0015'); // (2/1000 + 1/1000) / 2 queries
  });

  it('-c -q: the missing query is printed with zeros, and num_rel counts labels > 0 in the summary', async () => {
    const { stdout } = await trecEvalOutput('-c', '-q', '-l', '2', '-m', 'num_ret', '-m', 'num_rel', '-m', 'map', '-m', 'relstring', qrels, run);
    expect(stdout).toBe(
      [
        // Query 1 at -l 2: relevant d3 (label 2) at rank 5: map 1/5.
        'num_ret               \t1\t5',
        'num_rel               \t1\t1',
        'map                   \t1\t0.2000',
        "relstring             \t1\t'0-1.2'",
        'num_ret               \t2\t2',
        'num_rel               \t2\t0',
        'map                   \t2\t0.0000',
        "relstring             \t2\t'-1'",
        'num_ret               \t3\t0',
        'num_rel               \t3\t0',
        'map                   \t3\t0.0000',
        "relstring             \t3\t''",
        'num_ret               \tall\t7',
        // trec_eval 10.0 -c: every qrels label > 0, whatever -l (d1, d3, e1, f1).
        'num_rel               \tall\t4',
        'map                   \tall\t0.0667',
        '',
      ].join('\n'),
    );
  });

  it('-n prints no summary; -M cuts each ranking; -J keeps judged documents only', async () => {
    expect((await trecEvalOutput('-n', '-m', 'map', qrels, run)).stdout).toBe('');
    expect((await trecEvalOutput('-n', '-q', '-m', 'num_ret', qrels, run)).stdout).toBe('num_ret               \t1\t5\nnum_ret               \t2\t2\n');
    const cut = await trecEvalOutput('-q', '-M', '2', '-m', 'num_ret', '-m', 'P.2', qrels, run);
    // Query 1's top 2: d2 (0), x: P_2 0; query 2's: z, e1 (1): P_2 0.5.
    expect(cut.stdout).toContain('num_ret               \t1\t2\n');
    expect(cut.stdout).toContain('P_2                   \t2\t0.5000\n');
    const judged = await trecEvalOutput('-q', '-J', '-m', 'num_ret', '-m', 'P.2', '-m', 'relstring', qrels, run);
    // -J drops x (not in the qrels) and d4 (label -1): query 1 becomes d2, d1, d3.
    expect(judged.stdout).toContain('num_ret               \t1\t3\n');
    expect(judged.stdout).toContain('P_2                   \t1\t0.5000\n');
    expect(judged.stdout).toContain("relstring             \t1\t'012'\n");
  });

  it('prints 0/0 as trec_eval does on x86-64: -nan (iprec_at_recall of an empty -J ranking)', async () => {
    const only = join(dir, 'unjudged.run');
    writeFileSync(only, '2 Q0 z 1 1 t\n');
    const { stdout } = await trecEvalOutput('-q', '-J', '-m', 'iprec_at_recall.0,0.5', '-m', 'set_P', qrels, only);
    // num_ret 0: the precision num_rel_ret / num_ret is 0/0; recall level 0 takes it, 0.5 (lround(0.5) = 1 > 0 retrieved) stays 0.
    expect(stdout).toContain('iprec_at_recall_0.00  \t2\t  -nan\n');
    expect(stdout).toContain('iprec_at_recall_0.50  \t2\t0.0000\n');
    expect(stdout).toContain('iprec_at_recall_0.00  \tall\t  -nan\n');
    expect(stdout).toContain('set_P                 \t2\t0.0000\n');
  });

  it('reads the run from standard input with -', async () => {
    let stdout = '';
    await runTrecEval(['-m', 'map', qrels, '-'], { stdout: (t) => (stdout += t), stderr: () => undefined, stdin: Readable.from([Buffer.from('2 Q0 e1 1 1 stdin-tag\n')]) });
    expect(stdout).toBe('map                   \tall\t1.0000\n');
  });

  it('help on stdout, version on stderr', async () => {
    expect((await trecEvalOutput('-h')).stdout).toMatch(/^Usage: rerank-batch trec_eval/);
    expect((await trecEvalOutput('--version')).stderr).toContain('trec_eval version 10.0');
  });

  it('no query in both files: an input error', async () => {
    const other = join(dir, 'other.run');
    writeFileSync(other, '9 Q0 a 1 1 t\n');
    await expect(trecEvalOutput(qrels, other)).rejects.toThrow(/no query has both judgments and results/);
    expect((await trecEvalOutput('-c', '-m', 'num_q', qrels, other)).stdout).toBe('num_q                 \tall\t3\n');
  });
});

describe('rerank-batch trec_eval (built CLI)', () => {
  it('prints to stdout and exits 0; exit 2 for usage and input errors', async () => {
    const ok = await runCli(['trec_eval', '-m', 'P.1', qrels, run]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toBe('P_1                   \tall\t0.0000\n');
    const usage = await runCli(['trec_eval', '-m', 'nonsense', qrels, run]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('ERR_USAGE');
    expect((await runCli(['trec_eval', qrels])).code).toBe(2);
    const missing = await runCli(['trec_eval', qrels, join(dir, 'absent.run')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ERR_INPUT_FILE');
    expect((await runCli(['trec_eval', '-h'])).code).toBe(0);
  });
});
