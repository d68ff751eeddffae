import { createServer } from 'node:http';
import type { Registry } from 'prom-client';
import { UsageError } from '../errors/usage-error.js';

/** A listening metrics endpoint. */
export interface MetricsEndpoint {
  /** `http://HOST:PORT/metrics`, with the port actually bound (port 0 picks one). */
  readonly url: string;
  readonly port: number;
  /** Stop listening and drop open connections (a scraper's keep-alive ones included). */
  close(): Promise<void>;
}

/** Why listening failed, for the message: the system's code and a hint. */
function listenProblem(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'EADDRINUSE':
      return 'EADDRINUSE: the port is taken; give another --metrics-port, or 0 for any free one';
    case 'EACCES':
      return 'EACCES: not allowed to listen there (ports below 1024 need privileges); give another --metrics-port';
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${error.code}: no such interface on this machine; check --metrics-host`;
    default:
      return error.code ?? error.message;
  }
}

/**
 * Serve `registry` at GET /metrics on `host:port` (node:http; anything else is 404). A port that cannot
 * be had is a UsageError naming the options (exit 2), before the command does anything else.
 */
export function startMetricsEndpoint(registry: Registry, options: { host: string; port: number }): Promise<MetricsEndpoint> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found: metrics are at GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
      (err: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' }).end(`metrics failed: ${err instanceof Error ? err.message : String(err)}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new UsageError(`--metrics-host ${options.host} --metrics-port ${options.port}: cannot serve metrics there (${listenProblem(error)})`));
    });
    server.listen(options.port, options.host, () => {
      const address = server.address();
      // A TCP server's address is an object; the string form is for pipes.
      const port = typeof address === 'object' && address !== null ? address.port : options.port;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${port}/metrics`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
