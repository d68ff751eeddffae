import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/usage-error.js';
import { COMMANDS, type CommandName } from '../../src/options/commands.js';
import { parseConfigText } from '../../src/options/config-file.js';
import { configTemplate } from '../../src/options/config-template.js';
import { DEFAULTS } from '../../src/options/option-table.js';
import { resolveOptions } from '../../src/options/resolve-options.js';

function resolveRun(yaml: string, cli: Record<string, unknown> = {}, env: NodeJS.ProcessEnv = {}) {
  return resolveOptions('run', { cli: { out: 'out', input: 'pairs.csv', ...cli }, env, file: parseConfigText('job.yaml', yaml) });
}

describe('config file', () => {
  it('sets options by their flag names (or camelCase) with precedence cli > env > file > default, and says where each came from', () => {
    const { options, sources } = resolveRun('max-pending: 64\nconcurrency: 3\nmodel: m-file\nredis: redis://file:6379\ncolumns:\n  query_id: topic\nrunTag: tagged\n', { concurrency: 5 }, { REDIS_URL: 'redis://env:6379' });
    expect(options).toMatchObject({ maxPending: 64, concurrency: 5, model: 'm-file', redis: 'redis://env:6379', columns: { queryId: 'topic' }, runTag: 'tagged', timeoutMs: DEFAULTS.timeoutMs });
    expect(sources).toMatchObject({ maxPending: 'file', concurrency: 'cli', model: 'file', redis: 'env', columns: 'file', runTag: 'file', timeoutMs: 'default', input: 'cli' });
  });

  it('reads JSON too, with line numbers', () => {
    const json = '{\n  "max-pending": 10,\n  "on-bad-row": "sometimes"\n}\n';
    expect(() => resolveOptions('run', { cli: { out: 'o', input: 'i' }, file: parseConfigText('job.json', json) })).toThrow(/^job\.json:3: on-bad-row: expected one of fail, skip, got "sometimes"$/);
    expect(resolveOptions('run', { cli: { out: 'o', input: 'i' }, file: parseConfigText('job.json', '{"max-pending": 10}') }).options.maxPending).toBe(10);
  });

  it.each([
    ['max-pendng: 5\n', /^job\.yaml:1: unknown option "max-pendng" \(did you mean "max-pending"\?\)$/],
    ['model: m\n\nconcurency: 4\n', /^job\.yaml:3: unknown option "concurency" \(did you mean "concurrency"\?\)$/],
    ['api-key: sk-123\n', /^job\.yaml:1: "api-key": secrets come from the environment only \(RERANK_API_KEY/],
    ['model: m\napiKey: sk-123\n', /^job\.yaml:2: "apiKey": secrets come from the environment only/],
    ['redis: redis://user:hunter2@host:6379\n', /^job\.yaml:1: redis: the URL holds a password; secrets come from the environment only \(REDIS_URL\)$/],
    ['model: [unclosed\n', /^job\.yaml:\d+: not valid YAML\/JSON/],
    ['- just\n- a list\n', /^job\.yaml:1: expected a mapping/],
    ['max-pending: 5\nmaxPending: 6\n', /^job\.yaml:2: "maxPending" sets max-pending a second time$/],
  ])('refuses %j naming the file and line', (text, message) => {
    expect(() => parseConfigText('job.yaml', text)).toThrow(UsageError);
    expect(() => parseConfigText('job.yaml', text)).toThrow(message);
  });

  it.each([
    ['max-pending: 0\n', /^job\.yaml:1: max-pending: expected an integer >= 1, got 0$/],
    ['timeout-ms: fast\n', /^job\.yaml:1: timeout-ms: .*got "fast"$/],
    ['\n\nrun-tag: two words\n', /^job\.yaml:3: run-tag: must be one word/],
    ['api-url: ftp://x\n', /^job\.yaml:1: api-url: expected a http or https URL/],
  ])('checks %j with the option schema, naming the file and line', (text, message) => {
    expect(() => resolveRun(text)).toThrow(message);
  });

  it('names the flag or the variable for a bad value from there', () => {
    expect(() => resolveRun('', { maxPending: 0 })).toThrow(/^--max-pending: expected an integer >= 1, got 0$/);
    expect(() => resolveRun('', {}, { RERANK_API_URL: 'not a url' })).toThrow(/^environment variable RERANK_API_URL: expected a http or https URL/);
  });

  it("`init`'s template is a valid config that sets nothing, and each default line, uncommented, sets its default", () => {
    const template = configTemplate();
    expect(parseConfigText('t.yaml', template).values.size).toBe(0);
    const uncommented = template
      .split('\n')
      .map((line) => (/^# [a-z0-9-]+: \S/.test(line) ? line.slice(2) : line))
      .join('\n');
    const file = parseConfigText('t.yaml', uncommented);
    expect(file.values.size).toBeGreaterThan(30);
    const required: Record<string, unknown> = { out: 'o', input: 'i', runId: 'r1', qrels: 'q', run: ['r'] };
    for (const command of Object.keys(COMMANDS) as CommandName[]) {
      const takes: readonly string[] = COMMANDS[command].options;
      const cli = Object.fromEntries(Object.entries(required).filter(([key]) => takes.includes(key)));
      const plain = resolveOptions(command, { cli });
      const fromFile = resolveOptions(command, { cli, file });
      // serve's own seed default (1) differs from the template's (eval's 42), and the dashboard's port (3000)
      // from serve's: a file sets each for both commands.
      const { seed: _a, port: _c, ...plainRest } = plain.options as Record<string, unknown>;
      const { seed: _b, port: _d, ...fileRest } = fromFile.options as Record<string, unknown>;
      expect(fileRest, command).toEqual(plainRest);
    }
  });
});
