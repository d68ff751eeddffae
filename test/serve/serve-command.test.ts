import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerServeCommand, serveOptionsFromFlags } from '../../src/cli/serve-command.js';
import { UsageError } from '../../src/errors/usage-error.js';

const flags = {
  host: '127.0.0.1',
  port: '0',
  latencyMs: '0',
  rate429: '0',
  rate5xx: '0',
  rateHang: '0',
  rateReset: '0',
  rateMalformed: '0',
  rateMissing: '0',
  retryAfter: '1',
  maxDocuments: '1000',
  seed: '1',
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('serve command', () => {
  it('turns flags into server options and reads the key from the environment', () => {
    expect(serveOptionsFromFlags({ ...flags, rate429: '0.25', maxRps: '50' }, { RERANK_SERVER_API_KEY: 'k' })).toMatchObject({
      host: '127.0.0.1',
      port: 0,
      rate429: 0.25,
      maxRequestsPerSecond: 50,
      apiKey: 'k',
    });
    expect(serveOptionsFromFlags(flags, {}).apiKey).toBeUndefined();
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
    expect(() => serveOptionsFromFlags({ ...flags, ...bad }, {})).toThrow(UsageError);
    expect(() => serveOptionsFromFlags({ ...flags, ...bad }, {})).toThrow(message);
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

  it('throws UsageError for a bad option value', async () => {
    const program = new Command().exitOverride();
    registerServeCommand(program, () => undefined);
    await expect(program.parseAsync(['node', 'rerank-batch', 'serve', '--rate-5xx', '2'])).rejects.toThrow(UsageError);
  });
});
