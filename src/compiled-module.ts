import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The URL of a compiled module (`.js`) at `specifier` relative to `from` (the caller's import.meta.url), for
 * what must be started as a file of its own: a worker thread, a child process. Installed, `from` is already
 * compiled and the sibling is next to it. Run from the TypeScript sources (the test suite runs src/ through
 * Vitest), the sibling is the same path under dist/, which `npm test` builds before it runs.
 */
export function compiledModule(specifier: string, from: string): URL {
  const url = new URL(specifier, from);
  if (!from.endsWith('.ts')) return url;
  // This file is src/compiled-module.ts here, so the package root is one level up.
  const root = fileURLToPath(new URL('..', import.meta.url));
  return pathToFileURL(join(root, 'dist', relative(root, fileURLToPath(url))));
}
