import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** The shared test collections, beside the checkout in development and in CI (not shipped to users). */
export const sharedData = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
export const hasSharedData = existsSync(sharedData);

/** A fresh temporary directory, removed by the returned function. */
export async function tempDir(name: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `rerank-batch-${name}-`));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** Parse a trec_eval output file: "measure<TAB>qid<TAB>value" lines, keyed `measure` for qid "all". */
export function parseTrecEvalAll(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const [measure, qid, value] = line.split('\t').map((s) => s.trim());
    if (measure !== undefined && qid === 'all' && value !== undefined) out.set(measure, value);
  }
  return out;
}
