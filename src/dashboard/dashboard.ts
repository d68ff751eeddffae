import { createServer } from 'node:http';
import express, { type ErrorRequestHandler } from 'express';
import { runQueueName } from '../../jobs/names.js';
import type { RunStatusReport } from '../collect/run-status.js';
import { createLogger, type Logger } from '../logger.js';
import { resolveOptions, type GivenOptions, type Resolved } from '../options/resolve-options.js';
import { redisSettingsOf, resolveRedis } from '../redis/connect.js';
import { quitOrDrop, settlesWithin } from '../redis/connection-loss.js';
import { accessPolicy, basicAuth, DASHBOARD_PASSWORD_ENV } from './access.js';
import { BOARD_PATH, boardQueuePath, createBoard } from './board.js';
import { RunDirectory } from './run-directory.js';
import { RUNS_PAGE_CSP, RUNS_PAGE_HTML, RUNS_PAGE_SCRIPT } from './runs-page.js';

/** How often the runs, and Bull Board's list of their queues, are read again. */
const REFRESH_MS = 2_000;

/** How long closing the runs' queues may wait for Redis, ms. */
const CLOSE_MS = 1_500;

/**
 * Bull Board's page names a web font on fonts.googleapis.com: this policy keeps the browser on this origin
 * (the board falls back to the system's fonts). Its React UI sets inline styles.
 */
const BOARD_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

/** A run as /api/runs lists it: its `status` report and its pages in Bull Board. */
export interface DashboardRun extends RunStatusReport {
  board: string;
  failedBoard: string;
}

export interface DashboardContext {
  /** Default: a logger with the options' --log-level and --log-format. */
  logger?: Logger;
  /** Where RERANK_BATCH_DASHBOARD_PASSWORD (and the options' variables) come from. Default process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface RunningDashboard {
  /** The runs page, e.g. http://127.0.0.1:3000/. */
  url: string;
  host: string;
  port: number;
  /** Whether every request needs basic auth. */
  auth: boolean;
  /** Stop serving and release the Redis connection. */
  close(): Promise<void>;
}

/**
 * Serve the dashboard of the runs on a Redis (every run under `prefix`): a page of runs with their
 * progress at /, the same as JSON at /api/runs, and Bull Board over their queues at /queues. Bound to a
 * loopback interface it needs no password; on any other, RERANK_BATCH_DASHBOARD_PASSWORD must be set
 * (else a UsageError), and with it set every route needs basic auth.
 */
export async function startDashboard(options: GivenOptions<'dashboard'> = {}, context: DashboardContext = {}): Promise<RunningDashboard> {
  return startDashboardResolved(resolveOptions('dashboard', { api: options, env: context.env ?? process.env }), context);
}

export async function startDashboardResolved({ options }: Resolved<'dashboard'>, context: DashboardContext = {}): Promise<RunningDashboard> {
  const env = context.env ?? process.env;
  const logger = context.logger ?? createLogger({ level: options.logLevel, ...(options.logFormat === undefined ? {} : { format: options.logFormat }) });
  const credentials = accessPolicy(options.host, options.dashboardUser, env);
  // The dashboard watches an existing Redis: a private one would hold no runs.
  const redis = await resolveRedis(redisSettingsOf(options), logger, { allowPrivate: false });
  const connection = redis.connect();
  let directory: RunDirectory | undefined;
  try {
    const board = createBoard((name) => directory?.queueNamed(name));
    directory = new RunDirectory(connection, options.prefix, logger, (queues) => board.setQueues(queues));
    const runs = directory;
    await runs.refresh();

    const app = express();
    app.disable('x-powered-by');
    if (credentials !== undefined) app.use(basicAuth(credentials));
    app.get('/', (_req, res) => {
      res.set('Content-Security-Policy', RUNS_PAGE_CSP).type('html').send(RUNS_PAGE_HTML);
    });
    app.get('/runs.js', (_req, res) => {
      res.type('text/javascript').send(RUNS_PAGE_SCRIPT);
    });
    app.get('/api/runs', async (_req, res) => {
      const reports = await runs.refresh();
      const listed: DashboardRun[] = reports.map((report) => ({
        ...report,
        board: boardQueuePath(runQueueName(report.runId)),
        failedBoard: boardQueuePath(runQueueName(report.runId), 'failed'),
      }));
      res.set('Cache-Control', 'no-store').json({ runs: listed });
    });
    app.use(BOARD_PATH, (_req, res, next) => {
      res.set('Content-Security-Policy', BOARD_CSP);
      next();
    }, board.handler);
    const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
      const message = err instanceof Error ? err.message : String(err);
      logger.warn({ path: req.path, error: message }, 'dashboard request failed');
      res.status(503).json({ error: message });
    };
    app.use(onError);

    const server = createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') {
      server.close();
      throw new Error(`the dashboard's server listens on ${String(address)}, not on a TCP port`);
    }
    const timer = setInterval(() => {
      runs.refresh().catch((err: unknown) => logger.debug({ error: err instanceof Error ? err.message : String(err) }, 'runs not read (Redis unreachable?)'));
    }, REFRESH_MS);
    const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}/`;
    logger.info(
      { url, redis: redis.displayUrl, prefix: options.prefix, auth: credentials === undefined ? 'none (loopback)' : `basic, user ${credentials.user}` },
      `dashboard listening${credentials === undefined ? '' : ` (password from ${DASHBOARD_PASSWORD_ENV})`}`,
    );
    let closing: Promise<void> | undefined;
    return {
      url,
      host: address.address,
      port: address.port,
      auth: credentials !== undefined,
      close() {
        closing ??= (async () => {
          clearInterval(timer);
          await new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
          // Closing through a Redis that is down would never end: the queues get a moment, then the connection goes.
          await settlesWithin(runs.close(), CLOSE_MS);
          await quitOrDrop(connection);
          await redis.close();
        })();
        return closing;
      },
    };
  } catch (err) {
    await settlesWithin(directory?.close() ?? Promise.resolve(), CLOSE_MS);
    await quitOrDrop(connection);
    await redis.close();
    throw err;
  }
}
