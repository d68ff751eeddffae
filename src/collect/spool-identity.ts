import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { checkSameInput, type InputIdentity } from '../state/input-identity.js';
import { openFile, outputError, publishFile, writeAll } from './durable-file.js';

/** Where rerank-batch keeps its own files inside the output directory (the spools). */
export const STATE_DIR = '.rerank-batch';

/** Where a run's spool lives in an output directory. */
export function spoolPathOf(out: string, runId: string): string {
  return join(out, STATE_DIR, `${runId}.spool`);
}

/** `cacheDir`: the score cache every score of the spool was stored in before it was spooled. */
const identitySchema = z.object({ runId: z.string(), inputs: z.record(z.string(), z.string()), cacheDir: z.string().optional() });

function readRecord(spoolPath: string): z.infer<typeof identitySchema> | undefined {
  const path = `${spoolPath}.inputs.json`;
  if (!existsSync(path)) return undefined;
  try {
    return identitySchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  } catch (err) {
    throw outputError(err, path);
  }
}

/**
 * A spool belongs to one input: `<spool>.inputs.json` beside it records that input's checksums (see
 * recordSpoolInput). A run of the same id with another input (Redis having forgotten the first one) is
 * refused here, before anything of the old spool is merged into its outputs. Returns whether the spool's
 * input is recorded (a spool from before this record has none: record it once the spool is open).
 */
export function checkSpoolInput(spoolPath: string, runId: string, inputs: InputIdentity): boolean {
  const recorded = readRecord(spoolPath);
  if (recorded === undefined) return false;
  checkSameInput(runId, recorded.inputs, inputs, `the spool ${spoolPath} holds its scores`);
  return true;
}

/**
 * Whether every score of the spool is in the score cache in `cacheDir` (its collector stored each there
 * first): then the spool can be dropped and its run planned again from the cache, at no cost.
 */
export function spoolIsCachedIn(spoolPath: string, cacheDir: string): boolean {
  return existsSync(spoolPath) && readRecord(spoolPath)?.cacheDir === cacheDir;
}

/** Remove a spool and its input record (its scores are in the cache: spoolIsCachedIn). */
export function discardSpool(spoolPath: string): void {
  rmSync(`${spoolPath}.inputs.json`, { force: true });
  rmSync(spoolPath, { force: true });
}

/** Record the input of a spool (durably, before its first batch is collected), and the score cache its scores go to. */
export async function recordSpoolInput(spoolPath: string, runId: string, inputs: InputIdentity, cacheDir?: string): Promise<void> {
  const path = `${spoolPath}.inputs.json`;
  const tmp = `${path}.tmp`;
  try {
    const fd = await openFile(tmp, 'w');
    await writeAll(fd, Buffer.from(`${JSON.stringify({ runId, inputs, ...(cacheDir === undefined ? {} : { cacheDir }) })}\n`), 0);
    await publishFile(fd, tmp, path);
  } catch (err) {
    throw outputError(err, path);
  }
}
