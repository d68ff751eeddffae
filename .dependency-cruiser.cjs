/**
 * Import rules for rerank-batch, checked by dependency-cruiser (`npm run lint:deps`, part of `npm test`) and by
 * test/layout/dependency-rules.test.ts, which also proves on a small fixture tree that every rule below bites.
 *
 * Paths are relative to the package root: src/, jobs/, workers/ and bench/ are cruised; test/ is not (tests may
 * import anything) and bin/ is plain JS that only loads dist/src/cli/main.js.
 *
 * Type-only imports count (tsPreCompilationDeps below): a type import still ties a module to the one it names,
 * so a lower layer must not name a higher layer's types either.
 */

/** @param {string} file a path relative to the package root, e.g. 'src/logger.ts' */
const exactFile = (file) => `^${file.replace(/[.]/g, '\\.')}$`;

// The flow's layers, lowest first. A module may import its own layer or a lower one, never a higher one.
const LAYERS = [
  // The job contract shared by the producer and the workers: names, schemas, ids, default options, queue type,
  // failure encoding. Lowest, so a worker and a producer built from different commits agree on it alone.
  { name: 'jobs', paths: ['^jobs/'] },
  // Basics every part of the flow may use: error classes, shared interfaces, the logger, the seeded PRNG and the
  // compiled-module locator.
  {
    name: 'basics',
    paths: [
      '^src/errors/',
      exactFile('src/interfaces.ts'),
      exactFile('src/logger.ts'),
      exactFile('src/mulberry32.ts'),
      exactFile('src/compiled-module.ts'),
      exactFile('src/lifecycle-events.ts'),
    ],
  },
  // Self-contained parts: readers, the API client, Redis connections, the built-in server, the evaluator, the
  // score cache, the Prometheus metrics of a process, labels and training data from scores.
  { name: 'parts', paths: ['^src/read/', '^src/rerank/', '^src/redis/', '^src/serve/', '^src/evaluate/', '^src/cache/', '^src/monitor/', '^src/label/'] },
  // Batch planning over the readers.
  { name: 'plan', paths: ['^src/plan/'] },
  // Option schemas: what a run can be told, every default in one place. Above the parts and the planner,
  // whose constants and types (roles, templates, batch limits) the options name; below everything that
  // runs a job, which takes its settings from here.
  { name: 'options', paths: ['^src/options/'] },
  // The run's state in Redis.
  { name: 'state', paths: ['^src/state/'] },
  // The three stages that move jobs: producing, processing (the BullMQ workers), collecting.
  { name: 'stages', paths: ['^src/enqueue/', '^workers/', '^src/collect/'] },
  // Output files from the collected scores, and the HTML report drawn from them.
  { name: 'write', paths: ['^src/write/', '^src/report/'] },
  // The whole run, wired together; the dashboard over the runs of a Redis.
  { name: 'orchestrate', paths: ['^src/orchestrate/', '^src/dashboard/'] },
  // Entry points: the CLI and the library entry.
  { name: 'entry', paths: ['^src/cli/', exactFile('src/index.ts')] },
];

const ALL_LAYER_PATHS = LAYERS.flatMap((layer) => layer.paths);
const BASICS = LAYERS.find((layer) => layer.name === 'basics').paths;

