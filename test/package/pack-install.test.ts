/**
 * The published package works: `npm pack` a copy of this checkout (so its prepack builds from scratch,
 * without dist/, and without rewriting the dist/ other tests run from), install the tarball into an empty
 * project from the registry cache, then use it as a user would: the CLI through npx, the library through
 * an ESM import, and its types through tsc.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, sharedData, tempDir } from '../helpers/paths.js';

const execFileAsync = promisify(execFile);

/** Packing builds twice (prepack, prepare) and installing resolves ~100 packages: slow, never flaky. */
const SETUP_TIMEOUT = 20 * 60_000;
const STEP_TIMEOUT = 5 * 60_000;

/** The measures of the shared trec_eval reference files (see ../shared/data/README.md). */
const REFERENCE_MEASURES = 'ndcg ndcg_cut.5,10,20,100 map map_cut.10,100 recip_rank P.5,10,20 recall.10,100 Rprec num_q num_ret num_rel num_rel_ret';

// The bundled examples/cranfield/qrels.trec is the shared one; the BM25 run (900 kB) and trec_eval's
// output for it are not in the repository.
const cranfield = {
  qrels: join(repoRoot, 'examples', 'cranfield', 'qrels.trec'),
  run: join(sharedData, 'cranfield', 'bm25.run'),
  reference: join(sharedData, 'cranfield', 'reference', 'bm25.trec_eval.txt'),
};
const missing = Object.values(cranfield).filter((file) => !existsSync(file));
const skipNote = `trec_eval reference missing: ${missing.join(', ')} (the shared data folder sits beside the checkout)`;
if (missing.length > 0) console.warn(`pack-install: Cranfield checks skipped, ${skipNote}`);

/** A small case checked by hand (and in test/evaluate/eval-command.test.ts): runs without the shared data. */
const TINY = {
  qrels: '1 0 a 1\n1 0 b 0\n2 0 c 2\n',
  run: '1 Q0 a 1 2 x\n1 Q0 b 2 1 x\n2 Q0 z 1 1 x\n3 Q0 a 1 1 x\n',
  measures: 'map,P.1,num_q',
  output: 'num_q                 \tall\t2\nmap                   \tall\t0.5000\nP_1                   \tall\t0.5000\n',
};

/** Repository entries not copied for packing: installed, built or local-only. */
const NOT_COPIED = new Set(['node_modules', 'dist', '.git', 'out', '.tmp']);

/**
 * The environment of the npm, npx, node and tsc children, without the `npm_*` variables an enclosing
 * `npm test` sets (npm_config_local_prefix and the like would point a nested npm at this checkout).
 */
const childEnv: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name) && name !== 'INIT_CWD' && name !== 'NODE_OPTIONS'),
);

interface Ran {
  stdout: string;
  stderr: string;
}

/** Runs a command; a non-zero exit throws with its output, so a failure says what went wrong. */
async function run(command: string, args: string[], cwd: string): Promise<Ran> {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, { cwd, env: childEnv, maxBuffer: 64 * 1024 * 1024, timeout: SETUP_TIMEOUT });
    return { stdout, stderr };
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const stdout = typeof err === 'object' && err !== null && 'stdout' in err && typeof err.stdout === 'string' ? err.stdout.slice(-4000) : '';
    const stderr = typeof err === 'object' && err !== null && 'stderr' in err && typeof err.stderr === 'string' ? err.stderr.slice(-4000) : '';
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed: ${detail}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
  }
}

/** What the test reads of `npm pack --json`. */
interface PackResult {
  filename: string;
  size: number;
  files: string[];
}

