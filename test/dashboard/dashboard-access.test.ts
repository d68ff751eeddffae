import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { EVENTS_MAX_LEN } from '../../jobs/default-job-options.js';
import { runQueueName } from '../../jobs/names.js';
import { DASHBOARD_PASSWORD_ENV } from '../../src/dashboard/access.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/dashboard.js';
import { UsageError } from '../../src/errors/usage-error.js';
import { openExistingRun } from '../../src/orchestrate/open-run.js';
import { run } from '../../src/orchestrate/run-pipeline.js';
import { submit } from '../../src/orchestrate/submit.js';
import { startRerankServer } from '../../src/serve/rerank-server.js';
import { cleanupAfterAll } from '../helpers/cleanups.js';
import { runCli, startCli, stopChild } from '../helpers/cli.js';
import { waitFor } from '../helpers/faults.js';
import { captureLogs } from '../helpers/log-capture.js';
import { tempDir } from '../helpers/paths.js';
import { deletePrefix, redisUrl, uniquePrefix } from '../helpers/redis.js';
import { writePairs, type PairRow } from './helpers.js';

const cleanups = cleanupAfterAll();

const PASSWORD = 'dashboard-S3CR3T-71c2';
const ROWS: PairRow[] = [
  ...['a', 'b'].map((w, i) => ({ queryId: 'q1', query: 'heat transfer', docId: `d1${i}`, text: `heat ${w} transfer kestrel` })),
  ...['a', 'b'].map((w, i) => ({ queryId: 'q2', query: 'poisoned query', docId: `d2${i}`, text: `shock ${w} wave marmoset` })),
];

/** The environment without the dashboard's password, whatever the shell running the tests has. */
function envWithout(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: redisUrl() };
  delete env[DASHBOARD_PASSWORD_ENV];
  return env;
}

const basic = (user: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

/** A static asset of Bull Board, named by its page. */
async function boardAsset(url: string, headers: Record<string, string>): Promise<string> {
  const page = await (await fetch(`${url}queues/`, { headers })).text();
  const asset = /src="(static\/js\/[^"]+\.js)"/.exec(page)?.[1];
  if (asset === undefined) throw new Error(`no script in Bull Board's page:\n${page}`);
  return `${url}queues/${asset}`;
}

const boardQueuesSchema = z.object({ queues: z.array(z.object({ name: z.string() })) });
const runsSchema = z.object({ runs: z.array(z.object({ runId: z.string(), board: z.string() })) });

async function boardQueueNames(url: string): Promise<string[]> {
  const body = boardQueuesSchema.parse(await (await fetch(`${url}queues/api/queues`)).json());
  return body.queues.map((queue) => queue.name).sort();
}

async function listedRuns(url: string): Promise<string[]> {
  return runsSchema.parse(await (await fetch(`${url}api/runs`)).json()).runs.map((r) => r.runId).sort();
}

