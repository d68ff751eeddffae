import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { InputError } from '../errors/input-error.js';
import { toInputError } from '../read/open-text-stream.js';
import { OUTPUT_FILES } from '../write/write-outputs.js';

/** What the report reads of manifest.json; the rest of it is shown as it is (options). */
const manifestSchema = z.object({
  run_id: z.string(),
  complete: z.boolean(),
  started_at: z.string(),
  finished_at: z.string(),
  duration_seconds: z.number(),
  outcome: z.string(),
  counts: z.record(z.string(), z.number().nullable()),
  provider: z.string().optional(),
  model: z.string().nullable().optional(),
  api_url: z.string().optional(),
  builtin_server: z.boolean().optional(),
  template: z.object({ name: z.string() }).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  option_sources: z.record(z.string(), z.string()).optional(),
  inputs: z.object({ qrels: z.object({ path: z.string(), sha256: z.string() }).optional() }).nullable().optional(),
});

export type Manifest = z.infer<typeof manifestSchema>;

const comparisonSchema = z.object({
  baseline: z.number(),
  reranked: z.number(),
  delta: z.number(),
  p_value: z.number().nullable(),
  ci95_low: z.number().nullable(),
  ci95_high: z.number().nullable(),
  wins: z.number(),
  ties: z.number(),
  losses: z.number(),
});

export type MeasureComparisonJson = z.infer<typeof comparisonSchema>;

const metricsSchema = z.object({
  reranked: z.record(z.string(), z.number()),
  baseline: z.record(z.string(), z.number()).optional(),
  comparison: z.record(z.string(), comparisonSchema).optional(),
  baseline_queries: z.number().optional(),
  queries_without_baseline: z.number(),
  rel_level: z.number(),
  queries_evaluated: z.number(),
  run_queries_not_in_qrels: z.number(),
});

export type MetricsJson = z.infer<typeof metricsSchema>;

/** The out dir must be a directory: ERR_INPUT_FILE otherwise. */
export async function checkOutDir(outDir: string): Promise<void> {
  const info = await stat(outDir).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new InputError('ERR_INPUT_FILE', 'no such directory: give the --out directory of a run', { file: outDir });
    throw toInputError(err, outDir);
  });
  if (!info.isDirectory()) throw new InputError('ERR_INPUT_FILE', 'not a directory: give the --out directory of a run', { file: outDir });
}

async function readJson<T>(file: string, schema: z.ZodType<T>): Promise<T> {
  const text = await readFile(file, 'utf8').catch((err: unknown) => {
    throw toInputError(err, file);
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError('ERR_INPUT_JSON', `not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError('ERR_INPUT_JSON', `not a rerank-batch ${file.endsWith(OUTPUT_FILES.manifest) ? 'manifest' : 'metrics file'}: ${issue?.message ?? 'unexpected shape'}`, {
      file,
      ...(issue === undefined || issue.path.length === 0 ? {} : { field: issue.path.join('.') }),
    });
  }
  return parsed.data;
}

/** manifest.json of the out dir. @throws InputError ERR_INPUT_FILE (absent, unreadable), ERR_INPUT_JSON (malformed). */
export async function readManifest(outDir: string): Promise<Manifest> {
  const file = join(outDir, OUTPUT_FILES.manifest);
  await stat(file).catch((err: unknown) => {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new InputError('ERR_INPUT_FILE', 'no manifest.json: not the --out directory of a run, or its outputs are not written yet', { file });
    }
  });
  return readJson(file, manifestSchema);
}

/** metrics.json of the out dir, or undefined when the run had no qrels (none, or only its `labels` section). @throws as readManifest. */
export async function readMetrics(outDir: string): Promise<MetricsJson | undefined> {
  const file = join(outDir, OUTPUT_FILES.metrics);
  const exists = await stat(file).then(
    () => true,
    (err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw toInputError(err, file);
    },
  );
  if (!exists) return undefined;
  const metrics = await readJson(file, z.union([metricsSchema, z.object({ labels: z.unknown() })]));
  return 'reranked' in metrics ? metrics : undefined;
}
