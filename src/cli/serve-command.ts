import type { Command } from 'commander';
import { ExitCode } from './exit-codes.js';
import type { Resolved } from '../options/resolve-options.js';
import { defineCommand } from './command-options.js';
import { createLogger } from '../logger.js';
import { startRerankServer, type RerankServerOptions, type RunningRerankServer } from '../serve/rerank-server.js';

/** Env var holding the key the local server demands (unset: no auth). */
export const SERVER_API_KEY_ENV = 'RERANK_SERVER_API_KEY';

/**
 * Server options from the resolved `serve` options, with the key from the environment. A --max-documents
 * left at its default gives way to the dialect's own cap.
 */
export function serveOptionsOf({ options, sources }: Resolved<'serve'>, env: NodeJS.ProcessEnv = process.env): RerankServerOptions {
  const apiKey = env[SERVER_API_KEY_ENV];
  return {
    dialect: options.dialect,
    host: options.host,
    port: options.port,
    latencyMs: options.latencyMs,
    rate429: options.rate429,
    rate5xx: options.rate5xx,
    rateHang: options.rateHang,
    rateReset: options.rateReset,
    rateMalformed: options.rateMalformed,
    rateMissingResult: options.rateMissing,
    retryAfterSeconds: options.retryAfter,
    maxRequestsPerSecond: options.maxRps,
    maxDocuments: sources.maxDocuments === 'default' ? undefined : options.maxDocuments,
    seed: options.seed,
    apiKey: apiKey === undefined || apiKey === '' ? undefined : apiKey,
  };
}

/**
 * `rerank-batch serve`: run the built-in BM25 rerank server (offline stand-in for a hosted API in any
 * provider's dialect, with fault switches) until SIGINT/SIGTERM. Prints the endpoint URL (on the
 * dialect's path) on stdout, logs on stderr.
 */
export function registerServeCommand(program: Command, setExitCode: (code: number) => void): void {
  const command = defineCommand(program, 'serve', async (input) => {
      const options = serveOptionsOf(input);
      const logger = createLogger({ level: input.options.logLevel, ...(input.options.logFormat === undefined ? {} : { format: input.options.logFormat }) });
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
      logger.info({ ...shown, url: server.url, port: server.port, maxDocuments: server.maxDocuments, auth: apiKey !== undefined }, 'rerank server listening');

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
  command.addHelpText('after', `\nSet ${SERVER_API_KEY_ENV} to require "Authorization: Bearer <key>".`);
}
