import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const configFile = join(root, '.dependency-cruiser.cjs');

/** Cruise `dirs` of `baseDir` with the real config, as `npm run lint:deps` does. */
async function cruiseWithConfig(baseDir: string, dirs: string[]): Promise<ICruiseResult> {
  const options = await extractDepcruiseOptions(configFile);
  const tsConfig = extractTSConfig(join(baseDir, 'tsconfig.json'));
  const { output } = await cruise(dirs, { ...options, baseDir }, {}, { tsConfig });
  if (typeof output === 'string') throw new Error('expected the cruise result as an object');
  return output;
}

/** "rule: from → to" for each violation (and the whole cycle for a circular one), sorted: readable in a failure message. */
function describeViolations(violations: IViolation[]): string[] {
  return violations
    .map((v) => {
      const cycle = v.cycle === undefined ? '' : ` (cycle: ${[v.from, ...v.cycle.map((step) => step.name)].join(' → ')})`;
      return `${v.rule.name}: ${v.from} → ${v.to}${cycle}`;
    })
    .sort();
}

describe('dependency rules (.dependency-cruiser.cjs)', () => {
  it('the tree has no import cycle, no import of a higher layer and no bad import', async () => {
    const result = await cruiseWithConfig(root, ['src', 'jobs', 'workers', 'bench']);
    expect(result.summary.totalCruised).toBeGreaterThan(50);
    expect(describeViolations(result.summary.violations)).toEqual([]);
  });

  describe('bite on a fixture tree', () => {
    let fixture: string;
    let result: ICruiseResult;

    // The comment beside each file says which rule(s) its imports must trip, or that they are allowed.
    const files: Record<string, string> = {
      'src/cli/y.ts': 'export const y = 1;',
      'src/cli/main.ts': "import { o } from '../orchestrate/o.js';\nexport const main = o;", // allowed: cli → orchestrate
      'src/read/x.ts': "import { y } from '../cli/y.js';\nexport const x = y;", // read → cli
      'src/read/r2.ts': "import { e } from '../evaluate/e.js';\nexport const r2 = e;", // read → evaluate
      'src/evaluate/e.ts': "import { x } from '../read/x.js';\nexport const e = x;", // allowed: evaluate → read
      'src/plan/a.ts': "import { b } from './b.js';\nexport const a = (): unknown => b;", // cycle a → b → a
      'src/plan/b.ts': "import { a } from './a.js';\nexport const b = (): unknown => a;",
      'src/plan/p.ts': "import { s } from '../state/s.js';\nexport const p = s;", // plan → state
      'src/rerank/k.ts': "import { a } from '../plan/a.js';\nexport const k = a;", // parts → plan
      'src/state/s.ts': "import { c } from '../collect/c.js';\nexport const s = c;", // state → stages
      'src/collect/c.ts': "import { expect } from 'vitest';\nexport const c = expect;", // devDependency in src/
      'src/options/opt.ts': "import { rd } from '../redis/rd.js';\nexport const opt = rd;", // options → redis (a connection)
      'src/options/opt2.ts': "import { s } from '../state/s.js';\nexport const opt2 = s;", // options → state
      'src/redis/rd.ts': 'export const rd = 1;',
      'src/serve/sv.ts': "import { y } from '../cli/y.js';\nexport const sv = y;", // serve → cli
      'src/write/wr.ts': "import { o } from '../orchestrate/o.js';\nexport const wr = o;", // write → orchestrate
      'src/orchestrate/o.ts': "import { y } from '../cli/y.js';\nexport const o = y;", // orchestrate → cli
      'src/logger.ts': "import { s } from './state/s.js';\nexport const logger = s;", // basics → state
      'src/errors/err.ts': 'export class E extends Error {}',
      // unresolvable file; a package present in node_modules but not in package.json
      'src/enqueue/q.ts': "import { m } from './missing.js';\nimport { Redis } from 'ioredis';\nexport const q = [m, Redis];",
      'src/run/r.ts': "import { E } from '../errors/err.js';\nexport const r = E;", // a folder in no layer
      'src/lonely.ts': 'export const lonely = 1;', // orphan
      // jobs → src; zod and node: are allowed
      'jobs/names.ts':
        "import { readFile } from 'node:fs/promises';\nimport { z } from 'zod';\nimport { x } from '../src/read/x.js';\nexport const names = [readFile, z, x];",
      // workers → orchestrate; → jobs allowed
      'workers/w.ts': "import { o } from '../src/orchestrate/o.js';\nimport { names } from '../jobs/names.js';\nexport const w = [o, names];",
      // bench → cli; bench → orchestrate allowed; bench → a module in no layer
      'bench/bb.ts':
        "import { y } from '../src/cli/y.js';\nimport { o } from '../src/orchestrate/o.js';\nimport { r } from '../src/run/r.js';\nexport const bb = [y, o, r];",
    };

    beforeAll(async () => {
      fixture = await mkdtemp(join(tmpdir(), 'rerank-batch-depcruise-'));
      for (const [path, text] of Object.entries(files)) {
        await mkdir(dirname(join(fixture, path)), { recursive: true });
        await writeFile(join(fixture, path), `${text}\n`);
      }
      await writeFile(
        join(fixture, 'package.json'),
        JSON.stringify({ name: 'fixture', type: 'module', dependencies: { zod: '*' }, devDependencies: { vitest: '*' } }),
      );
      await writeFile(
        join(fixture, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
      );
      // The fixture's packages (zod, vitest, ioredis) resolve from the repository's node_modules.
      await symlink(join(root, 'node_modules'), join(fixture, 'node_modules'), 'dir');
      result = await cruiseWithConfig(fixture, ['src', 'jobs', 'workers', 'bench']);
    });

    afterAll(async () => {
      if (fixture !== undefined) await rm(fixture, { recursive: true, force: true });
    });

    it('reports each forbidden import, and nothing else', () => {
      const found = describeViolations(result.summary.violations)
        // Packages resolve through the symlink to wherever node_modules really is: keep only the package name.
        .map((line) => line.replace(/ → \S*node_modules\/((?:@[^/]+\/)?[^/]+)\/\S*$/, ' → npm:$1'));
      expect(found).toEqual(
        [
          // cycle inside one folder, which no layer rule can see (reported once, with the whole cycle)
          'no-circular: src/plan/a.ts → src/plan/b.ts (cycle: src/plan/a.ts → src/plan/b.ts → src/plan/a.ts)',
          // one rule per layer
          'layer-jobs-not-up: jobs/names.ts → src/read/x.ts',
          'layer-basics-not-up: src/logger.ts → src/state/s.ts',
          'layer-options-not-up: src/options/opt2.ts → src/state/s.ts',
          'layer-parts-not-up: src/read/x.ts → src/cli/y.ts',
          'layer-parts-not-up: src/rerank/k.ts → src/plan/a.ts',
          'layer-parts-not-up: src/serve/sv.ts → src/cli/y.ts',
          'layer-plan-not-up: src/plan/p.ts → src/state/s.ts',
          'layer-state-not-up: src/state/s.ts → src/collect/c.ts',
          'layer-stages-not-up: workers/w.ts → src/orchestrate/o.ts',
          'layer-write-not-up: src/write/wr.ts → src/orchestrate/o.ts',
          'layer-orchestrate-not-up: src/orchestrate/o.ts → src/cli/y.ts',
          // a folder in no layer, importing and imported
          'unlayered-module: src/run/r.ts → src/errors/err.ts',
          'unlayered-module-imported: bench/bb.ts → src/run/r.ts',
          // the named boundaries
          'jobs-only-contract-deps: jobs/names.ts → src/read/x.ts',
          'options-no-connections: src/options/opt.ts → src/redis/rd.ts',
          'only-cli-imports-cli: bench/bb.ts → src/cli/y.ts',
          'only-cli-imports-cli: src/orchestrate/o.ts → src/cli/y.ts',
          'only-cli-imports-cli: src/read/x.ts → src/cli/y.ts',
          'only-cli-imports-cli: src/serve/sv.ts → src/cli/y.ts',
          'only-entries-import-orchestrate: src/write/wr.ts → src/orchestrate/o.ts',
          'only-entries-import-orchestrate: workers/w.ts → src/orchestrate/o.ts',
          'workers-only-what-they-run-on: workers/w.ts → src/orchestrate/o.ts',
          'read-stays-low: src/read/r2.ts → src/evaluate/e.ts',
          'read-stays-low: src/read/x.ts → src/cli/y.ts',
          'serve-not-to-entries: src/serve/sv.ts → src/cli/y.ts',
          // packages and files
          'not-to-dev-dep: src/collect/c.ts → npm:vitest',
          'no-non-package-json: src/enqueue/q.ts → npm:ioredis',
          'not-to-unresolvable: src/enqueue/q.ts → ./missing.js',
          'no-orphans: src/lonely.ts → src/lonely.ts',
        ].sort(),
      );
    });

    it('every rule of the config is shown to bite above', async () => {
      const { ruleSet } = await extractDepcruiseOptions(configFile);
      const ruleNames = (ruleSet?.forbidden ?? []).map((rule) => rule.name).sort();
      const bitten = [...new Set(result.summary.violations.map((v) => v.rule.name))].sort();
      expect(bitten).toEqual(ruleNames);
    });
  });
});

describe('README "Layout" names the folders there are', () => {
  /** Folder names listed in README's "## Layout" code block, e.g. "src/read/", "jobs/". */
  async function layoutFolders(): Promise<string[]> {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    // From the heading to the next "## " heading, or to the end (Layout may be the last section).
    const section = readme.split(/^## Layout\n/m)[1]?.split(/^## /m)[0];
    const block = section === undefined ? undefined : /```\n([\s\S]*?)```/.exec(section)?.[1];
    if (block === undefined) throw new Error('README.md has no "## Layout" section with a code block');
    return block
      .split('\n')
      .map((line) => /^(\S+\/)\s/.exec(line)?.[1])
      .filter((name): name is string => name !== undefined);
  }

  /** True when `dir` holds at least one file, at any depth (git keeps no empty folder). */
  async function holdsFiles(dir: string): Promise<boolean> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => null);
    if (entries === null) return false;
    for (const entry of entries) {
      if (entry.isFile() || (entry.isDirectory() && (await holdsFiles(join(dir, entry.name))))) return true;
    }
    return false;
  }

  it('every top-level folder of src/ is listed', async () => {
    const listed = new Set(await layoutFolders());
    const folders: string[] = [];
    for (const entry of await readdir(join(root, 'src'), { withFileTypes: true })) {
      if (entry.isDirectory() && (await holdsFiles(join(root, 'src', entry.name)))) folders.push(`src/${entry.name}/`);
    }
    expect(folders.length).toBeGreaterThan(0);
    expect(folders.filter((folder) => !listed.has(folder))).toEqual([]);
  });

  it('every listed folder exists', async () => {
    const listed = await layoutFolders();
    expect(listed.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const folder of listed) if (!(await holdsFiles(join(root, folder)))) missing.push(folder);
    expect(missing).toEqual([]);
  });
});
