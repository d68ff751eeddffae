import { readFile } from 'node:fs/promises';
import { isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { UsageError } from '../errors/usage-error.js';
import { OPTIONS, optionName, type OptionKey } from './option-table.js';

/** A config file's options by kebab-case name, each with the line it is on. */
export interface ConfigFile {
  path: string;
  values: Map<string, { value: unknown; line: number }>;
}

/** Keys that would hold a secret: refused, since secrets come from the environment only. */
const SECRET_KEY = /(^|[-_])(api[-_]?key|apikey|key|token|secret|password|passwd|authorization|auth)$/i;

/** Every option name (kebab-case) and its camelCase key, to the option. */
function optionsByName(): Map<string, OptionKey> {
  const names = new Map<string, OptionKey>();
  for (const key of Object.keys(OPTIONS) as OptionKey[]) {
    names.set(optionName(key), key);
    names.set(key, key);
  }
  return names;
}

/** Edit distance, for "did you mean" on a mistyped key. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function suggestion(name: string): string {
  let best: string | undefined;
  let bestDistance = 3;
  for (const key of Object.keys(OPTIONS) as OptionKey[]) {
    const candidate = optionName(key);
    const d = distance(name.toLowerCase(), candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best === undefined ? '' : ` (did you mean "${best}"?)`;
}

/**
 * Read a YAML or JSON config file (JSON is YAML, so one parser serves both and gives line numbers for
 * both). Keys are option names as on the command line without `--` (`max-pending`), or the library's
 * camelCase (`maxPending`). A key that is no option, a secret, or a Redis URL with a password is an
 * error naming the file and line. Values are checked later, with every other source's.
 */
export async function loadConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`--config ${path}: cannot read the file: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseConfigText(path, text);
}

export function parseConfigText(path: string, text: string): ConfigFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const firstError = doc.errors[0];
  if (firstError !== undefined) {
    const line = lineCounter.linePos(firstError.pos[0]).line;
    throw new UsageError(`${path}:${line}: not valid YAML/JSON: ${firstError.message.split('\n')[0] ?? ''}`);
  }
  const values = new Map<string, { value: unknown; line: number }>();
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) return { path, values };
  if (!isMap(doc.contents)) throw new UsageError(`${path}:1: expected a mapping of option names to values`);
  const names = optionsByName();
  for (const item of doc.contents.items) {
    const keyNode = item.key;
    const line = isScalar(keyNode) && keyNode.range !== undefined && keyNode.range !== null ? lineCounter.linePos(keyNode.range[0]).line : 1;
    const rawName = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    if (SECRET_KEY.test(rawName)) {
      throw new UsageError(`${path}:${line}: "${rawName}": secrets come from the environment only (RERANK_API_KEY for the API key), never from a config file`);
    }
    const key = names.get(rawName);
    if (key === undefined) throw new UsageError(`${path}:${line}: unknown option "${rawName}"${suggestion(rawName)}`);
    const name = optionName(key);
    if (values.has(name)) throw new UsageError(`${path}:${line}: "${rawName}" sets ${name} a second time`);
    const value: unknown = isScalar(item.value) || item.value === null ? (item.value?.toJSON() ?? null) : item.value.toJSON();
    // A key with no value (`qrels:`) leaves the option unset, as in the template `init` writes.
    if (value === null) continue;
    if (key === 'redis' && typeof value === 'string' && /^[a-z+]+:\/\/[^/@]*:[^/@]*@/i.test(value)) {
      throw new UsageError(`${path}:${line}: redis: the URL holds a password; secrets come from the environment only (REDIS_URL)`);
    }
    values.set(name, { value, line });
  }
  return { path, values };
}
