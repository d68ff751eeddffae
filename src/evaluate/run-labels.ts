import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors/usage-error.js';

/** A run file and the name tables give it. */
export interface LabelledRun {
  name: string;
  file: string;
}

/** What may name a run in `NAME=FILE`: no `=`, no path separator, not empty. */
const LABEL = /^[^=/\\]+$/;

/**
 * Names the runs of `eval --run`. An argument `NAME=FILE` names its file NAME, unless the whole argument
 * is an existing file; anything else is a file, named by its base name (`runs/bm25.trec` is `bm25.trec`),
 * or by the path as given when another run has the same base name.
 * @throws UsageError when two runs end up with the same name.
 */
export function labelRuns(items: readonly string[], exists: (file: string) => boolean = existsSync): LabelledRun[] {
  const parsed = items.map((item) => {
    const eq = item.indexOf('=');
    const label = eq > 0 ? item.slice(0, eq) : '';
    if (LABEL.test(label) && eq < item.length - 1 && !exists(item)) return { name: label, file: item.slice(eq + 1), labelled: true };
    return { name: basename(item), file: item, labelled: false };
  });
  const baseNames = new Map<string, number>();
  for (const run of parsed) if (!run.labelled) baseNames.set(run.name, (baseNames.get(run.name) ?? 0) + 1);
  const runs = parsed.map((run) => ({ name: !run.labelled && (baseNames.get(run.name) ?? 0) > 1 ? run.file : run.name, file: run.file }));
  const seen = new Set<string>();
  for (const run of runs) {
    if (seen.has(run.name)) throw new UsageError(`--run: two runs are named "${run.name}" (name them: --run NAME=FILE)`);
    seen.add(run.name);
  }
  return runs;
}

/**
 * Which run `--baseline` names: a run's name, else its file as given.
 * @returns its index; 0 (the first run) when `baseline` is undefined.
 * @throws UsageError when no run has that name or file.
 */
export function baselineIndex(runs: readonly LabelledRun[], baseline: string | undefined): number {
  if (baseline === undefined) return 0;
  let index = runs.findIndex((run) => run.name === baseline);
  if (index < 0) index = runs.findIndex((run) => run.file === baseline);
  if (index < 0) throw new UsageError(`--baseline ${baseline}: no --run has that name or file (runs: ${runs.map((run) => run.name).join(', ')})`);
  return index;
}
