/**
 * `npm run bench [-- [--quick] [--large-pairs N] [--seed N] [--input FILE] [name...]]`: runs the benchmarks
 * (all, or the named ones: overhead, latency, rate, scale, memory, cost, cache, labelling, eval), prints a Markdown table with the
 * machine's facts and writes the same to bench/results/latest.json and latest.md (latest-quick.* with
 * --quick; a subset to latest-NAME.*, e.g. latest-cache.*, leaving the full run's files as they were).
 * Benchmarks measure and report; they never fail the build (the exit code is 0 even when a target is
 * missed, and non-zero only when a benchmark could not run).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { benchLogger, machineFacts, repoRoot, type BenchContext, type BenchResult, type BenchRow, type MachineFacts } from './lib.js';
import { cache } from './cache.js';
import { cost } from './cost.js';
import { evalScale } from './eval-scale.js';
import { labelling } from './labelling.js';
import { memory } from './memory.js';
import { overhead } from './overhead.js';
import { scaleOut } from './scale-out.js';
import { latencyBound, rateBound } from './throughput.js';

const BENCHMARKS: Record<string, (ctx: BenchContext) => Promise<BenchResult>> = {
  overhead,
  latency: latencyBound,
  rate: rateBound,
  scale: scaleOut,
  memory,
  cost,
  cache,
  labelling,
  eval: evalScale,
};

interface Args {
  names: string[];
  quick: boolean;
  largePairs: number | undefined;
  seed: number;
  input: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { names: [], quick: false, largePairs: undefined, seed: 0, input: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--quick') args.quick = true;
    else if (arg === '--large-pairs') {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 1000) throw new Error('--large-pairs must be an integer >= 1000');
      args.largePairs = value;
    } else if (arg === '--seed') {
      const value = Number(argv[++i]);
      if (!Number.isSafeInteger(value) || value < 0) throw new Error('--seed must be a non-negative integer');
      args.seed = value;
    } else if (arg === '--input') {
      const value = argv[++i];
      if (value === undefined || value === '') throw new Error('--input needs a pairs file (CSV, TSV or JSONL, optionally gzipped)');
      // npm runs scripts from the package root; a relative path is the user's, from where they typed it.
      args.input = resolve(process.env.INIT_CWD ?? process.cwd(), value);
    } else if (arg in BENCHMARKS) args.names.push(arg);
    else throw new Error(`unknown argument "${arg}"; benchmarks: ${Object.keys(BENCHMARKS).join(', ')}; flags: --quick, --large-pairs N, --seed N, --input FILE`);
  }
  if (args.names.length === 0) args.names = Object.keys(BENCHMARKS);
  return args;
}

function table(rows: BenchRow[]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|');
  const lines = ['| benchmark | figure | target | ratio | holds |', '|---|---|---|---|---|'];
  for (const row of rows) {
    const holds = row.holds === null ? '—' : row.holds ? 'yes' : 'no';
    lines.push(`| ${cell(row.benchmark)} | ${cell(row.figure)} | ${cell(row.target)} | ${row.ratio === null ? '—' : String(row.ratio)} | ${holds} |`);
  }
  return lines.join('\n');
}

function factsLine(facts: MachineFacts): string {
  return `Machine: ${facts.cpuModel}, ${facts.cores} cores, ${facts.memoryGiB} GiB RAM, ${facts.platform}; Node ${facts.node}; Redis ${facts.redis}.`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const scale = args.quick ? 0.1 : 1;
  const ctx: BenchContext = { scale, quick: args.quick, largePairs: args.largePairs ?? (args.quick ? 200_000 : 2_000_000), seed: args.seed, input: args.input, logger: benchLogger() };
  const facts = await machineFacts();
  const started = new Date();
  const results: BenchResult[] = [];
  const errors: { name: string; error: string }[] = [];
  process.stderr.write(`${factsLine(facts)}\nmode: ${args.quick ? 'quick (10x smaller)' : 'full'}; benchmarks: ${args.names.join(', ')}; seed ${args.seed}${args.input === undefined ? '' : `; overhead input ${args.input}`}\n`);

  for (const name of args.names) {
    const bench = BENCHMARKS[name];
    if (bench === undefined) continue;
    const t0 = performance.now();
    process.stderr.write(`\n▶ ${name} ...\n`);
    try {
      const result = await bench(ctx);
      results.push(result);
      process.stderr.write(`${table(result.rows)}\n(${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      errors.push({ name, error: message });
      process.stderr.write(`✖ ${name} could not run: ${message}\n`);
    }
  }

  const rows = results.flatMap((result) => result.rows);
  for (const { name, error } of errors) rows.push({ benchmark: name, figure: `did not run: ${error.split('\n')[0] ?? ''}`, target: '—', ratio: null, holds: null });
  const notes = results.flatMap((result) => result.notes);
  const finished = new Date();
  const markdown = [
    `### Benchmarks (${args.quick ? 'quick mode, 10x smaller' : 'full'}; ${finished.toISOString().slice(0, 10)})`,
    '',
    table(rows),
    '',
    factsLine(facts),
    `Total time ${((finished.getTime() - started.getTime()) / 1000).toFixed(0)} s.`,
    '',
    ...notes.map((note) => `- ${note}`),
    '',
  ].join('\n');
  process.stdout.write(`\n${markdown}`);

  const dir = join(repoRoot, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  // A subset gets files of its own: the full run's figures stay whole beside it.
  const subset = args.names.length === Object.keys(BENCHMARKS).length ? '' : `-${args.names.join('-')}`;
  const base = `${args.quick ? 'latest-quick' : 'latest'}${subset}`;
  const json = {
    mode: args.quick ? 'quick' : 'full',
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    machine: facts,
    benchmarks: args.names,
    rows,
    notes,
    errors,
    details: Object.fromEntries(results.map((result) => [result.name, result.details])),
  };
  await writeFile(join(dir, `${base}.json`), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(dir, `${base}.md`), markdown);
  process.stderr.write(`\nwrote ${join('bench', 'results', `${base}.json`)} and ${base}.md\n`);
  if (errors.length > 0) process.exitCode = 1;
}

await main();
// Exit explicitly: a Redis client left open by a benchmark that failed half-way would keep this process
// alive, reconnecting forever.
process.exit();
