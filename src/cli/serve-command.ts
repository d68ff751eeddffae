import type { Command } from 'commander';
import { ExitCode } from './exit-codes.js';
import { UsageError } from '../errors/usage-error.js';
import { createLogger } from '../logger.js';
import { SERVER_DEFAULTS, startRerankServer, type RerankServerOptions, type RunningRerankServer } from '../serve/rerank-server.js';

/** Env var holding the key the local server demands (unset: no auth). */
export const SERVER_API_KEY_ENV = 'RERANK_SERVER_API_KEY';

interface ServeFlags {
  host: string;
  port: string;
  latencyMs: string;
  rate429: string;
  rate5xx: string;
  rateHang: string;
  rateReset: string;
  rateMalformed: string;
  rateMissing: string;
  retryAfter: string;
  maxRps?: string;
  maxDocuments: string;
  seed: string;
}

function parseNumber(flag: string, raw: string, rule: { min?: number; max?: number; integer?: boolean; positive?: boolean }): number {
  const value = Number(raw);
  const ok =
    raw.trim() !== '' &&
    Number.isFinite(value) &&
    (rule.integer !== true || Number.isInteger(value)) &&
    (rule.min === undefined || value >= rule.min) &&
    (rule.max === undefined || value <= rule.max) &&
    (rule.positive !== true || value > 0);
  if (!ok) {
    const want = [
      rule.integer === true ? 'an integer' : 'a number',
      rule.positive === true ? '> 0' : rule.min === undefined ? '' : `>= ${rule.min}`,
      rule.max === undefined ? '' : `<= ${rule.max}`,
    ].filter((part) => part !== '');
    throw new UsageError(`option ${flag}: expected ${want.join(' ')}, got "${raw}"`);
  }
  return value;
}

const probability = (flag: string, raw: string): number => parseNumber(flag, raw, { min: 0, max: 1 });

/** Turn the command's flags into server options; UsageError names the bad flag. */
export function serveOptionsFromFlags(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): RerankServerOptions {
  if (flags.host.trim() === '') throw new UsageError('option --host: must not be empty');
  const apiKey = env[SERVER_API_KEY_ENV];
  return {
    host: flags.host.trim(),
    port: parseNumber('--port', flags.port, { min: 0, max: 65535, integer: true }),
    latencyMs: parseNumber('--latency-ms', flags.latencyMs, { min: 0 }),
    rate429: probability('--rate-429', flags.rate429),
    rate5xx: probability('--rate-5xx', flags.rate5xx),
    rateHang: probability('--rate-hang', flags.rateHang),
    rateReset: probability('--rate-reset', flags.rateReset),
    rateMalformed: probability('--rate-malformed', flags.rateMalformed),
    rateMissingResult: probability('--rate-missing', flags.rateMissing),
    retryAfterSeconds: parseNumber('--retry-after', flags.retryAfter, { min: 0, integer: true }),
    maxRequestsPerSecond: flags.maxRps === undefined ? undefined : parseNumber('--max-rps', flags.maxRps, { positive: true }),
    maxDocuments: parseNumber('--max-documents', flags.maxDocuments, { min: 1, integer: true }),
    seed: parseNumber('--seed', flags.seed, { integer: true }),
    apiKey: apiKey === undefined || apiKey === '' ? undefined : apiKey,
  };
}

/**
 * `rerank-batch serve`: run the built-in BM25 rerank server (offline stand-in for the hosted API, with
 * fault switches) until SIGINT/SIGTERM. Prints the endpoint URL on stdout, logs on stderr.
 */
export function registerServeCommand(program: Command, setExitCode: (code: number) => void): void {
  program
    .command('serve')
    .description('run the built-in local rerank server (BM25 scores, optional fault injection) until SIGINT/SIGTERM; prints its URL')
    .option('--host <host>', 'interface to listen on', SERVER_DEFAULTS.host)
    .option('--port <port>', 'port (0 = any free port)', String(SERVER_DEFAULTS.port))
    .option('--latency-ms <ms>', 'delay before every answer', '0')
    .option('--rate-429 <p>', 'probability of a 429 answer (with Retry-After)', '0')
    .option('--rate-5xx <p>', 'probability of a 500/502/503 answer', '0')
    .option('--rate-hang <p>', 'probability of never answering', '0')
    .option('--rate-reset <p>', 'probability of resetting the connection', '0')
    .option('--rate-malformed <p>', 'probability of a 200 answer that is not JSON', '0')
    .option('--rate-missing <p>', 'probability of a 200 answer missing one result', '0')
    .option('--retry-after <seconds>', 'Retry-After of 429 answers', String(SERVER_DEFAULTS.retryAfterSeconds))
    .option('--max-rps <n>', 'answer 429 above this many requests per second')
    .option('--max-documents <n>', 'most documents per request (more -> 413)', String(SERVER_DEFAULTS.maxDocuments))
    .option('--seed <n>', 'seed of the fault PRNG', String(SERVER_DEFAULTS.seed))
    .addHelpText('after', `\nSet ${SERVER_API_KEY_ENV} to require "Authorization: Bearer <key>".`)
    .action(async (flags: ServeFlags) => {
      const options = serveOptionsFromFlags(flags);
      const logger = createLogger();
      let server: RunningRerankServer;
      try {
        server = await startRerankServer(options);
      } catch (error) {
        logger.error({ err: error, host: options.host, port: options.port }, 'rerank server could not start');
        setExitCode(ExitCode.Failures);
        return;
      }
      process.stdout.write(`${server.url}\n`);
      const { apiKey, ...shown } = options;
      logger.info({ ...shown, url: server.url, port: server.port, auth: apiKey !== undefined }, 'rerank server listening');

      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        const onSignal = (name: NodeJS.Signals): void => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          resolve(name);
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
      await server.close();
      logger.info({ signal, requests: server.stats.requests, byStatus: server.stats.byStatus }, 'rerank server stopped');
      setExitCode(ExitCode.Ok);
    });
}
