import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors/error-codes.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** A code in README.md; a wildcard like `ERR_INPUT_*` reads as `ERR_INPUT`, which is no code. */
const README_CODE = /\bERR_[A-Z0-9_]*[A-Z0-9]/g;
/** A whole code in source; a prefix such as the type `ERR_API_${string}` is not one. */
const SOURCE_CODE = /\bERR_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_])/g;
const known: ReadonlySet<string> = new Set(ERROR_CODES);
/** Words of the code shape that are no codes: ir_measures' intent-aware ERR measure, which eval refuses by name. */
const NOT_CODES: ReadonlySet<string> = new Set(['ERR_IA']);

function codesIn(text: string, pattern = README_CODE): Set<string> {
  return new Set((text.match(pattern) ?? []).filter((word) => !NOT_CODES.has(word)));
}

/** The `## Errors` section of README.md, up to the next `## ` heading. */
function errorsSection(readme: string): string {
  const start = readme.indexOf('\n## Errors\n');
  expect(start, 'README.md has a "## Errors" section').toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Codes named in the TypeScript sources of src/, workers/ and jobs/, except the list itself. */
function sourceCodes(): Map<string, string> {
  const where = new Map<string, string>();
  for (const folder of ['src', 'workers', 'jobs']) {
    for (const name of readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })) {
      const path = join(folder, name);
      if (!path.endsWith('.ts') || path === join('src', 'errors', 'error-codes.ts')) continue;
      for (const code of codesIn(readFileSync(join(ROOT, path), 'utf8'), SOURCE_CODE)) if (!where.has(code)) where.set(code, path);
    }
  }
  return where;
}

describe('ERROR_CODES', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

  it('are each listed in README.md ## Errors', () => {
    const listed = codesIn(errorsSection(readme));
    expect(ERROR_CODES.filter((code) => !listed.has(code))).toEqual([]);
  });

  it('hold every code README.md names', () => {
    expect([...codesIn(readme)].filter((code) => !known.has(code))).toEqual([]);
  });

  it('hold every code the sources name, and only those (jobs/ and workers/ cannot import the type)', () => {
    const used = sourceCodes();
    expect([...used].filter(([code]) => !known.has(code))).toEqual([]);
    expect(ERROR_CODES.filter((code) => !used.has(code))).toEqual([]);
  });

  it('have no repeats', () => {
    expect(known.size).toBe(ERROR_CODES.length);
  });
});
