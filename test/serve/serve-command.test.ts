import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerServeCommand, serveOptionsOf } from '../../src/cli/serve-command.js';
import { parseKindText } from '../../src/options/option-kinds.js';
import { OPTIONS, type OptionKey } from '../../src/options/option-table.js';
import { resolveOptions } from '../../src/options/resolve-options.js';
import { UsageError } from '../../src/errors/usage-error.js';

/** Options as the command line gives them: text, parsed the way `serve` parses each flag. */
function fromFlags(flags: Record<string, string>, env: NodeJS.ProcessEnv): ReturnType<typeof serveOptionsOf> {
  const cli = Object.fromEntries(Object.entries(flags).map(([key, text]) => [key, parseKindText(OPTIONS[key as OptionKey].kind, text)]));
  return serveOptionsOf(resolveOptions('serve', { cli, env }), env);
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('serve command', () => {
  it('turns flags into server options and reads the key from the environment', () => {
    expect(fromFlags({ rate429: '0.25', maxRps: '50' }, { RERANK_SERVER_API_KEY: 'k' })).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      rate429: 0.25,
      maxRequestsPerSecond: 50,
      apiKey: 'k',
    });
    expect(fromFlags({}, {})).toMatchObject({ dialect: 'regolo', host: '127.0.0.1', port: 0, seed: 1, maxDocuments: undefined, retryAfterSeconds: 1, apiKey: undefined });
  });

  it('leaves the documents cap to the dialect unless --max-documents is given', () => {
    expect(fromFlags({ dialect: 'tei' }, {})).toMatchObject({ dialect: 'tei', maxDocuments: undefined });
    expect(fromFlags({ dialect: 'tei', maxDocuments: '1000' }, {})).toMatchObject({ dialect: 'tei', maxDocuments: 1000 });
  });

  it.each([
    [{ rate429: '1.5' }, /--rate-429/],
    [{ rateHang: 'x' }, /--rate-hang/],
    [{ port: '70000' }, /--port/],
    [{ port: '1.5' }, /--port/],
    [{ latencyMs: '-1' }, /--latency-ms/],
    [{ maxRps: '0' }, /--max-rps/],
    [{ seed: '' }, /--seed/],
  ])('rejects %o with UsageError', (bad, message) => {
    expect(() => fromFlags(bad, {})).toThrow(UsageError);
    expect(() => fromFlags(bad, {})).toThrow(message);
  });

  it('prints the URL, serves until SIGTERM, then closes', async () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const program = new Command().exitOverride();
    let exitCode: number | undefined;
    registerServeCommand(program, (code) => {
      exitCode = code;
    });
    const running = program.parseAsync(['node', 'rerank-batch', 'serve', '--port', '0', '--seed', '3']);
    while (written.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const url = (written[0] ?? '').trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/rerank$/);
    const response = await fetch(url, { method: 'POST', body: JSON.stringify({ model: 'm', query: 'a', documents: ['a', 'b'] }) });
    expect(response.status).toBe(200);
    process.emit('SIGTERM', 'SIGTERM');
    await running;
    expect(exitCode).toBe(0);
    await expect(fetch(url, { method: 'POST', body: '{}' })).rejects.toThrow();
  });

  it('serves the dialect given with --dialect on its documented path', async () => {
    const written: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const program = new Command().exitOverride();
    registerServeCommand(program, () => undefined);
    const running = program.parseAsync(['node', 'rerank-batch', 'serve', '--port', '0', '--dialect', 'mixedbread']);
    while (written.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const url = (written[0] ?? '').trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/reranking$/);
    const response = await fetch(url, { method: 'POST', body: JSON.stringify({ model: 'm', query: 'a', input: ['a', 'b'] }) });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { object: string }).object).toBe('list');
    process.emit('SIGTERM', 'SIGTERM');
    await running;
  });

  it('throws UsageError for a bad option value', async () => {
    const program = new Command().exitOverride();
    registerServeCommand(program, () => undefined);
    await expect(program.parseAsync(['node', 'rerank-batch', 'serve', '--rate-5xx', '2'])).rejects.toThrow(UsageError);
  });
});