function parsePackJson(stdout: string): PackResult {
  // Lifecycle scripts print to stderr, but be safe: the JSON is the array that starts a line.
  const start = stdout.search(/^\[/m);
  const parsed: unknown = JSON.parse(start >= 0 ? stdout.slice(start) : stdout);
  const first: unknown = Array.isArray(parsed) && parsed.length === 1 ? parsed[0] : undefined;
  if (
    typeof first !== 'object' ||
    first === null ||
    !('filename' in first && typeof first.filename === 'string') ||
    !('size' in first && typeof first.size === 'number') ||
    !('files' in first && Array.isArray(first.files))
  ) {
    throw new Error(`npm pack --json: expected one package, got ${stdout.slice(0, 500)}`);
  }
  const files = first.files.map((file: unknown) => (typeof file === 'object' && file !== null && 'path' in file && typeof file.path === 'string' ? file.path : ''));
  return { filename: first.filename, size: first.size, files };
}

const npx = (args: string[], cwd: string): Promise<Ran> => run('npx', ['--no', '--', ...args], cwd);

describe('npm pack ships a working package', () => {
  let remove: (() => Promise<void>) | undefined;
  let packed: PackResult;
  let dryRun: PackResult;
  /** The empty project the tarball is installed into. */
  let project: string;
  let tiny: { qrels: string; run: string };

  beforeAll(async () => {
    const temp = await tempDir('pack');
    remove = temp.remove;
    const tree = join(temp.dir, 'tree');
    const out = join(temp.dir, 'out');
    project = join(temp.dir, 'project');
    await Promise.all([mkdir(tree), mkdir(out), mkdir(project)]);

    // A copy of the checkout without dist/: the tarball must come from prepack's own build. test/ and
    // bench/ are copied, so that leaving them out is the package's doing.
    for (const entry of await readdir(repoRoot)) {
      if (!NOT_COPIED.has(entry)) await cp(join(repoRoot, entry), join(tree, entry), { recursive: true });
    }
    await symlink(join(repoRoot, 'node_modules'), join(tree, 'node_modules'), 'dir');
    packed = parsePackJson((await run('npm', ['pack', '--json', '--pack-destination', out], tree)).stdout);
    dryRun = parsePackJson((await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], tree)).stdout);

    await writeFile(join(project, 'package.json'), `${JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
    await run('npm', ['install', join(out, packed.filename), '--prefer-offline', '--no-audit', '--no-fund'], project);

    tiny = { qrels: join(project, 'tiny.qrels'), run: join(project, 'tiny.run') };
    await writeFile(tiny.qrels, TINY.qrels);
    await writeFile(tiny.run, TINY.run);
    // The library as a user's ESM script would use it: evaluate, print trec_eval's table.
    await writeFile(
      join(project, 'evaluate.mjs'),
      [
        "import { evaluate, formatTrecEval } from 'rerank-batch';",
        'const [qrels, run, measures] = process.argv.slice(2);',
        'process.stdout.write(formatTrecEval(await evaluate({ qrels, run, measures })));',
        '',
      ].join('\n'),
    );
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    await remove?.();
  });

  it('holds the CLI and the built library only: no test, bench, sources or source maps', () => {
    const paths = [...packed.files].sort();
    expect(paths).toEqual([...dryRun.files].sort());
    expect(paths).toContain('bin/rerank-batch.js');
    expect(paths).toContain('dist/src/cli/main.js');
    expect(paths).toContain('dist/src/plan/plan-ahead-thread.js');
    expect(paths).toContain('dist/src/index.js');
    expect(paths).toContain('dist/src/index.d.ts');
    expect(paths).toContain('dist/workers/worker-host.js');
    expect(paths).toContain('dist/jobs/index.js');
    expect(paths.filter((path) => /^(dist\/)?(test|bench|examples)\//.test(path))).toEqual([]);
    expect(paths.filter((path) => !/^(bin\/rerank-batch\.js|dist\/(src|jobs|workers)\/.+\.(js|d\.ts)|package\.json|README\.md|LICENSE(\.\w+)?)$/.test(path))).toEqual([]);
  });

  it('starts its CLI: npx rerank-batch --help exits 0', { timeout: STEP_TIMEOUT }, async () => {
    const { stdout } = await npx(['rerank-batch', '--help'], project);
    expect(stdout).toMatch(/Usage: rerank-batch/);
    expect(stdout).toMatch(/\beval\b/);
  });

  it('evaluates with the CLI and with the library: the hand-checked case', { timeout: STEP_TIMEOUT }, async () => {
    const cli = await npx(['rerank-batch', 'eval', '--qrels', tiny.qrels, '--run', tiny.run, '--measures', TINY.measures], project);
    expect(cli.stdout).toBe(TINY.output);
    const library = await run(process.execPath, ['evaluate.mjs', tiny.qrels, tiny.run, TINY.measures], project);
    expect(library.stdout).toBe(TINY.output);
  });

  it('npx rerank-batch eval prints trec_eval 10.0 output for the Cranfield BM25 run', { timeout: STEP_TIMEOUT }, async (ctx) => {
    ctx.skip(missing.length > 0, skipNote);
    const { stdout } = await npx(['rerank-batch', 'eval', '--qrels', cranfield.qrels, '--run', cranfield.run, '--measures', REFERENCE_MEASURES], project);
    expect(stdout).toBe(await readFile(cranfield.reference, 'utf8'));
  });

  it("import { evaluate } from 'rerank-batch' gives trec_eval 10.0's numbers for the Cranfield BM25 run", { timeout: STEP_TIMEOUT }, async (ctx) => {
    ctx.skip(missing.length > 0, skipNote);
    const { stdout } = await run(process.execPath, ['evaluate.mjs', cranfield.qrels, cranfield.run, REFERENCE_MEASURES], project);
    expect(stdout).toBe(await readFile(cranfield.reference, 'utf8'));
  });

  it('exposes only its entry point, with error classes that work across the import', { timeout: STEP_TIMEOUT }, async () => {
    const script = [
      "import { ERROR_CODES, evaluate, InputError, RerankBatchError, UsageError } from 'rerank-batch';",
      "const missing = await evaluate({ qrels: 'no-such-qrels', run: 'no-such-run' }).catch((err) => err);",
      "const badMeasure = await evaluate({ qrels: 'tiny.qrels', run: 'tiny.run', measures: 'nope' }).catch((err) => err);",
      "const deep = await import('rerank-batch/dist/src/cli/main.js').catch((err) => err.code);",
      'const input = missing instanceof InputError && missing instanceof RerankBatchError && ERROR_CODES.includes(missing.code);',
      "const usage = badMeasure instanceof UsageError && badMeasure.code === 'ERR_USAGE';",
      'console.log(JSON.stringify({ input, file: missing.file, usage, deep }));',
      '',
    ].join('\n');
    await writeFile(join(project, 'errors.mjs'), script);
    const { stdout } = await run(process.execPath, ['errors.mjs'], project);
    expect(JSON.parse(stdout)).toEqual({ input: true, file: 'no-such-qrels', usage: true, deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  });

  it('ships its types: a TypeScript file importing rerank-batch typechecks under module NodeNext', { timeout: STEP_TIMEOUT }, async () => {
    // As a TypeScript project on Node has @types/node (the package's types name Node's): the repository's.
    const typeRoots = [join(repoRoot, 'node_modules', '@types')];
    const compilerOptions = { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, typeRoots, types: ['node'] };
    const tsconfig = { compilerOptions, files: ['use.ts'] };
    await writeFile(join(project, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
    const source = [
      "import { evaluate, formatTrecEval, InputError, type ErrorCode, type EvaluateFilesOptions, type EvaluationResult } from 'rerank-batch';",
      "const options: EvaluateFilesOptions = { qrels: 'tiny.qrels', run: 'tiny.run', measures: ['map', 'P.5,10'], relLevel: 1 };",
      'const result: EvaluationResult = await evaluate(options);',
      "const map: number | undefined = result.mean['map'];",
      'const table: string = formatTrecEval(result);',
      "const error = new InputError('ERR_QRELS_FORMAT', 'reason', { file: 'f', line: 1 });",
      'const line: number | undefined = error.line;',
      'const code: ErrorCode = error.code;',
      '// Real types, not any: a number is not a file path.',
      '// @ts-expect-error qrels is a string',
      "await evaluate({ qrels: 1, run: 'tiny.run' });",
      'export { map, table, line, code };',
      '',
    ].join('\n');
    await writeFile(join(project, 'use.ts'), source);
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const { stdout } = await run(process.execPath, [tsc, '-p', 'tsconfig.json'], project);
    expect(stdout).toBe('');
  });
});