describe('dashboard: binding and basic auth', () => {
  it('refuses a non-loopback interface without a password: exit 2 through the CLI, UsageError through the library', async () => {
    const prefix = uniquePrefix('dashboard-bind');
    const cli = await runCli(['dashboard', '--host', '0.0.0.0', '--port', '0', '--prefix', prefix], envWithout());
    expect(cli.code, cli.stderr).toBe(2);
    expect(cli.stderr).toContain(`error ERR_USAGE: --host 0.0.0.0 is not a loopback address: set ${DASHBOARD_PASSWORD_ENV}`);
    expect(cli.stdout).toBe('');
    const started = startDashboard({ host: '0.0.0.0', port: 0, prefix, redis: redisUrl() }, { env: envWithout(), logger: captureLogs().logger });
    await expect(started).rejects.toBeInstanceOf(UsageError);
    await expect(started).rejects.toMatchObject({ code: 'ERR_USAGE' });
  });

  it('with the password, answers 401 to every route without credentials and 200 with them (CLI on 0.0.0.0)', async () => {
    const prefix = uniquePrefix('dashboard-auth');
    const { child, output } = startCli(['dashboard', '--host', '0.0.0.0', '--port', '0', '--prefix', prefix, '--dashboard-user', 'ops'], { ...envWithout(), [DASHBOARD_PASSWORD_ENV]: PASSWORD });
    cleanups.push(() => stopChild(child));
    await waitFor('the dashboard URL on stdout', () => /^http:\/\/0\.0\.0\.0:\d+\/$/m.test(output()), 20_000);
    const url = (/^(http:\/\/0\.0\.0\.0:\d+\/)$/m.exec(output())?.[1] ?? '').replace('0.0.0.0', '127.0.0.1');
    const asset = await boardAsset(url, basic('ops', PASSWORD));
    for (const path of [url, `${url}api/runs`, `${url}runs.js`, `${url}queues/`, `${url}queues/api/queues`, asset]) {
      for (const headers of [{}, basic('ops', 'wrong'), basic('admin', PASSWORD), { authorization: 'Bearer x' }]) {
        const refused = await fetch(path, { headers });
        expect(refused.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(refused.headers.get('www-authenticate')).toMatch(/^Basic realm="rerank-batch dashboard"/);
      }
      expect((await fetch(path, { headers: basic('ops', PASSWORD) })).status, path).toBe(200);
    }
    expect(output()).not.toContain(PASSWORD);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output()).toContain('dashboard stopped');
  });

  it('on loopback, needs no credentials unless the password is set', async () => {
    const prefix = uniquePrefix('dashboard-loopback');
    const { logger } = captureLogs();
    const open = await startDashboard({ port: 0, prefix, redis: redisUrl() }, { env: envWithout(), logger });
    cleanups.push(() => open.close());
    expect(open.auth).toBe(false);
    expect(open.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect((await fetch(`${open.url}api/runs`)).status).toBe(200);
    const locked = await startDashboard({ port: 0, prefix, redis: redisUrl() }, { env: { ...envWithout(), [DASHBOARD_PASSWORD_ENV]: PASSWORD }, logger });
    cleanups.push(() => locked.close());
    expect((await fetch(`${locked.url}api/runs`)).status).toBe(401);
    expect((await fetch(`${locked.url}api/runs`, { headers: basic('admin', PASSWORD) })).status).toBe(200);
  });
});

describe("dashboard: Bull Board's queues and actions", () => {
  const prefix = uniquePrefix('dashboard-actions');
  let dashboard: RunningDashboard;
  let runId: string;
  let apiUrl: string;
  let dir: string;

  beforeAll(async () => {
    const tmp = await tempDir('dashboard-actions');
    dir = tmp.dir;
    cleanups.push(tmp.remove, () => deletePrefix(redisUrl(), prefix));
    const server = await startRerankServer({ failQueriesMatching: /poisoned/, failQueriesStatus: 422 });
    cleanups.push(() => server.close());
    apiUrl = server.url;
    const { logger } = captureLogs('warn');
    const report = await run({ input: await writePairs(dir, 'pairs.csv', ROWS), out: join(dir, 'out'), redis: redisUrl(), prefix, apiUrl, maxDocsPerRequest: 2 }, { logger });
    expect(report.outcome).toBe('failures');
    runId = report.runId;
    dashboard = await startDashboard({ port: 0, prefix, redis: redisUrl() }, { env: envWithout(), logger });
    cleanups.push(() => dashboard.close());
  });

  it('lets only failed jobs be retried; cleaning, removing, adding and emptying are refused', async () => {
    const handle = await openExistingRun(runId, { url: redisUrl() }, prefix, captureLogs('warn').logger);
    cleanups.push(() => handle.close());
    const [failed] = await handle.queue.getFailed();
    expect(failed?.id).toBeDefined();
    const queueApi = `${dashboard.url}queues/api/queues/${runQueueName(runId)}`;
    const put = (path: string): Promise<Response> => fetch(`${queueApi}${path}`, { method: 'PUT' });
    for (const path of ['/clean/failed', '/clean/completed', `/${failed?.id}/clean`, '/empty', '/obliterate', '/pause', '/concurrency', `/${failed?.id}/promote`]) {
      expect((await put(path)).status, path).toBe(403);
    }
    expect((await fetch(`${queueApi}/add`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'rerank', data: {} }) })).status).toBe(403);
    expect((await fetch(`${queueApi}/${failed?.id}/update-data`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{}' })).status).toBe(403);
    expect(await handle.queue.getFailedCount()).toBe(1);

    expect((await put(`/${failed?.id}/retry`)).status).toBe(204);
    expect(await handle.queue.getJobState(failed?.id ?? '')).toBe('waiting');
    // Not failed any more: a second retry (of a job that may finish and be paid for twice) is refused.
    expect((await put(`/${failed?.id}/retry`)).status).toBe(403);
  });

  it("keeps Bull Board's queues and the runs list in step as runs appear and disappear", async () => {
    expect(await boardQueueNames(dashboard.url)).toEqual([runQueueName(runId)]);
    const { logger } = captureLogs('warn');
    const added = await submit({ input: await writePairs(dir, 'more.csv', ROWS.slice(0, 2)), redis: redisUrl(), prefix, apiUrl }, { logger });
    const both = [runId, added.runId].sort();
    await waitFor('the new run listed', async () => JSON.stringify(await listedRuns(dashboard.url)) === JSON.stringify(both), 10_000, 200);
    await waitFor("the new run's queue in Bull Board", async () => (await boardQueueNames(dashboard.url)).length === 2, 10_000, 200);
    expect(await boardQueueNames(dashboard.url)).toEqual(both.map(runQueueName).sort());
    // The dashboard's queues only read: the run's cap on its event stream stays as the producer set it.
    const redis = new Redis(redisUrl());
    const cap = await redis.hget(`${prefix}:${runQueueName(added.runId)}:meta`, 'opts.maxLenEvents').finally(() => redis.disconnect());
    expect(cap).toBe(String(EVENTS_MAX_LEN));

    // `cancel` removes the run; it leaves the list and the board.
    const handle = await openExistingRun(added.runId, { url: redisUrl() }, prefix, logger);
    await handle.store.delete(added.runId);
    await handle.queue.obliterate({ force: true });
    await handle.close();
    await waitFor('the cancelled run gone', async () => (await boardQueueNames(dashboard.url)).length === 1, 10_000, 200);
    expect(await listedRuns(dashboard.url)).toEqual([runId]);
  });
});