// One rule per layer: nothing in it imports any layer above it. This is what keeps the flow one-directional;
// the named rules further down restate the boundaries people cross most, so their messages say exactly which.
const layerRules = LAYERS.slice(0, -1).map((layer, index) => ({
  name: `layer-${layer.name}-not-up`,
  comment:
    `The '${layer.name}' layer must not import a higher layer ` +
    `(${LAYERS.slice(index + 1)
      .map((higher) => higher.name)
      .join(', ')}): the flow's layers only point down.`,
  severity: 'error',
  from: { path: layer.paths },
  to: { path: LAYERS.slice(index + 1).flatMap((higher) => higher.paths) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment:
        'Import cycles make load order matter (an import can be undefined when first read) and tie modules that ' +
        'should be separable; the layer rules cannot see cycles inside one folder.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },

    ...layerRules,

    {
      name: 'unlayered-module',
      comment:
        'Every module in src/, jobs/ and workers/ belongs to a layer above; a new folder or top-level file must be ' +
        'placed in LAYERS (and in README "Layout") before it imports or is imported, so the layer rules see it.',
      severity: 'error',
      from: { path: '^(src|jobs|workers)/', pathNot: ALL_LAYER_PATHS },
      to: {},
    },
    {
      name: 'unlayered-module-imported',
      comment: 'See unlayered-module: importing a module that belongs to no layer hides it from the layer rules.',
      severity: 'error',
      from: {},
      to: { path: '^(src|jobs|workers)/', pathNot: ALL_LAYER_PATHS },
    },

    {
      name: 'jobs-only-contract-deps',
      comment:
        'jobs/ is the job contract: it may import only node: built-ins, zod and bullmq (and itself), so workers ' +
        'and producers can share it without pulling in the rest of the code.',
      severity: 'error',
      from: { path: '^jobs/' },
      to: {
        dependencyTypesNot: ['core'],
        pathNot: ['^jobs/', '(^|/)node_modules/(zod|bullmq)/'],
      },
    },
    {
      name: 'options-no-connections',
      comment:
        'src/options turns flags, files and environment into checked values: it must never open a connection, ' +
        'so resolving options (and failing on a bad one) happens before anything touches Redis.',
      severity: 'error',
      from: { path: '^src/options/' },
      to: { path: '^src/redis/' },
    },
    {
      name: 'only-cli-imports-cli',
      comment:
        'src/cli is the top of the flow: only src/cli itself (and bin/, which loads the compiled CLI) may import ' +
        'it; tests may import anything.',
      severity: 'error',
      from: { pathNot: ['^src/cli/', '^bin/', '^test/'] },
      to: { path: '^src/cli/' },
    },
    {
      name: 'only-entries-import-orchestrate',
      comment:
        'src/orchestrate wires the whole run; only the entry points (src/cli, src/index.ts) and the benchmarks ' +
        'may import it. Anything else importing it would depend on every part of the flow.',
      severity: 'error',
      from: { pathNot: ['^src/orchestrate/', '^src/cli/', exactFile('src/index.ts'), '^bench/', '^test/'] },
      to: { path: '^src/orchestrate/' },
    },
    {
      name: 'workers-only-what-they-run-on',
      comment:
        'workers/ runs jobs in its own processes: it depends only on jobs/, basics, options, rerank, redis, cache, ' +
        'monitor and state, never on orchestrate, cli, collect, enqueue, write, evaluate, plan (or read, serve), so a worker ' +
        'process loads only what processing a job needs.',
      severity: 'error',
      from: { path: '^workers/' },
      to: {
        path: '^(src|bench)/',
        pathNot: [...BASICS, '^src/options/', '^src/rerank/', '^src/redis/', '^src/cache/', '^src/monitor/', '^src/state/'],
      },
    },
    {
      name: 'read-stays-low',
      comment:
        'src/read streams input files; it must not know about evaluation, planning, job flow, run state, outputs ' +
        'or commands. src/evaluate may import src/read, never the other way round.',
      severity: 'error',
      from: { path: '^src/read/' },
      to: {
        path: [
          '^src/evaluate/',
          '^src/plan/',
          '^src/enqueue/',
          '^src/collect/',
          '^src/write/',
          '^src/orchestrate/',
          '^src/cli/',
          '^src/state/',
        ],
      },
    },
    {
      name: 'serve-not-to-entries',
      comment:
        'src/serve (the built-in rerank server) runs inside benchmarks, tests and `rerank-batch serve`; it must ' +
        'not import the run orchestration or the CLI.',
      severity: 'error',
      from: { path: '^src/serve/' },
      to: { path: ['^src/orchestrate/', '^src/cli/'] },
    },

    {
      name: 'not-to-dev-dep',
      comment:
        'Production code (src/, jobs/, workers/) must not import a devDependency (vitest, testcontainers, ...): ' +
        'an installed package does not have them. Type-only imports count too, since the emitted .d.ts would ' +
        'name them. @types/* are exempt.',
      severity: 'error',
      from: { path: '^(src|jobs|workers)/' },
      to: { dependencyTypes: ['npm-dev'], pathNot: ['(^|/)node_modules/@types/'] },
    },
    {
      name: 'no-non-package-json',
      comment:
        'An npm package imported but not listed in package.json (a transitive dependency) may be missing or at ' +
        'another version when installed elsewhere: list it in dependencies.',
      severity: 'error',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve to a file fails at run time (or names a missing package).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-orphans',
      comment:
        'A module nothing imports and that imports nothing is dead code (or an entry point that should import ' +
        'what it uses): remove it or use it. Declaration files are exempt.',
      severity: 'error',
      from: { orphan: true, pathNot: ['\\.d\\.(c|m)?ts$'] },
      to: {},
    },
  ],

  options: {
    // Check the packages' own imports only at the edge: what is in node_modules is not ours to lint.
    doNotFollow: { path: '(^|/)node_modules/' },
    // Count type-only imports (see the top of this file).
    tsPreCompilationDeps: true,
    // Resolve the NodeNext '.js' specifiers to the .ts sources the way tsc does.
    tsConfig: { fileName: 'tsconfig.json' },
    // Resolve packages through their "exports" maps (e.g. csv-stringify/sync), as Node does.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
