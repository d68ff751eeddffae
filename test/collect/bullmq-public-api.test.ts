import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/paths.js';

/**
 * rerank-batch talks to BullMQ through its public API only, which is what lets package.json take any
 * bullmq 5.x (a caret range): BullMQ's key layout and the fields of its job hashes are private and
 * change between versions. This fails when code reads them again.
 */
const SOURCE_DIRS = ['src', 'workers', 'jobs'];

/** Fields of BullMQ's job hash: result, attempts started and made, times, failure. */
const JOB_HASH_FIELDS = ['returnvalue', 'ats', 'atm', 'attemptsMade', 'finishedOn', 'processedOn', 'failedReason', 'stacktrace'];
const FIELD = JOB_HASH_FIELDS.join('|');

const FORBIDDEN: [what: string, pattern: RegExp][] = [
  ['a BullMQ key built from its layout (toKey)', /\btoKey\s*\(/],
  ['a BullMQ key from its key map (queue.keys)', /\.keys\s*\.\s*[A-Za-z]|\.keys\s*\[/],
  // A hash read (hget, hmget, hgetall, their Buffer forms) naming a job-hash field, also over several lines.
  ['a job-hash field read with HGET/HMGET/HGETALL', new RegExp(`\\.h(?:m?get|getall)(?:Buffer)?\\s*\\([^;]*?['"\`](?:${FIELD})['"\`]`)],
  // The same through a raw command (call, send_command, a script).
  ['a job-hash field read with a raw HGET/HMGET command', new RegExp(`['"\`]h(?:m?get|getall)['"\`][^;]*?['"\`](?:${FIELD})['"\`]`, 'i')],
];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(join(repoRoot, dir), { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile() && /\.(?:ts|js|mjs|cjs|lua)$/.test(e.name)).map((e) => join(e.parentPath, e.name));
}

/** Offences in a source text: what, and the line. */
function offences(text: string): { what: string; line: number }[] {
  const found: { what: string; line: number }[] = [];
  for (const [what, pattern] of FORBIDDEN) {
    const everywhere = new RegExp(pattern.source, `${pattern.flags}g`);
    for (const match of text.matchAll(everywhere)) found.push({ what, line: text.slice(0, match.index).split('\n').length });
  }
  return found;
}

describe('BullMQ through its public API only', () => {
  it('the check catches what the collector and producer used to do', () => {
    // The collector's old result read, and the producer's old key check, must be caught.
    expect(offences(`for (const id of ids) pipeline.hmget(this.queue.toKey(id), 'returnvalue', 'ats');`).map((o) => o.what)).toEqual([
      'a BullMQ key built from its layout (toKey)',
      'a job-hash field read with HGET/HMGET/HGETALL',
    ]);
    expect(offences(`const known = await store.collectedOrQueued(runId, ids, ids.map((id) => queue.toKey(id)));`)).toHaveLength(1);
    expect(offences(`await redis.hget(\n  jobKey,\n  "finishedOn",\n);`)).toHaveLength(1);
    expect(offences(`await client.hgetall(queue.keys.completed);`)).toHaveLength(1);
    expect(offences(`await redis.call('HMGET', key, 'atm');`)).toHaveLength(1);
    // Reading a run's own state, or a Job's public properties, is fine.
    expect(offences(`await this.redis.hmget(this.runKey(runId), 'collectedPairs', 'apiRequests');`)).toEqual([]);
    expect(offences(`attempts: Math.max(1, job.attemptsMade), value: job.returnvalue, at: job.finishedOn`)).toEqual([]);
    expect(offences(`for (const key of map.keys()) use(key);`)).toEqual([]);
  });

  it('no source under src/, workers/ or jobs/ reads BullMQ keys or job-hash fields', async () => {
    const bad: string[] = [];
    let files = 0;
    for (const dir of SOURCE_DIRS) {
      for (const file of await sourceFiles(dir)) {
        files += 1;
        for (const { what, line } of offences(await readFile(file, 'utf8'))) bad.push(`${relative(repoRoot, file)}:${line}: ${what}`);
      }
    }
    expect(files).toBeGreaterThan(20);
    expect(bad).toEqual([]);
  });
});
